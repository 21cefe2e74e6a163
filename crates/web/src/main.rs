//! registry-gui single-page app.
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <main>
                <Routes fallback=|| view! { <SignIn/> }>
                    <Route path=path!("/") view=SignIn/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn SignIn() -> impl IntoView {
    view! {
        <h1>"registry-gui"</h1>
        <p>"Sign in with your account to browse your registries."</p>
    }
}
