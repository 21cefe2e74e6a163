//! Journey 7: an access token is created in the SPA, copied, used by a script, then revoked in
//! the SPA and refused.

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::first_sign_in;

#[tokio::test]
async fn a_token_made_in_the_spa_works_for_a_script_until_it_is_revoked_there() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    first_sign_in(b, "admin", ADMIN_PASSWORD).await;
    let can_read_clipboard = b.grant_permission("clipboard-read").await;

    b.click(&tid("nav-settings")).await;
    b.click(&tid("settings-nav-tokens")).await;
    b.wait(&tid("tokens-page")).await;
    b.wait(&tid("empty-state")).await;
    // An admin may choose every scope; 30 days is preselected.
    for scope in ["read", "write", "admin"] {
        b.wait(&tid(&format!("token-scope-{scope}"))).await;
    }
    assert_eq!(b.value(&tid("token-expiry")).await, "30");

    // A wrong password is said in words, and nothing is created.
    b.type_into(&tid("token-name"), "ci-deploy").await;
    b.type_into(&tid("token-password"), "not-my-password").await;
    b.click(&tid("token-create-submit")).await;
    b.wait_text(&tid("token-create-error"), "password is not correct")
        .await;

    b.click(&tid("token-scope-write")).await;
    b.type_into(&tid("token-password"), ADMIN_PASSWORD).await;
    b.click(&tid("token-create-submit")).await;
    b.wait_text(&tid("token-secret-panel"), "you will not see it again")
        .await;
    let secret = b.value(&tid("token-secret")).await;
    assert!(secret.starts_with("rgp_"), "{secret}");
    b.click(&tid("token-secret-copy")).await;
    let method = b
        .until("the copy button reports", || async {
            b.find(&tid("token-secret-copy"))
                .await?
                .attr("data-copied")
                .await
                .ok()?
        })
        .await;
    if method == "clipboard" && can_read_clipboard {
        let pasted = b
            .script_async(
                "const done = arguments[arguments.length - 1];
                 navigator.clipboard.readText().then(done, e => done('read failed: ' + e));",
            )
            .await
            .expect("clipboard read script");
        assert_eq!(pasted.as_str(), Some(secret.as_str()));
    }
    b.click(&tid("token-secret-done")).await;
    b.wait_gone(&tid("token-secret-panel")).await;
    let row = tid_with("token-row", "data-name", "ci-deploy");
    b.wait_text(&row, "never").await;
    assert!(
        b.text(&row).await.contains(&secret[4..12]),
        "the prefix is shown"
    );
    assert!(!b.text(&tid("tokens-page")).await.contains(&secret[12..]));

    // A script uses it.
    let http = reqwest::Client::new();
    let catalog = http
        .get(t.app.url("/api/catalog"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(catalog.status(), 200);
    // The list shows the use after a refresh.
    b.refresh().await;
    b.wait_text(&row, "127.0.0.1").await;

    // The admin page lists it with its owner.
    b.click(&tid("settings-nav-all-tokens")).await;
    b.wait(&tid("all-tokens-table")).await;
    b.wait_text(&row, "admin").await;

    // Revoked in the SPA, with confirmation; the script is refused from then on.
    b.click(&tid("settings-nav-tokens")).await;
    b.click(&format!("{row} [data-testid=\"token-revoke\"]"))
        .await;
    b.wait(&tid("token-revoke-dialog")).await;
    b.click(&format!(
        "{} {}",
        tid("token-revoke-dialog"),
        tid("confirm-ok")
    ))
    .await;
    b.wait_gone(&row).await;
    b.wait(&tid("empty-state")).await;
    let refused = http
        .get(t.app.url("/api/catalog"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    t.finish().await;
}
