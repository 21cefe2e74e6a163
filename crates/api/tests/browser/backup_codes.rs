//! Journey 5: a backup code replaces the authenticator exactly once.

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::{first_sign_in, sign_out, submit_backup_code, wait_for_registry_browser};

#[tokio::test]
async fn a_backup_code_signs_in_once_and_is_refused_the_second_time() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    let admin = first_sign_in(b, "admin", ADMIN_PASSWORD).await;
    let code = admin.backup_codes[0].clone();
    sign_out(b).await;

    submit_backup_code(b, &admin, &code).await;
    wait_for_registry_browser(b).await;
    b.click(&tid("nav-settings")).await;
    b.wait_text(&tid("backup-codes-remaining"), "9 of 10").await;
    sign_out(b).await;

    submit_backup_code(b, &admin, &code).await;
    let error = tid_with("login-error", "data-error", "invalid_code");
    b.wait_text(
        &error,
        "That backup code is not valid or has already been used.",
    )
    .await;
    // Still on the second step, free to try another code.
    b.wait(&tid("totp-form")).await;
    b.wait(&tid("backup-code-input")).await;
    assert!(b.path().await.starts_with("/login"));
    t.finish().await;
}
