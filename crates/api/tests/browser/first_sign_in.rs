//! Journey 1: the very first sign-in of the bootstrapped admin with the default password.

use registry_gui::config::DEFAULT_ADMIN_PASSWORD;
use registry_gui::secret::Secret;

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::sign_in::{change_forced_password, enroll, wait_for_registry_browser};

#[tokio::test]
async fn the_first_admin_sign_in_enrolls_2fa_changes_the_default_password_and_opens_the_browser() {
    let t =
        BrowserTest::start_with(|s| s.admin_password = Secret::new(DEFAULT_ADMIN_PASSWORD)).await;
    let b = &t.browser;

    // A visitor's deep link leads to sign-in, which remembers it.
    b.goto("/r/default/library/alpine").await;
    b.wait_path("/login?next=%2Fr%2Fdefault%2Flibrary%2Falpine")
        .await;

    // The server asks for an authenticator before anything else; the test reads the secret
    // from the page and answers with the code an app would show.
    let mut admin = enroll(b, "admin", DEFAULT_ADMIN_PASSWORD).await;

    // The default password is never kept: the app holds the admin on the change form.
    b.wait_path("/change-password").await;
    change_forced_password(b, &mut admin, "a-much-better-admin-password").await;

    // Back where the visitor was going, in the registry browser.
    wait_for_registry_browser(b).await;
    b.wait_path("/r/default/library/alpine").await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        "library/alpine",
    ))
    .await;
    b.wait(&tid_with("user-menu", "data-username", "admin"))
        .await;
    assert_eq!(
        b.attr(&tid("user-menu"), "data-role").await.as_deref(),
        Some("admin")
    );
    b.wait(&tid("nav-admin")).await;
    b.wait_attr(&tid("registry-health"), "data-state", "up")
        .await;

    // The session lives in sessionStorage: a reload keeps the user signed in, on the same page.
    b.refresh().await;
    wait_for_registry_browser(b).await;
    b.wait_list(&tid("tag-row"), "data-tag", &["3.19", "latest", "3.18"])
        .await;
    t.finish().await;
}
