//! Journey 2: from the repository tree to a multi-arch tag, its platforms and pull command.

use crate::browser::{tid, tid_with, Browser};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::first_sign_in;
use crate::support::fixture;

#[tokio::test]
async fn a_user_opens_a_multi_arch_tag_switches_platform_and_copies_the_pull_command() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    first_sign_in(b, "admin", ADMIN_PASSWORD).await;
    // So the test can read back what the copy buttons wrote (reading needs a permission).
    let can_read_clipboard = b.grant_permission("clipboard-read").await;

    // `team` is a folder in the tree: it collapses and opens again.
    let team = tid_with("ns-toggle", "data-ns", "team");
    let multiarch = tid_with("repo-link", "data-repo", fixture::MULTIARCH);
    b.wait_attr(&team, "aria-expanded", "true").await;
    b.click(&team).await;
    b.wait_attr(&team, "aria-expanded", "false").await;
    b.wait_gone(&multiarch).await;
    b.click(&team).await;
    b.click(&multiarch).await;

    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::MULTIARCH,
    ))
    .await;
    b.wait_path("/r/default/team/multiarch").await;
    b.wait_attr(&multiarch, "aria-current", "page").await;
    b.wait_list(&tid("tag-row"), "data-tag", &["1.0", "latest"])
        .await;
    let row = tid_with("tag-row", "data-tag", "1.0");
    let badges = b.texts(&format!("{row} {}", tid("platform-badge"))).await;
    assert_eq!(badges, ["linux/amd64", "linux/arm64/v8"]);

    b.click(&format!("{row} {}", tid("tag-link"))).await;
    b.wait(&tid_with("tag-details", "data-tag", "1.0")).await;
    b.wait_path("/r/default/team/multiarch/t/1.0").await;
    b.wait_text(&tid("manifest-media-type"), "OCI index").await;

    // One tab per platform (attestations are not platforms); the first is open.
    b.wait_list(
        &tid("platform-tab"),
        "data-platform",
        &["linux/amd64", "linux/arm64/v8"],
    )
    .await;
    let amd64 = tid_with("platform-tab", "data-platform", "linux/amd64");
    let arm64 = tid_with("platform-tab", "data-platform", "linux/arm64/v8");
    b.wait_attr(&amd64, "aria-selected", "true").await;
    b.wait_attr(&tid("platform-panel"), "data-platform", "linux/amd64")
        .await;
    b.click(&arm64).await;
    b.wait_attr(&arm64, "aria-selected", "true").await;
    b.wait_attr(&amd64, "aria-selected", "false").await;
    b.wait_attr(&tid("platform-panel"), "data-platform", "linux/arm64/v8")
        .await;
    b.until("the arm64 image's layers", async || {
        let rows = b.count(&tid("layer-row")).await;
        (rows == fixture::MULTIARCH_ARM64_LAYERS.len()).then_some(())
    })
    .await;

    // The pull command names this registry's pull host, the repository and the tag.
    let command = b.value(&tid("pull-docker")).await;
    let pull_host = format!("127.0.0.1:{}", t.registry.port());
    assert_eq!(
        command,
        format!("docker pull {pull_host}/team/multiarch:1.0")
    );

    b.click(&tid("copy-pull-docker")).await;
    let method = b
        .until("the copy button to report how it copied", async || {
            b.find(&tid("copy-pull-docker"))
                .await?
                .attr("data-copied")
                .await
                .ok()?
        })
        .await;
    match method.as_str() {
        "clipboard" if can_read_clipboard => {
            let pasted = b
                .script_async(
                    "const done = arguments[arguments.length - 1];
                     navigator.clipboard.readText().then(done, e => done('read failed: ' + e));",
                )
                .await
                .expect("clipboard read script");
            assert_eq!(pasted.as_str(), Some(command.as_str()));
        }
        // Written, but this browser would not let the test read it back.
        "clipboard" => {}
        "fallback" => assert_eq!(selected_text(b).await, Some(command.clone())),
        other => panic!("unexpected data-copied={other:?}"),
    }

    // Plain-HTTP deployments have no `navigator.clipboard` (not a secure context): the same
    // button then copies with execCommand and leaves the command selected in its field.
    b.script(
        "Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });",
        vec![],
    )
    .await;
    let by_digest = b.value(&tid("pull-digest")).await;
    assert!(by_digest.starts_with(&format!("docker pull {pull_host}/team/multiarch@sha256:")));
    b.click(&tid("copy-pull-digest")).await;
    b.wait_attr(&tid("copy-pull-digest"), "data-copied", "fallback")
        .await;
    assert_eq!(selected_text(b).await, Some(by_digest.clone()));
    if can_read_clipboard {
        // The page's `navigator.clipboard` is hidden; the prototype's getter still reads it.
        let pasted = b
            .script_async(
                "const done = arguments[arguments.length - 1];
                 Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard').get
                     .call(navigator).readText().then(done, e => done('read failed: ' + e));",
            )
            .await
            .expect("clipboard read script");
        assert_eq!(pasted.as_str(), Some(by_digest.as_str()));
    }

    // Deep links survive a reload, platform tabs and all.
    b.refresh().await;
    b.wait(&tid_with("tag-details", "data-tag", "1.0")).await;
    b.wait_list(
        &tid("platform-tab"),
        "data-platform",
        &["linux/amd64", "linux/arm64/v8"],
    )
    .await;
    t.finish().await;
}

/// The selected part of the focused input, if one is focused.
async fn selected_text(b: &Browser) -> Option<String> {
    b.script(
        "const e = document.activeElement;
         return e && e.tagName === 'INPUT'
             ? e.value.substring(e.selectionStart, e.selectionEnd) : null;",
        vec![],
    )
    .await
    .as_str()
    .map(str::to_string)
}
