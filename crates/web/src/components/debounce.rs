//! Input handlers that act once typing pauses, so filters send one request, not one per key.
use std::time::Duration;

use leptos::prelude::*;

/// An `on:input` handler: mirrors the field into `input` at once, and calls `settle` with the
/// value after `delay` without further typing.
pub fn debounced_input(
    input: RwSignal<String>,
    delay: Duration,
    settle: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl Fn(leptos::ev::Event) + Copy + 'static {
    let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    move |ev: leptos::ev::Event| {
        input.set(event_target_value(&ev));
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(move || settle(input.get_untracked()), delay).ok();
        pending.set_value(handle);
    }
}
