//! `/settings/api`: the server's OpenAPI document (`/api/openapi.json`) as a readable reference,
//! for everyone who scripts against the API. Rendered from the live document, so it always
//! matches the server; nothing is fetched from anywhere else.
//!
//! Test ids: `api-page`, `api-download`, `api-filter`, `api-group` (`data-tag`), `api-op`
//! (`data-method`, `data-path`).
use leptos::prelude::*;
use serde_json::Value;

use crate::api;
use crate::components::feedback::{EmptyState, ErrorPanel, SkeletonRows};
use crate::components::icons::{Glyph, Icon};

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub signed_in: bool,
    pub params: Vec<Param>,
    pub body_example: Option<String>,
    pub responses: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub tag: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// `string`, `integer?`, `Role`: the type of a schema in a few characters.
fn schema_kind(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => {
            let named: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            format!("{}?", named.join(" | "))
        }
        _ => "object".to_string(),
    }
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let params = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| Param {
                    name: text(&p["name"]),
                    location: text(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    kind: schema_kind(&p["schema"]),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let json = &op["requestBody"]["content"]["application/json"];
    let body_example = if json.is_null() {
        None
    } else if !json["example"].is_null() {
        serde_json::to_string_pretty(&json["example"]).ok()
    } else {
        Some(schema_kind(&json["schema"]))
    };
    let responses = op["responses"]
        .as_object()
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| (status.clone(), text(&r["description"])))
                .collect()
        })
        .unwrap_or_default();
    Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text(&op["summary"]),
        description: text(&op["description"]),
        signed_in: op["security"]
            .as_array()
            .is_some_and(|reqs| reqs.iter().any(|r| r.get("bearerAuth").is_some())),
        params,
        body_example,
        responses,
    }
}

