//! `make screenshots`: the main screens, in the light and the dark theme, as PNGs in
//! `docs/screenshots/` (`<screen>-<theme>.png`). Ignored by `make test`: it writes into the
//! source tree.

use std::path::{Path, PathBuf};
use std::time::Duration;

use registry_gui::config::DEFAULT_ADMIN_PASSWORD;
use registry_gui::secret::Secret;

use crate::browser::{tid, tid_with, Browser};
use crate::harness::BrowserTest;
use crate::sign_in::{submit_password, Authenticator};
use crate::support::fixture;

const THEMES: [&str; 2] = ["light", "dark"];

#[tokio::test]
#[ignore = "writes docs/screenshots/; run by `make screenshots`"]
async fn screenshots_of_the_main_screens_in_light_and_dark() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("create docs/screenshots");
    for theme in THEMES {
        walk(theme, &dir).await;
    }
}

/// Signs in the bootstrapped admin from scratch and visits every main screen.
async fn walk(theme: &str, dir: &Path) {
    let t =
        BrowserTest::start_with(|s| s.admin_password = Secret::new(DEFAULT_ADMIN_PASSWORD)).await;
    let b = &t.browser;
    let shot = async |name: &str| {
        settle(b).await;
        b.screenshot(&dir.join(format!("{name}-{theme}.png"))).await;
    };

    b.goto("/login").await;
    choose_theme(b, theme).await;
    b.type_into(&tid("login-username"), "admin").await;
    b.type_into(&tid("login-password"), DEFAULT_ADMIN_PASSWORD)
        .await;
    shot("sign-in").await;
    b.click(&tid("login-submit")).await;

    b.wait(&tid("totp-qr")).await;
    shot("enroll-2fa").await;
    let secret = b
        .attr(&tid("totp-secret"), "data-secret")
        .await
        .expect("the secret");
    let mut authenticator = Authenticator::new(&secret);
    b.type_into(&tid("totp-code"), &authenticator.next_code().await)
        .await;

    b.wait(&tid("backup-codes")).await;
    b.click(&tid("backup-codes-saved")).await;
    shot("backup-codes").await;
    b.click(&tid("backup-codes-continue")).await;

    b.wait(&tid("change-password-page")).await;
    shot("change-password").await;
    let password = "a-much-better-admin-password";
    b.type_into(&tid("current-password"), DEFAULT_ADMIN_PASSWORD)
        .await;
    b.type_into(&tid("new-password"), password).await;
    b.type_into(&tid("confirm-password"), password).await;
    b.click(&tid("change-password-submit")).await;

    b.wait(&tid("registry-overview")).await;
    b.wait_attr(&tid("registry-health"), "data-state", "up")
        .await;
    shot("registry-browser").await;

    b.click(&tid_with("repo-link", "data-repo", fixture::APP))
        .await;
    b.wait_list(&tid("tag-row"), "data-tag", &["v1.1.0", "stable", "v1.0.0"])
        .await;
    shot("repository").await;

    b.click(&tid_with("repo-link", "data-repo", fixture::MULTIARCH))
        .await;
    b.click(&format!(
        "{} {}",
        tid_with("tag-row", "data-tag", "1.0"),
        tid("tag-link")
    ))
    .await;
    b.wait(&tid("platform-tabs")).await;
    b.wait(&tid("layers-table")).await;
    shot("tag-details").await;

    b.click(&tid_with("repo-link", "data-repo", fixture::ALPINE))
        .await;
    b.click(&format!(
        "{} {}",
        tid_with("tag-row", "data-tag", "3.19"),
        tid("tag-delete")
    ))
    .await;
    b.wait(&tid("delete-affected-tag")).await;
    shot("delete-dialog").await;
    b.click(&tid("delete-cancel")).await;
    b.wait_gone(&tid("delete-dialog")).await;

    // Two more accounts, so the users table is not a list of one.
    b.click(&tid("nav-admin")).await;
    add_user(b, "dana", "editor").await;
    shot("add-user").await;
    b.click(&tid("add-user-done")).await;
    add_user(b, "vera", "viewer").await;
    b.click(&tid("add-user-done")).await;
    b.wait_gone(&tid("add-user-dialog")).await;

    // Loaded afresh so relative times are measured from after the events they describe.
    b.goto("/settings/users").await;
    b.wait(&tid_with("user-row", "data-username", "vera")).await;
    shot("users").await;

    // Vera's grants: one namespace with write, and the preview of a pattern being typed.
    b.click(&format!(
        "{} {}",
        tid_with("user-row", "data-username", "vera"),
        tid("user-grants")
    ))
    .await;
    b.wait(&tid("grants-dialog")).await;
    b.type_into(&tid("grant-pattern"), "team/**").await;
    b.select(&tid("grant-access"), "write").await;
    b.wait(&tid("grant-preview-item")).await;
    b.click(&tid("grant-add")).await;
    b.wait(&tid_with("grant-row", "data-pattern", "team/**"))
        .await;
    b.type_into(&tid("grant-pattern"), "*/alpine").await;
    b.wait(&tid_with("grant-preview", "data-count", "1")).await;
    shot("user-grants").await;
    b.click(&tid("grants-close")).await;
    b.wait_gone(&tid("grants-dialog")).await;

    b.goto("/settings").await;
    b.wait(&tid("profile-card")).await;
    shot("settings").await;

    b.goto("/settings/registries").await;
    b.wait(&tid("registry-row")).await;
    b.click(&tid("registry-test")).await;
    b.wait_attr(&tid("registry-test-result"), "data-reachable", "true")
        .await;
    shot("registries").await;

    b.goto("/settings/tokens").await;
    b.wait(&tid("token-create-form")).await;
    for (name, write) in [("nightly-cleanup", true), ("ci-deploy", false)] {
        b.type_into(&tid("token-name"), name).await;
        if write {
            b.click(&tid("token-scope-write")).await;
        }
        b.type_into(&tid("token-password"), password).await;
        b.click(&tid("token-create-submit")).await;
        b.wait(&tid("token-secret-panel")).await;
        if !write {
            shot("token-created").await;
        }
        b.click(&tid("token-secret-done")).await;
        b.wait(&tid("token-create-form")).await;
    }
    b.wait(&tid_with("token-row", "data-name", "ci-deploy"))
        .await;
    shot("access-tokens").await;

    b.goto("/settings/all-tokens").await;
    b.wait(&tid("all-tokens-table")).await;
    shot("all-tokens").await;

    b.goto("/settings/audit").await;
    b.wait(&tid("audit-row")).await;
    shot("audit-log").await;

    b.goto("/settings/system").await;
    b.wait(&tid("system-job")).await;
    shot("system").await;

    b.goto("/settings/api").await;
    b.wait(&tid_with("api-op", "data-path", "/api/catalog"))
        .await;
    b.click(&format!(
        "{} summary",
        tid_with("api-op", "data-path", "/api/catalog")
    ))
    .await;
    shot("api-reference").await;

    // The everyday sign-in: the second step asks for the authenticator's code.
    b.click(&tid("logout")).await;
    b.wait(&tid("login-form")).await;
    submit_password(b, "admin", password).await;
    b.wait(&tid("totp-form")).await;
    shot("two-factor").await;

    t.finish().await;
}

