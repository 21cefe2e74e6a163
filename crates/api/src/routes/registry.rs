//! `/api/health`, `/api/catalog` and `/api/repositories/*`: browsing and deleting.
//!
//! Repository names contain slashes, so one `/repositories/{tail:.*}` resource serves every
//! repository operation; `repository_path` splits and validates the raw path (400 before any
//! registry is contacted).
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::ErrorCode;
use shared::permissions::AccessLevel;
use shared::registry::{
    BulkDeleteRequest, BulkDeleteResponse, CatalogPage, DeleteResponse, HealthResponse,
    ManifestDetails, TagPage,
};

use super::repository_path::{no_endpoint, parse_repository_path, Operation, RepositoryRoute};
use super::JsonBody;
use crate::auth::client_ip::client_ip;
use crate::auth::AuthUser;
use crate::domain::{Access, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};
use crate::permissions::{self, hidden};
use crate::registry::browse::{
    self, CatalogQuery, Paging, RegistryQuery, TagListOptions, TagListQuery,
};
use crate::registry::delete::{self, DeletedDigest};
use crate::registry::RegistryHandle;
use crate::registry_login;
use crate::state::AppState;
use crate::storage::audit;

/// Most tags one bulk delete may name.
pub const MAX_BULK_TAGS: usize = 1000;

/// The request's registry and the caller's access there (`permissions::for_request`).
async fn resolve(
    state: &AppState,
    auth: &AuthUser,
    requested: Option<&str>,
) -> AppResult<(RegistryHandle, Access)> {
    permissions::for_request(&state.resolver(), auth, requested).await
}

// One catch-all resource serves every `/repositories/...` operation (see the module docs); the
// OpenAPI document lists the operations separately.
super::routes! {
    get "/health" => health [read],
    get "/catalog" => catalog [read],
    get "/repositories/{tail:.*}" => repository_get [read],
    delete "/repositories/{tail:.*}" => repository_delete [write],
    post "/repositories/{tail:.*}" => repository_post [write],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    health,
    catalog,
    list_tags,
    get_manifest,
    repository_delete,
    repository_post
))]
pub struct Doc;

/// The parameters as the OpenAPI document shows them, each defined once. Never constructed:
/// the handlers parse the raw path and query strings themselves, so bad input gets our own
/// error codes.
#[allow(dead_code)]
mod params {
    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct Repo {
        /// Repository name, namespaces included (`team/app`); the slashes may also be sent percent-encoded (`team%2Fapp`).
        #[param(
            pattern = r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$",
            max_length = 255,
            example = "team/app"
        )]
        repo: String,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct Reference {
        /// A tag (`v1.2`) or a digest (`sha256:…`, the colon may be percent-encoded).
        #[param(
            pattern = r"^([A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$",
            example = "latest"
        )]
        reference: String,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Registry {
        /// The registry to use (its name); default: the caller's default registry.
        #[param(example = "local")]
        registry: Option<String>,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Refresh {
        /// Bypass the cache and ask the registry again.
        refresh: Option<bool>,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Paging {
        /// Page number (default 1).
        #[param(minimum = 1)]
        page: Option<u64>,
        /// Items per page (default 100).
        #[param(minimum = 1, maximum = 1000)]
        per_page: Option<u64>,
    }
}

fn route_of(req: &HttpRequest, operation: Operation) -> AppResult<RepositoryRoute> {
    // The raw path: actix's match info has already decoded some escapes.
    let path = req.uri().path();
    let tail = path
        .strip_prefix("/api/repositories/")
        .ok_or_else(|| no_endpoint(path))?;
    parse_repository_path(tail, operation).map_err(|e| {
        if e.error_code() == ErrorCode::NotFound {
            super::no_such_endpoint(req)
        } else {
            e
        }
    })
}

/// Whether the registry answers `GET /v2/`, with its API version and latency.
/// An unreachable registry is a 503 with the same body.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(params::Registry),
    responses(
        (status = 200, description = "The registry answers.", body = HealthResponse),
        (status = 503, description = "The registry does not answer (see `error`).", body = HealthResponse),
    ),
)]
async fn health(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<RegistryQuery>,
) -> AppResult<HttpResponse> {
    let (handle, _) = resolve(&state, &auth, query.registry.as_deref()).await?;
    let body = browse::health(&handle).await;
    Ok(if body.reachable {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}

/// Repositories of the registry, sorted by name, filtered and paged. The whole catalog is
/// read from the registry (following `Link` pagination) and cached for `CACHE_TTL_SECS`.
#[utoipa::path(
    get,
    path = "/api/catalog",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(
        params::Registry,
        ("q" = Option<String>, Query, description = "Only repositories whose name contains this text (case-insensitive)."),
        params::Paging,
        params::Refresh,
    ),
    responses((status = 200, description = "One page of repositories.", body = CatalogPage)),
)]
async fn catalog(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<CatalogQuery>,
) -> AppResult<HttpResponse> {
    let paging = Paging::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let refresh = browse::parse_bool("refresh", query.refresh.as_deref())?;
    let (handle, access) = resolve(&state, &auth, query.registry.as_deref()).await?;
    let page = browse::catalog_page(&handle, &access, query.q.as_deref(), paging, refresh).await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn repository_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    query: web::Query<TagListQuery>,
) -> AppResult<HttpResponse> {
    match route_of(&req, Operation::Read)? {
        RepositoryRoute::Tags(repo) => list_tags(&state, &auth, &query, &repo).await,
        RepositoryRoute::Manifest(repo, reference) => {
            get_manifest(&state, &auth, &query, &repo, &reference).await
        }
        RepositoryRoute::DeleteTags(_) => Err(super::no_such_endpoint(&req)),
    }
}

