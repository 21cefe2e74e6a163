//! The theme: `<html data-theme>` is always set (before the app loads, from the saved choice or
//! the system's), so the stylesheet's single dark palette applies, and the toggle cycles
//! system → light → dark → system.
use serde_json::json;

use crate::browser::{tid, Browser};
use crate::harness::BrowserTest;

async fn applied(b: &Browser) -> (String, String, String) {
    let v = b
        .script(
            "var d = document.documentElement;
             return [d.getAttribute('data-theme'),
                     matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
                     getComputedStyle(d).getPropertyValue('--bg').trim()];",
            vec![],
        )
        .await;
    let s = |i: usize| v[i].as_str().unwrap_or("none").to_string();
    (s(0), s(1), s(2))
}

async fn choose(b: &Browser, choice: &str) {
    b.until(format!("the {choice} choice"), async || {
        let toggle = b.find(&tid("theme-toggle")).await?;
        if toggle.attr("data-theme-choice").await.ok()?.as_deref() == Some(choice) {
            return Some(());
        }
        let _ = toggle.click().await;
        None
    })
    .await;
}

#[tokio::test]
async fn the_theme_attribute_is_always_set_and_the_one_dark_palette_applies() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    b.goto("/login").await;
    b.wait(&tid("theme-toggle")).await;

    // First visit: the system's choice, set by index.html.
    let (theme, system, _) = applied(b).await;
    assert_eq!(theme, system);

    choose(b, "dark").await;
    let (theme, _, bg) = applied(b).await;
    assert_eq!((theme.as_str(), bg.as_str()), ("dark", "#0c0e13"));
    // Saved: a reload applies it before the app runs (index.html's script).
    b.refresh().await;
    let first_paint = b
        .script(
            "return document.documentElement.getAttribute('data-theme');",
            vec![],
        )
        .await;
    assert_eq!(first_paint, json!("dark"));

    choose(b, "light").await;
    let (theme, _, bg) = applied(b).await;
    assert_eq!((theme.as_str(), bg.as_str()), ("light", "#f5f6f8"));

    choose(b, "system").await;
    let (theme, system, _) = applied(b).await;
    assert_eq!(
        theme, system,
        "following the system still sets the attribute"
    );
    t.finish().await;
}
