//! The router and the signed-in layout.
//!
//! Test ids: `nav-browse`, `nav-settings`, `nav-admin` (admins only), `user-menu` (with
//! `data-username` and `data-role`), `logout`, `theme-toggle`, `app-loading`, `session-error`.
use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::api::{self, ApiError};
use crate::components::feedback::{EmptyState, ErrorPanel, Spinner};
use crate::components::icons::{Glyph, Icon};
use crate::components::theme_toggle::ThemeToggle;
use crate::components::toast::Toaster;
use crate::links;
use crate::navigation::{go, redirect, NavigatorBridge};
use crate::pages::access_tokens::{AccessTokens, AllTokens};
use crate::pages::admin_registries::RegistriesAdmin;
use crate::pages::admin_users::UsersAdmin;
use crate::pages::api_reference::ApiReference;
use crate::pages::audit_log::AuditLog;
use crate::pages::browser::Browser;
use crate::pages::change_password::ForcedPasswordChange;
use crate::pages::settings::{ProfileSettings, SettingsLayout};
use crate::pages::sign_in::SignIn;
use crate::pages::system::SystemStatusPage;
use crate::registries::{use_registries, Registries};
use crate::session::{self, session};

#[component]
pub fn App() -> impl IntoView {
    // Here rather than in `main`: restoring loads the profile asynchronously, and the async
    // executor only exists once mounting has begun.
    session::restore();
    view! {
        <Router>
            <NavigatorBridge/>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=SignIn/>
                <Route path=path!("/change-password") view=ForcedPasswordChange/>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/r/:registry/*path") view=Browser/>
                    <ParentRoute path=path!("/settings") view=SettingsLayout>
                        <Route path=path!("") view=ProfileSettings/>
                        <Route path=path!("/users") view=UsersAdmin/>
                        <Route path=path!("/registries") view=RegistriesAdmin/>
                        <Route path=path!("/audit") view=AuditLog/>
                        <Route path=path!("/system") view=SystemStatusPage/>
                        <Route path=path!("/api") view=ApiReference/>
                        <Route path=path!("/tokens") view=AccessTokens/>
                        <Route path=path!("/all-tokens") view=AllTokens/>
                    </ParentRoute>
                </ParentRoute>
            </Routes>
            <Toaster/>
        </Router>
    }
}

/// What the signed-in area can show; a memo so profile edits do not re-mount the pages.
#[derive(Debug, Clone, PartialEq)]
enum ShellState {
    SignedOut,
    Loading,
    Failed(ApiError),
    MustChangePassword,
    Ready,
}

/// Everything behind sign-in: sends anonymous visitors to `/login?next=<here>`, users who must
/// change their password to the form, and renders the top bar around the page.
#[component]
fn Shell() -> impl IntoView {
    let s = session();
    let state = Memo::new({
        let s = s.clone();
        move |_| {
            if s.token.get().is_none() {
                return ShellState::SignedOut;
            }
            match (s.user.get(), s.restore_error.get()) {
                (Some(user), _) if user.must_change_password => ShellState::MustChangePassword,
                (Some(_), _) => ShellState::Ready,
                (None, Some(err)) => ShellState::Failed(err),
                (None, None) => ShellState::Loading,
            }
        }
    });
    let location = use_location();
    Effect::new(move |_| {
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        match state.get() {
            ShellState::SignedOut => redirect(&links::sign_in(&here)),
            ShellState::MustChangePassword => redirect(&links::change_password(&here)),
            _ => {}
        }
    });

    view! {
        {move || match state.get() {
            ShellState::Ready => view! { <SignedIn/> }.into_any(),
            ShellState::Failed(err) => {
                view! {
                    <main class="centered-page" data-testid="session-error">
                        <ErrorPanel error=err retry=Callback::new(|()| leptos::task::spawn_local(session::load_profile()))/>
                    </main>
                }
                    .into_any()
            }
            _ => {
                view! {
                    <main class="centered-page" data-testid="app-loading">
                        <Spinner large=true/>
                    </main>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    let registries = Registries(LocalResource::new(|| async {
        api::registries().await.map(|r| r.registries)
    }));
    provide_context(registries);
    view! {
        <div class="app">
            <TopBar/>
            <main class="main" id="main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let location = use_location();
    let in_settings = move || location.pathname.get().starts_with("/settings");
    let in_admin = move || {
        let path = location.pathname.get();
        ["/settings/users", "/settings/registries", "/settings/audit"]
            .iter()
            .any(|p| path.starts_with(p))
    };
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        signing_out.set(true);
        leptos::task::spawn_local(async move {
            session::sign_out().await;
            go("/login");
        });
    };
    let user = move || session::user();
    view! {
        <header class="topbar">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <a class="brand" href="/" aria-label="registry-gui home">
                <span class="brand-mark">
                    <Icon glyph=Glyph::Logo/>
                </span>
                <span class="brand-name">"registry-gui"</span>
            </a>
            <nav class="topnav" aria-label="Main">
                <a
                    href="/"
                    data-testid="nav-browse"
                    class:active=move || !in_settings()
                    aria-current=move || (!in_settings()).then_some("page")
                >
                    <Icon glyph=Glyph::Package/>
                    <span>"Browse"</span>
                </a>
                <a
                    href="/settings"
                    data-testid="nav-settings"
                    class:active=move || in_settings() && !in_admin()
                    aria-current=move || (in_settings() && !in_admin()).then_some("page")
                >
                    <Icon glyph=Glyph::User/>
                    <span>"Settings"</span>
                </a>
                <Show when=session::is_admin>
                    <a
                        href="/settings/users"
                        data-testid="nav-admin"
                        id="nav-admin"
                        class:active=in_admin
                        aria-current=move || in_admin().then_some("page")
                    >
                        <Icon glyph=Glyph::Shield/>
                        <span>"Admin"</span>
                    </a>
                </Show>
            </nav>
            <div class="topbar-end">
                <ThemeToggle/>
                {move || {
                    user()
                        .map(|u| {
                            view! {
                                <span
                                    class="user-chip"
                                    data-testid="user-menu"
                                    data-username=u.username.clone()
                                    data-role=u.role.as_str()
                                    title=format!("Signed in as {} ({})", u.username, u.role)
                                >
                                    <span class="avatar" aria-hidden="true">
                                        {u.username.chars().next().unwrap_or('?').to_ascii_uppercase().to_string()}
                                    </span>
                                    <span class="user-name">{u.username.clone()}</span>
                                    <span class=format!("badge badge-role badge-{}", u.role.as_str())>{u.role.as_str()}</span>
                                </span>
                            }
                        })
                }}
                <button
                    class="icon-btn"
                    type="button"
                    id="logout"
                    data-testid="logout"
                    title="Sign out"
                    aria-label="Sign out"
                    disabled=move || signing_out.get()
                    on:click=sign_out
                >
                    <Icon glyph=Glyph::Logout/>
                </button>
            </div>
        </header>
    }
}

/// `/`: the user's default registry (or the server's), else an explanation.
#[component]
fn Home() -> impl IntoView {
    let registries = use_registries();
    Effect::new(move |_| {
        if let Some(Ok(list)) = registries.list() {
            let preferred = session::user().and_then(|u| u.default_registry);
            let chosen = preferred
                .and_then(|name| list.iter().find(|r| r.name == name))
                .or_else(|| list.iter().find(|r| r.is_default))
                .or_else(|| list.first());
            if let Some(registry) = chosen {
                redirect(&links::registry(&registry.name));
            }
        }
    });
    view! {
        {move || match registries.list() {
            None => view! { <div class="centered-page"><Spinner large=true/></div> }.into_any(),
            Some(Err(err)) => {
                view! {
                    <div class="page">
                        <ErrorPanel error=err retry=Callback::new(move |()| registries.reload())/>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(list)) if list.is_empty() => {
                view! {
                    <div class="page">
                        <EmptyState
                            glyph=Glyph::Server
                            title="No registries yet"
                            detail=if session::is_admin() {
                                "Add the first registry to start browsing."
                            } else {
                                "Ask an administrator to add a registry."
                            }
                        >
                            <Show when=session::is_admin>
                                <a class="btn btn-primary" href="/settings/registries">"Add a registry"</a>
                            </Show>
                        </EmptyState>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(_)) => view! { <div class="centered-page"><Spinner large=true/></div> }.into_any(),
        }}
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main class="centered-page">
            <EmptyState glyph=Glyph::Search title="Page not found" detail="There is nothing at this address.">
                <a class="btn btn-primary" href="/">"Go to the registry browser"</a>
            </EmptyState>
        </main>
    }
}