/// Tags of a repository, sorted, filtered and paged. With `details=true` (implied by sorting
/// on `created` or `size`) each tag carries its digest, size, creation time and platforms;
/// details come from manifests cached by digest, fetched concurrently and bounded.
#[utoipa::path(
    get,
    path = "/api/repositories/{repo}/tags",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(
        params::Repo,
        params::Registry,
        ("details" = Option<bool>, Query, description = "Include digest, size, creation time and platforms of each tag on the page."),
        ("sort" = Option<String>, Query, description = "`name` (default), `created` or `size`.", example = "created"),
        ("order" = Option<String>, Query, description = "`asc` or `desc`; default `asc` for names, `desc` otherwise.", example = "desc"),
        ("q" = Option<String>, Query, description = "Only tags containing this text (case-insensitive)."),
        params::Paging,
        params::Refresh,
    ),
    responses((status = 200, description = "One page of tags. A repository that does not exist lists as empty.", body = TagPage)),
)]
async fn list_tags(
    state: &AppState,
    auth: &AuthUser,
    query: &TagListQuery,
    repo: &RepositoryName,
) -> AppResult<HttpResponse> {
    let options = TagListOptions::parse(query)?;
    let (handle, access) = resolve(state, auth, query.registry.as_deref()).await?;
    let level = access
        .level(repo.as_str())
        .ok_or_else(|| hidden::repository(&handle, repo))?;
    let mut page = browse::tag_page(&handle, repo, &options, level).await?;
    registry_login::events::annotate(&state.pool, handle.id, repo.as_str(), &mut page.tags).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One image or index in full: digest, media type, size, creation time, platforms (for an
/// index), layers, config, history, the other tags sharing its digest and pull commands.
#[utoipa::path(
    get,
    path = "/api/repositories/{repo}/manifests/{reference}",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(params::Repo, params::Reference, params::Registry, params::Refresh),
    responses((status = 200, description = "The manifest's details.", body = ManifestDetails)),
)]
async fn get_manifest(
    state: &AppState,
    auth: &AuthUser,
    query: &TagListQuery,
    repo: &RepositoryName,
    reference: &Reference,
) -> AppResult<HttpResponse> {
    let refresh = browse::parse_bool("refresh", query.refresh.as_deref())?;
    let (handle, access) = resolve(state, auth, query.registry.as_deref()).await?;
    if !access.can_read(repo.as_str()) {
        return Err(hidden::reference(&handle, repo, reference));
    }
    let mut details = browse::manifest_details(&handle, repo, reference, refresh).await?;
    if let Reference::Tag(tag) = reference {
        if let Some((at, by)) = registry_login::events::pushed(
            &state.pool,
            handle.id,
            repo.as_str(),
            tag.as_str(),
            &details.digest,
        )
        .await?
        {
            details.pushed_at = Some(at);
            details.pushed_by = by;
        }
    }
    Ok(HttpResponse::Ok().json(details))
}

/// Deletes the manifest a tag (or digest) points to. Every tag pointing to the same digest goes
/// with it (`removed_tags`); blobs are freed only by the registry's garbage collector.
/// Editors and administrators only.
#[utoipa::path(
    delete,
    path = "/api/repositories/{repo}/manifests/{reference}",
    operation_id = "delete_manifest",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(params::Repo, params::Reference, params::Registry),
    responses((status = 200, description = "Deleted.", body = DeleteResponse)),
)]
async fn repository_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    query: web::Query<RegistryQuery>,
) -> AppResult<HttpResponse> {
    let RepositoryRoute::Manifest(repo, reference) = route_of(&req, Operation::Delete)? else {
        return Err(super::no_such_endpoint(&req));
    };
    let (handle, access) = resolve(&state, &auth, query.registry.as_deref()).await?;
    require_write(&handle, &access, &repo, || match &reference {
        Reference::Tag(_) => hidden::reference(&handle, &repo, &reference),
        Reference::Digest(_) => hidden::repository(&handle, &repo),
    })?;
    let result = delete::delete_reference(&handle, &repo, &reference).await;
    // Even a failed delete may have changed something upstream: every replica forgets.
    let changed = match &result {
        Ok((_, deleted)) => deleted.removed_tags.clone(),
        Err(_) => reference_tags(&reference),
    };
    state
        .coherence()
        .repository_changed(&handle.name, repo.as_str(), &changed)
        .await;
    let (response, deleted) = result?;
    record_deletions(&state, &req, &auth, &handle, &repo, &[deleted]).await;
    Ok(HttpResponse::Ok().json(response))
}

