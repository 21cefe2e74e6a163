//! registry-gui single-page app: Leptos, rendered in the browser, talking only to its own API.
mod api;
mod app;
mod clipboard;
mod components;
mod format;
mod links;
mod navigation;
mod pages;
mod registries;
mod session;
mod theme;

fn main() {
    console_error_panic_hook::set_once();
    theme::init();
    session::install();
    format::start_clock();
    // index.html shows a spinner until the app is ready to draw.
    if let Some(splash) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        splash.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
