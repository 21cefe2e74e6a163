//! Docker token auth: tokens cached per scope until they expire, renewed once when the
//! registry refuses one.
use std::time::Duration;

use crate::registry_common::*;
use crate::support::{AuthMode, TokenFields};

#[tokio::test]
async fn a_token_is_reused_for_its_scope_and_replaced_once_it_expires() {
    let registry = start_registry(AuthMode::Token).await;
    registry.seed_standard().await;
    let tokens = registry.token_server().expect("token server");
    tokens.set_expires_in(2);
    tokens.set_token_fields(TokenFields::TokenOnly);
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let t = admin.token.as_str();
    tokens.reset_counts();

    let first = app.get("/api/catalog?refresh=true", t).await;
    let issued_first = tokens.tokens_issued_for("registry:catalog:*");
    let second = app.get("/api/catalog?refresh=true", t).await;
    let issued_second = tokens.tokens_issued_for("registry:catalog:*");
    proxy.reset();
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let third = app.get("/api/catalog?refresh=true", t).await;
    let issued_third = tokens.tokens_issued_for("registry:catalog:*");
    let tags = app
        .get("/api/repositories/team/app/tags?details=true", t)
        .await;

    for res in [first, second, third, tags] {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(issued_first, 1);
    assert_eq!(
        issued_second, 1,
        "the cached token is reused within its lifetime"
    );
    assert_eq!(issued_third, 2, "an expired token is replaced");
    assert_eq!(
        proxy.count_starting_with("/v2/_catalog"),
        1,
        "the new token is fetched before the request, not after a 401"
    );
    assert_eq!(
        tokens.tokens_issued_for("repository:team/app:pull"),
        1,
        "one token per scope"
    );
}

#[tokio::test]
async fn a_token_the_registry_refuses_is_renewed_once_and_the_request_retried() {
    let registry = start_registry(AuthMode::Token).await;
    let tokens = registry.token_server().expect("token server");
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();
    tokens.set_stale(true);
    tokens.set_token_fields(TokenFields::AccessTokenOnly);
    tokens.reset_counts();

    let refused = app.get("/api/catalog?refresh=true", t).await;
    let issued_while_stale = tokens.tokens_issued();
    tokens.set_stale(false);
    let recovered = app.get("/api/catalog?refresh=true", t).await;

    let (status, body) = status_and_json(refused).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_auth_failed")),
        "{body}"
    );
    assert_eq!(issued_while_stale, 1, "one token, one retry, then give up");
    assert_eq!(recovered.status(), 200);
    assert_eq!(
        tokens.tokens_issued(),
        2,
        "the cached stale token was refused, replaced once and the request retried"
    );
}

#[tokio::test]
async fn deleting_asks_for_a_delete_scope() {
    let registry = start_registry(AuthMode::Token).await;
    registry.seed_standard().await;
    let tokens = registry.token_server().expect("token server");
    let (app, admin) = app_for(&registry).await;
    tokens.reset_counts();

    let res = app
        .delete("/api/repositories/team/app/manifests/v1.1.0", &admin.token)
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(tokens.tokens_issued_for("repository:team/app:delete"), 1);
    assert_eq!(tokens.tokens_issued_for("repository:team/app:pull"), 1);
}
