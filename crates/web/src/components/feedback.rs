//! Loading and empty states: spinners, skeletons that hold the final layout's space (so nothing
//! jumps when data arrives), error panels with the API's message and a retry.
use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::icons::{Glyph, Icon};

#[component]
pub fn Spinner(#[prop(optional)] large: bool) -> impl IntoView {
    view! { <span class="spinner" class:spinner-lg=large role="status" aria-label="Loading"></span> }
}

/// `rows` grey bars shaped like table rows.
#[component]
pub fn SkeletonRows(rows: usize, #[prop(optional)] testid: &'static str) -> impl IntoView {
    view! {
        <div class="skeleton-rows" aria-busy="true" aria-label="Loading" data-testid=testid>
            {(0..rows)
                .map(|i| {
                    let width = format!("width: {}%", 55 + (i * 37) % 40);
                    view! {
                        <div class="skeleton-row">
                            <span class="skeleton" style=width></span>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Shown where content failed to load; `retry` reloads it.
#[component]
pub fn ErrorPanel(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert" data-testid="error-panel" data-error=error.code.clone()>
            <Icon glyph=Glyph::Alert/>
            <div>
                <p class="error-title">"Something went wrong"</p>
                <p class="muted">{error.message.clone()}</p>
            </div>
            {retry
                .map(|retry| {
                    view! {
                        <button class="btn" type="button" data-testid="error-retry" on:click=move |_| retry.run(())>
                            "Try again"
                        </button>
                    }
                })}
        </div>
    }
}

#[component]
pub fn EmptyState(
    glyph: Glyph,
    #[prop(into)] title: String,
    #[prop(optional, into)] detail: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="empty-state">
            <span class="empty-icon">
                <Icon glyph=glyph/>
            </span>
            <p class="empty-title">{title}</p>
            {detail.map(|d| view! { <p class="muted">{d}</p> })}
            {children.map(|c| c())}
        </div>
    }
}

/// `<time>` with a relative label and the absolute local time on hover.
#[component]
pub fn RelativeTime(#[prop(into)] value: String) -> impl IntoView {
    let title = crate::format::absolute_time(&value);
    let label = {
        let value = value.clone();
        move || crate::format::relative_time(&value)
    };
    view! {
        <time datetime=value title=title>
            {label}
        </time>
    }
}
