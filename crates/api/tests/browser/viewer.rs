//! Journey 4: an admin adds a viewer in the UI; the viewer signs in with the generated password
//! and can browse but neither delete nor administer.

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::{
    change_forced_password, enroll, first_sign_in, sign_out, wait_for_registry_browser,
};
use crate::support::fixture;

#[tokio::test]
async fn an_admin_adds_a_viewer_who_signs_in_and_sees_no_delete_buttons_or_admin_menu() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    first_sign_in(b, "admin", ADMIN_PASSWORD).await;

    // The admin adds the viewer and leaves the password to the generator.
    b.click(&tid("nav-admin")).await;
    b.wait(&tid("users-page")).await;
    b.wait(&tid_with("user-row", "data-username", "admin"))
        .await;
    b.click(&tid("add-user")).await;
    b.wait(&tid("add-user-dialog")).await;
    b.type_into(&tid("new-user-username"), "vera").await;
    b.select(&tid("new-user-role"), "viewer").await;
    b.click(&tid("add-user-submit")).await;
    b.wait(&tid("add-user-result")).await;
    let generated = b.value(&tid("generated-password")).await;
    assert!(generated.len() >= 12, "a strong password: {generated:?}");
    b.click(&tid("add-user-done")).await;
    b.wait_gone(&tid("add-user-dialog")).await;
    let row = tid_with("user-row", "data-username", "vera");
    b.wait(&row).await;
    assert_eq!(
        b.value(&format!("{row} {}", tid("user-role"))).await,
        "viewer"
    );
    sign_out(b).await;

    // The viewer's first sign-in: authenticator, backup codes, then their own password.
    let mut vera = enroll(b, "vera", &generated).await;
    b.wait_path("/change-password").await;
    change_forced_password(b, &mut vera, "vera-chose-this-one").await;
    wait_for_registry_browser(b).await;
    b.wait(&tid_with("user-menu", "data-role", "viewer")).await;
    assert!(!b.exists(&tid("nav-admin")).await, "no admin menu");

    // Tags, but nothing to delete them with.
    b.click(&tid_with("repo-link", "data-repo", fixture::ALPINE))
        .await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::ALPINE,
    ))
    .await;
    b.wait_list(&tid("tag-row"), "data-tag", &["3.19", "latest", "3.18"])
        .await;
    for control in ["tag-delete", "tag-select", "select-all-tags", "bulk-delete"] {
        assert!(!b.exists(&tid(control)).await, "a viewer sees no {control}");
    }
    b.click(&format!(
        "{} {}",
        tid_with("tag-row", "data-tag", "3.18"),
        tid("tag-link")
    ))
    .await;
    b.wait(&tid_with("tag-details", "data-tag", "3.18")).await;
    b.wait(&tid("manifest-digest")).await;
    assert!(!b.exists(&tid("tag-details-delete")).await);

    // Settings has only the viewer's own profile; admin pages say so when opened directly.
    b.click(&tid("nav-settings")).await;
    // Case-blind: the badge is styled, and WebDriver reads text as rendered.
    b.until("the profile to show the viewer role", async || {
        let role = b.find(&tid("profile-role")).await?.text().await.ok()?;
        role.eq_ignore_ascii_case("viewer").then_some(())
    })
    .await;
    for link in [
        "settings-nav-users",
        "settings-nav-registries",
        "settings-nav-audit",
    ] {
        assert!(!b.exists(&tid(link)).await, "a viewer has no {link}");
    }
    b.goto("/settings/users").await;
    b.until("the administrators-only notice", async || {
        let text = b.text("main").await;
        text.contains("Administrators only").then_some(())
    })
    .await;
    assert!(!b.exists(&tid("users-table")).await);

    // Everyone gets the API reference, rendered from the server's own OpenAPI document.
    b.click(&tid("settings-nav-api")).await;
    b.wait(&tid_with(
        "api-op",
        "data-path",
        "/api/repositories/{repo}/tags",
    ))
    .await;
    assert!(
        b.exists(&tid_with("api-group", "data-tag", "admin: users"))
            .await
    );
    b.type_into(&tid("api-filter"), "delete-tags").await;
    b.until("the filter to leave only the bulk delete", async || {
        (b.count(&tid("api-op")).await == 1).then_some(())
    })
    .await;
    assert!(b.exists(&tid_with("api-op", "data-method", "POST")).await);
    t.finish().await;
}
