use leptos::prelude::*;

use crate::components::icons::{Glyph, Icon};
use crate::format;

/// "51–100 of 1,234" with previous / next. `page` starts at 1.
#[component]
pub fn Pagination(
    page: RwSignal<usize>,
    #[prop(into)] total: Signal<usize>,
    #[prop(into)] per_page: Signal<usize>,
    /// Prefix of the `data-testid`s: `<testid>-prev`, `<testid>-next`, `<testid>-range`.
    testid: &'static str,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let pages = move || total.get().div_ceil(per_page.get().max(1)).max(1);
    let range = move || {
        let total = total.get();
        if total == 0 {
            return "0 results".to_string();
        }
        let first = (page.get() - 1) * per_page.get() + 1;
        let last = (page.get() * per_page.get()).min(total);
        format!(
            "{}–{} of {}",
            format::count(first),
            format::count(last),
            format::count(total)
        )
    };
    view! {
        <nav class="pagination" class:pagination-compact=compact aria-label="Pagination">
            <span class="muted" data-testid=format!("{testid}-range") aria-live="polite">
                {range}
            </span>
            <div class="pagination-buttons">
                <button
                    class="icon-btn"
                    type="button"
                    aria-label="Previous page"
                    data-testid=format!("{testid}-prev")
                    disabled=move || { page.get() <= 1 }
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
                >
                    <Icon glyph=Glyph::ChevronLeft/>
                </button>
                {(!compact)
                    .then(|| {
                        view! {
                            <span class="page-of">
                                {move || format!("Page {} of {}", page.get(), format::count(pages()))}
                            </span>
                        }
                    })}
                <button
                    class="icon-btn"
                    type="button"
                    aria-label="Next page"
                    data-testid=format!("{testid}-next")
                    disabled=move || { page.get() >= pages() }
                    on:click=move |_| page.update(|p| *p += 1)
                >
                    <Icon glyph=Glyph::ChevronRight/>
                </button>
            </div>
        </nav>
    }
}
