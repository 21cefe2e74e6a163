//! registry-gui as a registry's login: the token realm (Docker registry token protocol) and
//! the registry's push/delete notifications. The realm grants what `permissions` says, capped
//! by the access token's scope; it never errors for lack of rights, it grants less.
pub mod events;
pub mod setup;

use crate::db::Db;
use shared::auth::Role;
use shared::error::ErrorCode;
use shared::permissions::AccessLevel;
use shared::tokens::TokenScope;

use crate::access_tokens;
use crate::auth::attempts::{self, Client};
use crate::auth::{AuthServices, AuthUser, Credential};
use crate::domain::{RepositoryName, RepositoryPattern};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::permissions;
use crate::registry::signer::{parse_scope, AccessEntry, SignedToken, TokenSigner};
use crate::storage::audit;
use crate::storage::registries::{self, Lookup, RegistryRow};

/// What the realm needs.
#[derive(Clone, Copy)]
pub struct Realm<'a> {
    pub auth: AuthServices<'a>,
    pub signer: &'a TokenSigner,
    pub metrics: &'a Metrics,
}

/// One token request, as parsed from the query or the OAuth2 form.
#[derive(Debug, Default)]
pub struct TokenRequest {
    pub service: Option<String>,
    pub scopes: Vec<String>,
    /// Basic (or form) username and password.
    pub credentials: Option<(String, String)>,
}

/// An issued token and what it grants.
pub struct Issued {
    pub signed: SignedToken,
    pub granted: Vec<AccessEntry>,
}

fn token_required() -> AppError {
    AppError::unauthorized(
        ErrorCode::TokenRequired,
        "accounts use two-factor authentication, so the registry login takes an access token as the password: create one under Settings → Access tokens (scope read to pull, write to push) and log in with it",
    )
}

fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        ErrorCode::InvalidCredentials,
        "invalid username or access token",
    )
}

/// Who asks: nobody, or an access token's owner.
enum Caller {
    Anonymous,
    User(Box<AuthUser>),
}

/// The grantable actions at `level` among `requested`. `pull` needs read; `push`, `delete` and
/// `*` need write (`*` stands for the write actions, which the caller then has).
fn allowed_actions(requested: &[String], level: Option<AccessLevel>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for action in requested {
        let ok = match action.as_str() {
            "pull" => level.is_some(),
            "push" | "delete" | "*" => level == Some(AccessLevel::Write),
            _ => false,
        };
        if ok && !out.contains(action) {
            out.push(action.clone());
        }
    }
    out
}

fn anonymous_level(row: &RegistryRow, repository: &str) -> Option<AccessLevel> {
    row.anonymous_pull()
        .iter()
        .filter_map(|p| RepositoryPattern::parse(p).ok())
        .any(|p| p.matches(repository))
        .then_some(AccessLevel::Read)
}

