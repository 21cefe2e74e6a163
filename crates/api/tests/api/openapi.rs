//! `GET /api/openapi.json` against the routes actix really serves.
use actix_web::dev::ResourceDef;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::registry_common::{app_for, start_registry};
use crate::support::AuthMode;

/// A concrete path for a documented template (`{repo}` → `team/app`, ...).
fn concrete(template: &str) -> String {
    template
        .replace("{repo}", "team/app")
        .replace("{reference}", "latest")
        .replace("{username}", "nobody-here")
        .replace("{name}", "nowhere")
}

/// `(METHOD, path template, operation)` for every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

async fn document() -> Value {
    document_of(&spawn_app().await).await
}

async fn document_of(app: &TestApp) -> Value {
    let res = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the document needs no session");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_a_bearer_scheme_and_the_error_catalog() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    let codes = doc["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"]
        .as_array()
        .expect("the error codes are an enum");
    for code in [
        "invalid_token",
        "too_many_attempts",
        "last_admin",
        "registry_timeout",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code}");
    }
    // A signed-in operation documents its 401 with an example per code.
    let me = &doc["paths"]["/api/auth/me"]["get"];
    assert_eq!(me["security"][0]["bearerAuth"], Value::Array(vec![]));
    assert_eq!(
        me["responses"]["401"]["content"]["application/json"]["examples"]["invalid_token"]["value"]
            ["error"],
        "invalid_token"
    );
    // Sign-in is public.
    assert!(doc["paths"]["/api/auth/login"]["post"]["security"].is_null());
}

#[tokio::test]
async fn every_registered_route_is_documented_and_every_documented_route_is_registered() {
    let doc = document().await;
    let documented = operations(&doc);
    let registered = registry_gui::routes::all_routes();
    assert!(registered.len() >= 30, "{registered:?}");

    for (method, pattern) in &registered {
        let def = ResourceDef::new(pattern.as_str());
        assert!(
            documented
                .iter()
                .any(|(m, path, _)| m.eq_ignore_ascii_case(method) && def.is_match(&concrete(path))),
            "{method} {pattern} is served but not in the document"
        );
    }
    for (method, path, _) in &documented {
        let url = concrete(path);
        assert!(
            registered
                .iter()
                .any(|(m, pattern)| m.eq_ignore_ascii_case(method)
                    && ResourceDef::new(pattern.as_str()).is_match(&url)),
            "{method} {path} is documented but no route serves it"
        );
    }
}

/// Calls every documented operation for real: each must reach its handler (not the JSON 404
/// for unknown endpoints, not a 405) and answer with a status its documentation lists.
#[tokio::test]
async fn every_documented_operation_answers_with_a_documented_status() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin) = app_for(&registry).await;
    let doc = document_of(&app).await;
    let mut ops = operations(&doc);
    // Signing out revokes the token the other calls use.
    ops.sort_by_key(|(_, path, _)| path == "/api/auth/logout");

    for (method, path, op) in ops {
        let url = app.url(&concrete(&path));
        let mut req = app
            .http
            .request(method.parse().unwrap(), &url)
            .bearer_auth(&admin.token);
        if op.get("requestBody").is_some() {
            req = req.json(&serde_json::json!({}));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(
            !body.contains("no API endpoint"),
            "{method} {path} fell through to the unknown-endpoint handler: {body}"
        );
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{method} {path} answered {status}, which its documentation does not list: {body}"
        );
    }
}
