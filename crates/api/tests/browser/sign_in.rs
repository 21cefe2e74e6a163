//! Signing in through the SPA like a person with an authenticator app would.

use std::time::Duration;

use registry_gui::auth::totp;

use crate::browser::{tid, Browser};
use crate::support::fixture;

/// The test's authenticator app: computes codes from the secret the enrollment page shows.
///
/// The server accepts each 30 s step once per user (replay protection) and the steps either side
/// of now, so a second sign-in within the same step uses the next step's code, and a third
/// waits for time to catch up.
#[derive(Debug, Clone)]
pub struct Authenticator {
    secret: String,
    last_step: Option<u64>,
}

impl Authenticator {
    pub fn new(secret: &str) -> Self {
        Self {
            secret: secret.to_string(),
            last_step: None,
        }
    }

    pub async fn next_code(&mut self) -> String {
        let now_step = unix_now() / 30;
        let step = match self.last_step {
            Some(last) if last >= now_step => last + 1,
            _ => now_step,
        };
        while step > unix_now() / 30 + 1 {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.last_step = Some(step);
        totp::current_code(&self.secret, step * 30).expect("the page shows a valid base32 secret")
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// An account as the test knows it after signing in through the UI.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub password: String,
    pub authenticator: Authenticator,
    pub backup_codes: Vec<String>,
}

/// Step one: username and password on `/login` (opened if the browser is elsewhere).
pub async fn submit_password(b: &Browser, username: &str, password: &str) {
    if !b.path().await.starts_with("/login") {
        b.goto("/login").await;
    }
    b.wait(&tid("login-form")).await;
    b.retype(&tid("login-username"), username).await;
    b.retype(&tid("login-password"), password).await;
    b.click(&tid("login-submit")).await;
}

/// A first sign-in: password, then enrollment with a code computed from the secret on the page,
/// then the backup codes, confirmed and continued past. Where the app goes next (the forced
/// password change or the page asked for) is up to the caller.
pub async fn enroll(b: &Browser, username: &str, password: &str) -> Account {
    submit_password(b, username, password).await;
    b.wait(&tid("enroll-form")).await;
    b.wait(&tid("totp-qr")).await;
    let secret = b
        .attr(&tid("totp-secret"), "data-secret")
        .await
        .expect("the enrollment page shows the secret");
    assert_eq!(
        b.value(&tid("totp-secret")).await,
        secret,
        "the copyable secret is the one in data-secret"
    );
    let mut authenticator = Authenticator::new(&secret);
    // Six digits submit the form by themselves.
    b.type_into(&tid("totp-code"), &authenticator.next_code().await)
        .await;

    b.wait(&tid("backup-codes")).await;
    let backup_codes = b.texts(&tid("backup-code")).await;
    assert_eq!(backup_codes.len(), 10, "ten backup codes: {backup_codes:?}");
    assert!(
        !b.is_enabled(&tid("backup-codes-continue")).await,
        "continuing needs the confirmation first"
    );
    b.click(&tid("backup-codes-saved")).await;
    b.click(&tid("backup-codes-continue")).await;
    b.wait_gone(&tid("backup-codes")).await;
    Account {
        username: username.to_string(),
        password: password.to_string(),
        authenticator,
        backup_codes,
    }
}

/// The forced password change on `/change-password`; lands on the page asked for originally.
pub async fn change_forced_password(b: &Browser, account: &mut Account, new_password: &str) {
    b.wait(&tid("change-password-page")).await;
    b.type_into(&tid("current-password"), &account.password)
        .await;
    b.type_into(&tid("new-password"), new_password).await;
    b.type_into(&tid("confirm-password"), new_password).await;
    b.click(&tid("change-password-submit")).await;
    b.wait_gone(&tid("change-password-page")).await;
    account.password = new_password.to_string();
}

/// A later sign-in with a code from the authenticator.
pub async fn sign_in(b: &Browser, account: &mut Account) {
    submit_password(b, &account.username, &account.password).await;
    b.wait(&tid("totp-form")).await;
    let code = account.authenticator.next_code().await;
    b.type_into(&tid("totp-code"), &code).await;
    b.wait_gone(&tid("totp-form")).await;
}

/// Password, then a backup code instead of the authenticator; leaves the result to the caller.
pub async fn submit_backup_code(b: &Browser, account: &Account, code: &str) {
    submit_password(b, &account.username, &account.password).await;
    b.wait(&tid("totp-form")).await;
    b.click(&tid("use-backup-code")).await;
    b.type_into(&tid("backup-code-input"), code).await;
    b.click(&tid("verify-submit")).await;
}

/// Signs out from the top bar and waits for the sign-in page.
pub async fn sign_out(b: &Browser) {
    b.click(&tid("logout")).await;
    b.wait(&tid("login-form")).await;
    b.wait_text(&tid("login-notice"), "signed out").await;
}

/// Waits for the registry browser to list every repository of the standard fixture.
pub async fn wait_for_registry_browser(b: &Browser) {
    b.wait_path("/r/default").await;
    b.wait(&tid("repo-tree")).await;
    let mut expected = fixture::REPOSITORIES.to_vec();
    expected.sort_unstable();
    b.until("the 7 fixture repositories in the sidebar", async || {
        let mut shown = b.attrs(&tid("repo-link"), "data-repo").await;
        shown.sort_unstable();
        (shown == expected).then_some(())
    })
    .await;
    b.wait_text(&tid("repo-count"), "7 repositories").await;
}

/// Signs in `username` for the first time (no forced change): enrollment, backup codes,
/// then the registry browser.
pub async fn first_sign_in(b: &Browser, username: &str, password: &str) -> Account {
    b.goto("/").await;
    let account = enroll(b, username, password).await;
    wait_for_registry_browser(b).await;
    account
}
