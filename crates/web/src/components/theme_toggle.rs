use leptos::prelude::*;

use crate::components::icons::{Glyph, Icon};
use crate::theme::{self, Theme};

/// Cycles system → light → dark; the icon shows the current choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let label = move || format!("{} (click to change)", theme::current().label());
    view! {
        <button
            class="icon-btn"
            type="button"
            id="theme-toggle"
            data-testid="theme-toggle"
            data-theme-choice=move || match theme::current() {
                Theme::System => "system",
                Theme::Light => "light",
                Theme::Dark => "dark",
            }
            title=label
            aria-label=label
            on:click=move |_| theme::set(theme::current().next())
        >
            {move || match theme::current() {
                Theme::System => view! { <Icon glyph=Glyph::Monitor/> },
                Theme::Light => view! { <Icon glyph=Glyph::Sun/> },
                Theme::Dark => view! { <Icon glyph=Glyph::Moon/> },
            }}
        </button>
    }
}
