//! What an admin puts into the registry's `config.yml` to make registry-gui its login and to
//! receive its pushes (`GET /api/admin/registries/{name}/token-auth`, `registry auth-config`).
use shared::admin::TokenAuthConfig;
use shared::error::ErrorCode;

use crate::error::{AppError, AppResult};
use crate::registry::signer::TokenSigner;
use crate::storage::registries::RegistryRow;

/// Where the certificate goes on the registry's host, in the snippet.
pub const CERTIFICATE_PATH: &str = "/etc/docker/registry/registry-gui.pem";

pub fn events_url(public_url: &str, registry: &str) -> String {
    format!("{public_url}/api/registries/{registry}/events")
}

/// The configuration for `row`; 409 `token_service_not_set` without a `token_service`. The
/// events secret is a placeholder: it is write-only.
pub fn config(
    row: &RegistryRow,
    signer: &TokenSigner,
    public_url: &str,
) -> AppResult<TokenAuthConfig> {
    let service = row.token_service.clone().ok_or_else(|| {
        AppError::conflict(
            ErrorCode::TokenServiceNotSet,
            format!(
                "registry {:?} has no token_service: set one (PATCH /api/admin/registries/{}) to make registry-gui its login",
                row.name, row.name
            ),
        )
    })?;
    let realm = format!("{public_url}/auth/token");
    let events_url = events_url(public_url, &row.name);
    let config_snippet = format!(
        "# registry-gui as this registry's login (copy the certificate to {CERTIFICATE_PATH})\n\
auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {CERTIFICATE_PATH}\n\
# push and delete events for the audit log and \"pushed by\"\n\
notifications:\n  endpoints:\n    - name: registry-gui\n      url: {events_url}\n      headers:\n        Authorization: [\"Bearer <events secret>\"]\n      timeout: 5s\n      threshold: 5\n      backoff: 10s\n      ignoredmediatypes:\n        - application/octet-stream\n",
        issuer = signer.issuer(),
    );
    Ok(TokenAuthConfig {
        service,
        issuer: signer.issuer().to_string(),
        realm,
        certificate_pem: signer.certificate_pem().to_string(),
        events_url,
        config_snippet,
    })
}