/// Clicks the theme toggle (system → light → dark) until `theme` is on.
async fn choose_theme(b: &Browser, theme: &str) {
    b.until(format!("the {theme} theme"), async || {
        let toggle = b.find(&tid("theme-toggle")).await?;
        if toggle.attr("data-theme-choice").await.ok()?.as_deref() == Some(theme) {
            return Some(());
        }
        let _ = toggle.click().await;
        None
    })
    .await;
    let applied = b
        .script(
            "return document.documentElement.getAttribute('data-theme');",
            vec![],
        )
        .await;
    assert_eq!(applied.as_str(), Some(theme));
}

/// Opens the add-user dialog and creates `username` with a generated password.
async fn add_user(b: &Browser, username: &str, role: &str) {
    b.wait(&tid("users-page")).await;
    b.click(&tid("add-user")).await;
    b.wait(&tid("add-user-dialog")).await;
    b.type_into(&tid("new-user-username"), username).await;
    b.select(&tid("new-user-role"), role).await;
    b.click(&tid("add-user-submit")).await;
    b.wait(&tid("generated-password")).await;
}

/// Waits for a still page: no loading placeholders or spinners, fonts in, no toasts (they are
/// dismissed), and a moment for transitions to end.
async fn settle(b: &Browser) {
    b.until("the page to finish loading", async || {
        let busy = b
            .count("[data-testid$='-loading'], .spinner, .skeleton")
            .await;
        (busy == 0).then_some(())
    })
    .await;
    b.until("the toasts to be dismissed", async || {
        match b.find(&tid("toast-dismiss")).await {
            Some(button) => {
                let _ = button.click().await;
                None
            }
            None => (!b.exists(&tid("toast")).await).then_some(()),
        }
    })
    .await;
    let _ = b
        .script_async(
            "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));",
        )
        .await;
    // CSS transitions (dialogs, toasts, theme) last at most ~200 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
}