impl Realm<'_> {
    fn pool(&self) -> &Db {
        self.auth.pool
    }

    /// Authenticates and issues a token for `request` from `client`.
    pub async fn issue(&self, request: &TokenRequest, client: &Client) -> AppResult<Issued> {
        let result = self.try_issue(request, client).await;
        match &result {
            Ok(issued) => {
                let writes = issued
                    .granted
                    .iter()
                    .any(|a| a.actions.iter().any(|x| x != "pull"));
                let outcome = if issued.granted.is_empty() {
                    "empty"
                } else if writes {
                    "write"
                } else {
                    "pull"
                };
                self.metrics.registry_token(outcome);
            }
            Err(e) => {
                self.metrics.registry_token("refused");
                self.audit_refusal(request, client, e).await?;
            }
        }
        result
    }

    async fn try_issue(&self, request: &TokenRequest, client: &Client) -> AppResult<Issued> {
        let service = request
            .service
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        let unknown_service = || {
            AppError::bad_request(
                ErrorCode::UnknownService,
                "the token request names no service registry-gui issues tokens for",
            )
        };
        if service.is_empty() {
            return Err(unknown_service());
        }
        let scopes = request
            .scopes
            .iter()
            .flat_map(|s| s.split(' '))
            .filter(|s| !s.is_empty())
            .map(|s| {
                parse_scope(s).ok_or_else(|| {
                    AppError::bad_request(
                        ErrorCode::InvalidScope,
                        format!(
                            "{:?} is not a scope (type:name:actions)",
                            s.chars().take(80).collect::<String>()
                        ),
                    )
                })
            })
            .collect::<AppResult<Vec<AccessEntry>>>()?;
        let caller = match self.authenticate(request, client).await {
            Ok(caller) => caller,
            // An unknown service is said first, whatever the credentials.
            Err(e) => {
                return Err(
                    match registries::find_by_token_service(self.pool(), service).await? {
                        None => unknown_service(),
                        Some(_) => e,
                    },
                )
            }
        };
        // The registry and the caller's grants there: one read.
        let user_id = match &caller {
            Caller::User(user) => user.user.id,
            Caller::Anonymous => 0,
        };
        let (row, grants) =
            registries::find_with_grants(self.pool(), Lookup::TokenService(service), user_id)
                .await?
                .ok_or_else(unknown_service)?;
        let access = match &caller {
            Caller::User(user) => {
                Some(permissions::access_from(user, row.default_access(), grants))
            }
            Caller::Anonymous => None,
        };
        let granted = grant(&row, &caller, access.as_ref(), &scopes);
        let subject = match &caller {
            Caller::Anonymous => "",
            Caller::User(user) => user.username(),
        };
        let signed = self
            .signer
            .sign(subject, service, &granted)
            .map_err(AppError::Internal)?;
        if let Caller::User(user) = &caller {
            if granted
                .iter()
                .any(|a| a.actions.iter().any(|x| x != "pull"))
            {
                audit::record(
                    self.pool(),
                    audit::NewEvent {
                        actor: Some(user.username()),
                        ip: Some(&client.ip),
                        action: "registry_token_issued",
                        target: Some(&row.name),
                        outcome: "success",
                        detail: Some(&format!(
                            "requested: {}; granted: {}",
                            describe(&scopes),
                            describe(&granted)
                        )),
                    },
                )
                .await?;
            }
        }
        Ok(Issued { signed, granted })
    }

    /// Only access tokens sign in here. Failures count against the user and the address in the
    /// sign-in throttle; a valid token is never held back by it.
    async fn authenticate(&self, request: &TokenRequest, client: &Client) -> AppResult<Caller> {
        let Some((username, password)) = &request.credentials else {
            return Ok(Caller::Anonymous);
        };
        if password.starts_with(shared::tokens::TOKEN_PREFIX) {
            if let Ok(found) = access_tokens::find_usable(self.pool(), password).await? {
                if found.owner.username == *username && !found.owner.locked {
                    let standing = access_tokens::standing(
                        self.pool(),
                        &found.owner,
                        found.token_scopes.contains("write"),
                    )
                    .await?;
                    let scopes = access_tokens::effective_scopes(&found.token_scopes, standing);
                    access_tokens::touch(self.pool(), &found, &client.ip).await?;
                    return Ok(Caller::User(Box::new(AuthUser {
                        credential: Credential::Token {
                            id: found.token_id,
                            scopes,
                            expires_at: found.token_expires_at,
                        },
                        user: found.owner,
                    })));
                }
            }
            self.count_failure(username, client, "registry_token_invalid")
                .await?;
            return Err(invalid_credentials());
        }
        // Never checked against the account password: that would make it a second way to
        // guess it, without the second factor. Counted all the same.
        self.count_failure(username, client, "registry_password")
            .await?;
        Err(token_required())
    }

    async fn count_failure(&self, username: &str, client: &Client, reason: &str) -> AppResult<()> {
        // Left alone, the claim stays as the recorded failure; past the limit this is the 429.
        let _failure = attempts::Attempt::claim(&self.auth, username, client).await?;
        self.metrics.login_failure(reason);
        Ok(())
    }

    /// `registry_token_refused`, at most one event a minute per address with its count.
    async fn audit_refusal(
        &self,
        request: &TokenRequest,
        client: &Client,
        error: &AppError,
    ) -> AppResult<()> {
        let status = actix_web::ResponseError::status_code(error).as_u16();
        if !(400..500).contains(&status) || status == 429 {
            return Ok(());
        }
        let who = request.credentials.as_ref().map(|(u, _)| u.as_str());
        let key = format!("realm:{}", client.throttle_key());
        crate::storage::throttle::record_notice(
            self.pool(),
            &key,
            audit::NewEvent {
                actor: who,
                ip: Some(&client.ip),
                action: "registry_token_refused",
                target: request.service.as_deref(),
                outcome: "denied",
                detail: None,
            },
            |refused| {
                format!(
                    "{} ({}); service {:?}, scopes {:?}; {refused} refusal{} from this address this minute",
                    error.code(),
                    error,
                    request.service.as_deref().unwrap_or_default(),
                    request.scopes.join(" "),
                    if refused == 1 { "" } else { "s" }
                )
            },
        )
        .await?;
        Ok(())
    }
}