/// Deletes several tags in one request (1 to 1000). Each tag gets its own result; tags that
/// share a digest are deleted once. Editors and administrators only.
#[utoipa::path(
    post,
    path = "/api/repositories/{repo}/delete-tags",
    operation_id = "delete_tags",
    tag = "registries",
    security(("bearerAuth" = [])),
    params(params::Repo, params::Registry),
    request_body(content = BulkDeleteRequest, example = json!({"tags": ["v1", "v2", "pr-123"]})),
    responses((status = 200, description = "One result per requested tag, in request order.", body = BulkDeleteResponse)),
)]
async fn repository_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    query: web::Query<RegistryQuery>,
    body: JsonBody<BulkDeleteRequest>,
) -> AppResult<HttpResponse> {
    let RepositoryRoute::DeleteTags(repo) = route_of(&req, Operation::Bulk)? else {
        return Err(super::no_such_endpoint(&req));
    };
    let body = body.into_inner()?;
    if body.tags.is_empty() || body.tags.len() > MAX_BULK_TAGS {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            format!("tags must name 1 to {MAX_BULK_TAGS} tags"),
        ));
    }
    let tags = body
        .tags
        .iter()
        .map(|t| Tag::parse(t))
        .collect::<Result<Vec<Tag>, _>>()?;
    let (handle, access) = resolve(&state, &auth, query.registry.as_deref()).await?;
    require_write(&handle, &access, &repo, || {
        hidden::repository(&handle, &repo)
    })?;
    let result = delete::delete_tags(&handle, &repo, &tags).await;
    let mut changed: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    if let Ok(outcome) = &result {
        changed.extend(
            outcome
                .deleted
                .iter()
                .flat_map(|d| d.removed_tags.iter().cloned()),
        );
    }
    state
        .coherence()
        .repository_changed(&handle.name, repo.as_str(), &changed)
        .await;
    let outcome = result?;
    record_deletions(&state, &req, &auth, &handle, &repo, &outcome.deleted).await;
    Ok(HttpResponse::Ok().json(BulkDeleteResponse {
        results: outcome.results,
    }))
}

/// The tag a reference names, if it names one.
fn reference_tags(reference: &Reference) -> Vec<String> {
    match reference {
        Reference::Tag(t) => vec![t.to_string()],
        Reference::Digest(_) => Vec::new(),
    }
}

/// A delete needs `write`. Without even `read`, the answer is the one a repository the registry
/// does not know would give at this point (`hidden`), after the same read-only check; with
/// only `read`, 403 `forbidden` and nothing is sent upstream.
fn require_write(
    handle: &RegistryHandle,
    access: &Access,
    repo: &RepositoryName,
    hidden: impl FnOnce() -> AppError,
) -> AppResult<()> {
    match access.level(repo.as_str()) {
        Some(AccessLevel::Write) => Ok(()),
        Some(AccessLevel::Read) => Err(permissions::cannot_write(repo)),
        None => {
            handle.ensure_writable()?;
            Err(hidden())
        }
    }
}

/// One `tag_deleted` event per deleted digest. The delete already happened: a failure to
/// record it is logged, not turned into an error the client would read as "not deleted".
async fn record_deletions(
    state: &AppState,
    req: &HttpRequest,
    auth: &AuthUser,
    handle: &RegistryHandle,
    repo: &RepositoryName,
    deleted: &[DeletedDigest],
) {
    let ip = client_ip(req, &state.settings.trusted_proxies);
    for d in deleted {
        let target = match &d.requested_tag {
            Some(tag) => format!("{}/{repo}:{tag}@{}", handle.name, d.digest),
            None => format!("{}/{repo}@{}", handle.name, d.digest),
        };
        let detail = format!("removed tags: {}", d.removed_tags.join(", "));
        let event = audit::NewEvent {
            actor: Some(auth.username()),
            ip: Some(&ip),
            action: "tag_deleted",
            target: Some(&target),
            outcome: "success",
            detail: Some(&detail),
        };
        if let Err(e) = audit::record(&state.pool, event).await {
            tracing::error!(error = %e, %target, "could not record a tag deletion in the audit log");
        }
    }
}