/// The document's operations grouped by their first tag, in the document's tag order.
pub fn groups(doc: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Group {
                    tag: text(&t["name"]),
                    description: text(&t["description"]),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(paths) = doc["paths"].as_object() else {
        return groups;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in ["get", "head", "post", "patch", "put", "delete"] {
            let Some(op) = item.get(method) else {
                continue;
            };
            let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
            let index = match groups.iter().position(|g| g.tag == tag) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        tag: tag.clone(),
                        description: String::new(),
                        operations: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[index].operations.push(operation(method, path, op));
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    groups
}

fn matches(op: &Operation, filter: &str) -> bool {
    filter.is_empty()
        || op.path.to_lowercase().contains(filter)
        || op.summary.to_lowercase().contains(filter)
        || op.method.to_lowercase() == filter
}

#[component]
pub fn ApiReference() -> impl IntoView {
    let nonce = RwSignal::new(0u32);
    let document = LocalResource::new(move || {
        nonce.track();
        api::openapi()
    });
    let filter = RwSignal::new(String::new());
    view! {
        <div class="page" id="api-page" data-testid="api-page">
            <header class="page-header">
                <div>
                    <h1>"API reference"</h1>
                    <p class="muted">
                        "Every endpoint of this server, from its OpenAPI 3.1 document. Sign in with "
                        <code>"POST /api/auth/login"</code>" and "<code>"POST /api/auth/verify-2fa"</code>
                        ", then send the token as "<code>"Authorization: Bearer <token>"</code>"."
                    </p>
                </div>
                <div class="page-actions">
                    <a class="btn" href="/api/openapi.json" download="registry-gui-openapi.json" id="api-download" data-testid="api-download">
                        <Icon glyph=Glyph::Download/>
                        <span>"openapi.json"</span>
                    </a>
                </div>
            </header>
            <div class="toolbar">
                <div class="search-field">
                    <Icon glyph=Glyph::Search/>
                    <input type="search" id="api-filter" data-testid="api-filter" placeholder="Filter by path, method or summary"
                        aria-label="Filter endpoints" autocomplete="off" spellcheck="false"
                        prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
                </div>
            </div>
            {move || match document.get() {
                None => view! { <div class="card"><SkeletonRows rows=8/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| nonce.update(|n| *n += 1))/> }.into_any(),
                Some(Ok(doc)) => {
                    let all = groups(&doc);
                    view! { <Groups all=all filter=filter/> }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Groups(all: Vec<Group>, filter: RwSignal<String>) -> impl IntoView {
    move || {
        let wanted = filter.get().trim().to_lowercase();
        let shown: Vec<Group> = all
            .iter()
            .map(|g| Group {
                operations: g
                    .operations
                    .iter()
                    .filter(|op| matches(op, &wanted))
                    .cloned()
                    .collect(),
                ..g.clone()
            })
            .filter(|g| !g.operations.is_empty())
            .collect();
        if shown.is_empty() {
            return view! {
                <div class="card"><EmptyState glyph=Glyph::Search title="No endpoints" detail="Nothing matches this filter."/></div>
            }
            .into_any();
        }
        shown
            .into_iter()
            .map(|g| {
                view! {
                    <section class="card api-group" data-testid="api-group" data-tag=g.tag.clone()>
                        <h2 class="card-title">{g.tag.clone()}</h2>
                        <p class="muted">{g.description.clone()}</p>
                        {g.operations.into_iter().map(|op| view! { <OperationView op=op/> }).collect_view()}
                    </section>
                }
            })
            .collect_view()
            .into_any()
    }
}

#[component]
fn OperationView(op: Operation) -> impl IntoView {
    let method_class = format!("api-method api-method-{}", op.method.to_lowercase());
    let params = (!op.params.is_empty()).then(|| {
        view! {
            <h3>"Parameters"</h3>
            <table class="table api-params">
                <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Description"</th></tr></thead>
                <tbody>
                    {op.params.iter().map(|p| view! {
                        <tr>
                            <td><code>{p.name.clone()}</code>{p.required.then_some(" *")}</td>
                            <td>{p.location.clone()}</td>
                            <td><code>{p.kind.clone()}</code></td>
                            <td>{p.description.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    });
    let body = op.body_example.clone().map(|example| {
        view! {
            <h3>"Request body"</h3>
            <pre class="api-example">{example}</pre>
        }
    });
    view! {
        <details class="api-op" data-testid="api-op" data-method=op.method.clone() data-path=op.path.clone()>
            <summary>
                <span class=method_class>{op.method.clone()}</span>
                <code class="api-path">{op.path.clone()}</code>
                <span class="api-summary">{op.summary.clone()}</span>
                {op.signed_in.then(|| view! { <span class="badge badge-muted" title="Needs a session">
                    <Icon glyph=Glyph::Lock/>"session"</span> })}
            </summary>
            <div class="api-op-body">
                <p class="api-description">{op.description.clone()}</p>
                {params}
                {body}
                <h3>"Responses"</h3>
                <ul class="api-responses">
                    {op.responses.iter().map(|(status, description)| view! {
                        <li><code>{status.clone()}</code>" "{description.clone()}</li>
                    }).collect_view()}
                </ul>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_grouped_by_tag_in_document_order() {
        let doc = serde_json::json!({
            "tags": [{"name": "auth", "description": "Sign-in"}, {"name": "empty"}],
            "paths": {
                "/api/auth/me": {
                    "get": {"tags": ["auth"], "summary": "Me", "security": [{"bearerAuth": []}],
                            "responses": {"200": {"description": "ok"}, "401": {"description": "Error: `invalid_token`."}}},
                    "patch": {"tags": ["auth"], "summary": "Update",
                              "parameters": [{"name": "x", "in": "query", "schema": {"type": ["integer", "null"]}}],
                              "requestBody": {"content": {"application/json": {"example": {"a": 1}}}},
                              "responses": {}}
                },
                "/healthz": {"get": {"tags": ["ops"], "responses": {}}}
            }
        });
        let groups = groups(&doc);
        let tags: Vec<&str> = groups.iter().map(|g| g.tag.as_str()).collect();
        assert_eq!(
            tags,
            ["auth", "ops"],
            "empty tags are dropped, unknown ones appended"
        );
        let me = &groups[0].operations[0];
        assert_eq!((me.method.as_str(), me.signed_in), ("GET", true));
        assert_eq!(
            me.responses[1],
            ("401".to_string(), "Error: `invalid_token`.".to_string())
        );
        let update = &groups[0].operations[1];
        assert_eq!(update.params[0].kind, "integer?");
        assert!(update.body_example.as_deref().unwrap().contains("\"a\": 1"));
        assert!(!groups[1].operations[0].signed_in);
    }

    #[test]
    fn the_filter_matches_paths_summaries_and_methods() {
        let op = Operation {
            method: "DELETE".into(),
            path: "/api/admin/users/{username}".into(),
            summary: "Deletes a user".into(),
            description: String::new(),
            signed_in: true,
            params: vec![],
            body_example: None,
            responses: vec![],
        };
        assert!(matches(&op, ""));
        assert!(matches(&op, "users"));
        assert!(matches(&op, "deletes"));
        assert!(matches(&op, "delete"));
        assert!(!matches(&op, "registries"));
    }
}