/// What `caller` gets of `scopes` on `row`, given their repository `access` there.
fn grant(
    row: &RegistryRow,
    caller: &Caller,
    access: Option<&crate::domain::Access>,
    scopes: &[AccessEntry],
) -> Vec<AccessEntry> {
    let mut granted: Vec<AccessEntry> = Vec::new();
    for scope in scopes {
        let actions = match scope.kind.as_str() {
            "repository" if RepositoryName::is_valid(&scope.name) => {
                let level = access
                    .and_then(|a| a.level(&scope.name))
                    .max(anonymous_level(row, &scope.name));
                allowed_actions(&scope.actions, level)
            }
            "registry" if scope.name == "catalog" => match caller {
                Caller::User(user)
                    if user.role() == Role::Admin
                        && matches!(&user.credential, Credential::Token { scopes, .. } if scopes.contains(&TokenScope::Admin)) =>
                {
                    scope
                        .actions
                        .iter()
                        .filter(|a| a.as_str() == "*")
                        .cloned()
                        .collect()
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if actions.is_empty() {
            continue;
        }
        match granted
            .iter_mut()
            .find(|g| g.kind == scope.kind && g.name == scope.name)
        {
            Some(existing) => {
                for a in actions {
                    if !existing.actions.contains(&a) {
                        existing.actions.push(a);
                    }
                }
            }
            None => granted.push(AccessEntry {
                kind: scope.kind.clone(),
                name: scope.name.clone(),
                actions,
            }),
        }
    }
    granted
}

fn describe(entries: &[AccessEntry]) -> String {
    if entries.is_empty() {
        return "nothing".into();
    }
    entries
        .iter()
        .map(|e| format!("{}:{}:{}", e.kind, e.name, e.actions.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The granted scopes in the `scope` form of the OAuth2 answer.
pub fn scope_string(granted: &[AccessEntry]) -> String {
    granted
        .iter()
        .map(|e| format!("{}:{}:{}", e.kind, e.name, e.actions.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn actions_are_intersected_with_the_level() {
        use AccessLevel::*;
        assert_eq!(allowed_actions(&s(&["pull", "push"]), Some(Read)), ["pull"]);
        assert_eq!(
            allowed_actions(&s(&["pull", "push", "delete"]), Some(Write)),
            ["pull", "push", "delete"]
        );
        assert_eq!(allowed_actions(&s(&["*"]), Some(Write)), ["*"]);
        assert!(allowed_actions(&s(&["*"]), Some(Read)).is_empty());
        assert!(allowed_actions(&s(&["pull"]), None).is_empty());
        assert!(allowed_actions(&s(&["frobnicate"]), Some(Write)).is_empty());
    }
}
