//! Backup codes, shown exactly once: copy all, download as .txt, and a confirmation before
//! moving on (there is no way to see them again).
//!
//! Test ids (= element ids): `backup-codes` (the list; each code is a `backup-code`),
//! `backup-codes-copy`, `backup-codes-download`, `backup-codes-saved` (checkbox),
//! `backup-codes-continue` (disabled until the checkbox is ticked).
use leptos::prelude::*;

use crate::clipboard;
use crate::components::copy_button::CopyButton;
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;

#[component]
pub fn BackupCodes(
    codes: Vec<String>,
    username: String,
    #[prop(into)] continue_label: String,
    #[prop(into)] on_continue: Callback<()>,
) -> impl IntoView {
    let saved = RwSignal::new(false);
    let all = codes.join("\n");
    let file_text = format!(
        "registry-gui backup codes for {username}\n\
         Each code signs you in once when your authenticator app is not at hand.\n\n{all}\n"
    );
    let download =
        move |_| match clipboard::download_text("registry-gui-backup-codes.txt", &file_text) {
            Ok(()) => toast::success("Backup codes downloaded."),
            Err(_) => toast::error("The download could not be started. Copy the codes instead."),
        };
    view! {
        <div class="backup-codes-panel">
            <div class="callout callout-warning">
                <Icon glyph=Glyph::Key/>
                <p>
                    "Save these backup codes somewhere safe. Each one signs you in once if you lose your authenticator. "
                    <strong>"They will not be shown again."</strong>
                </p>
            </div>
            <ol class="backup-codes" id="backup-codes" data-testid="backup-codes">
                {codes
                    .into_iter()
                    .map(|code| view! { <li><code data-testid="backup-code">{code}</code></li> })
                    .collect_view()}
            </ol>
            <div class="button-row">
                <CopyButton text=all what="all backup codes" label="Copy all" testid="backup-codes-copy".to_string()/>
                <button class="btn" type="button" id="backup-codes-download" data-testid="backup-codes-download" on:click=download>
                    <Icon glyph=Glyph::Download/>
                    "Download .txt"
                </button>
            </div>
            <label class="checkbox">
                <input type="checkbox" id="backup-codes-saved" data-testid="backup-codes-saved" bind:checked=saved/>
                <span>"I have saved my backup codes"</span>
            </label>
            <button
                class="btn btn-primary btn-block"
                type="button"
                id="backup-codes-continue"
                data-testid="backup-codes-continue"
                disabled=move || !saved.get()
                on:click=move |_| on_continue.run(())
            >
                {continue_label}
            </button>
        </div>
    }
}
