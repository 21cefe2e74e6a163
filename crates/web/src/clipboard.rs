//! Copying to the clipboard and saving text files, on plain HTTP too.
//!
//! `navigator.clipboard` only exists in secure contexts (HTTPS or localhost) and may still refuse
//! without a permission; many registries' GUIs run on plain HTTP inside a LAN. The fallback is
//! the old `document.execCommand('copy')` on a hidden, selected textarea.
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMethod {
    /// The asynchronous Clipboard API.
    Clipboard,
    /// `execCommand('copy')` on a hidden textarea.
    Fallback,
}

impl CopyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            CopyMethod::Clipboard => "clipboard",
            CopyMethod::Fallback => "fallback",
        }
    }
}

fn has_clipboard_api(window: &web_sys::Window) -> bool {
    let navigator = window.navigator();
    window.is_secure_context()
        && js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
            .is_ok_and(|v| !v.is_undefined() && !v.is_null())
}

/// Copies `text`; `Err` when neither way worked (the caller then shows the text selected).
pub async fn copy_text(text: &str) -> Result<CopyMethod, ()> {
    let window = web_sys::window().ok_or(())?;
    if has_clipboard_api(&window) {
        let promise = window.navigator().clipboard().write_text(text);
        if JsFuture::from(promise).await.is_ok() {
            return Ok(CopyMethod::Clipboard);
        }
    }
    copy_with_exec_command(&window, text).map(|()| CopyMethod::Fallback)
}

fn copy_with_exec_command(window: &web_sys::Window, text: &str) -> Result<(), ()> {
    let document = window.document().ok_or(())?;
    let body = document.body().ok_or(())?;
    let previously_focused = document
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let area: web_sys::HtmlTextAreaElement = document
        .create_element("textarea")
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    area.set_value(text);
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("aria-hidden", "true");
    // Off-screen but rendered: `display: none` text cannot be selected.
    let _ = area.set_attribute(
        "style",
        "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0;pointer-events:none",
    );
    body.append_child(&area).map_err(|_| ())?;
    area.select();
    let copied = document
        .dyn_ref::<web_sys::HtmlDocument>()
        .and_then(|d| d.exec_command("copy").ok())
        .unwrap_or(false);
    area.remove();
    if let Some(element) = previously_focused {
        let _ = element.focus();
    }
    if copied {
        Ok(())
    } else {
        Err(())
    }
}

/// Offers `text` as a download named `file_name`.
pub fn download_text(file_name: &str, text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let document = window
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // The download starts asynchronously: give it time before the URL is released.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}
