//! Claimed sign-in attempts: every password or code check first claims its place under the
//! limits (see `storage::throttle`); a refusal is answered and audited once a minute.

use super::AuthServices;
use crate::error::{AppError, AppResult};
use crate::storage::throttle::{self, Claim, Scope};
use crate::storage::{audit, users};

/// The client the request came from, for throttling and the audit log.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: String,
}

impl Client {
    /// The address that limits count against: the IPv4 address, or the /64 of an IPv6 one
    /// (one host usually holds a whole /64, so counting single IPv6 addresses would give it
    /// endless budgets). The audit log keeps the full address.
    pub fn throttle_key(&self) -> String {
        match self.ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
            Ok(std::net::IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .map_or(self.ip.clone(), |v4| v4.to_string()),
            _ => self.ip.clone(),
        }
    }
}

fn limits(state: &AuthServices<'_>) -> throttle::Limits {
    let t = state.throttle;
    throttle::Limits {
        window_secs: t.window_secs,
        per_user_and_ip: t.max_failures_per_user,
        per_ip: t.max_failures_per_ip,
        per_user_total: t.max_failures_per_user_total,
    }
}

/// A claimed sign-in attempt. Left alone it stays counted as a failure; [`Attempt::succeeded`]
/// gives it back and forgets this address's earlier failures for the user.
pub(crate) struct Attempt {
    claim_id: i64,
}

impl Attempt {
    /// Claims an attempt for `username` from the client, or answers 429 (one audit event per
    /// minute and key stands for all the attempts refused in it).
    pub(crate) async fn claim(
        state: &AuthServices<'_>,
        username: &str,
        client: &Client,
    ) -> AppResult<Self> {
        match throttle::claim(state.pool, username, &client.throttle_key(), limits(state)).await? {
            Claim::Granted(claim_id) => Ok(Self { claim_id }),
            Claim::Refused {
                retry_after_secs,
                scope,
            } => Err(refuse(state, username, client, retry_after_secs, scope).await?),
        }
    }

    /// The attempt was not evaluated after all (e.g. its login token was spent).
    pub(crate) async fn give_back(self, state: &AuthServices<'_>) -> AppResult<()> {
        throttle::release(state.pool, self.claim_id).await?;
        Ok(())
    }

    /// A completed sign-in (or password confirmation): the claim is given back and this
    /// address's failures for the user are forgotten. Never after the password step alone: that
    /// would let whoever knows the password reset the code-guessing budget at will.
    pub(crate) async fn succeeded(
        self,
        state: &AuthServices<'_>,
        username: &str,
        client: &Client,
    ) -> AppResult<()> {
        throttle::release(state.pool, self.claim_id).await?;
        throttle::clear_user_at_ip(state.pool, username, &client.throttle_key()).await?;
        Ok(())
    }
}

/// A failed access-token authentication from the client: counted against the address's
/// sign-in budget (`LOGIN_MAX_FAILURES_PER_IP`), shared with password and code failures.
/// Returns the 429 to answer instead of the 401 once the address has used up its budget.
pub(crate) async fn token_failure(
    state: &AuthServices<'_>,
    client: &Client,
    reason: &str,
) -> AppResult<Option<AppError>> {
    state.metrics.login_failure(reason);
    // No user: the per-user limits cannot apply (no username is empty).
    let only_address = throttle::Limits {
        per_user_and_ip: i64::MAX,
        per_user_total: i64::MAX,
        ..limits(state)
    };
    match throttle::claim(state.pool, "", &client.throttle_key(), only_address).await? {
        Claim::Granted(_) => Ok(None),
        Claim::Refused {
            retry_after_secs,
            scope,
        } => Ok(Some(
            refuse(state, "", client, retry_after_secs, scope).await?,
        )),
    }
}

async fn refuse(
    state: &AuthServices<'_>,
    username: &str,
    client: &Client,
    retry_after_secs: i64,
    scope: Scope,
) -> AppResult<AppError> {
    state.metrics.login_failure("throttled");
    // Access-token failures have no user.
    let who = (!username.is_empty()).then_some(username);
    let key = match scope {
        Scope::Ip => format!("ip:{}", client.throttle_key()),
        Scope::UserAtIp | Scope::UserTotal => format!("user:{username}"),
    };
    throttle::record_notice(
        state.pool,
        &key,
        audit::NewEvent {
            actor: who,
            ip: Some(&client.ip),
            action: "login_throttled",
            target: who,
            outcome: "denied",
            detail: None,
        },
        |refused| {
            format!(
                "{refused} refused attempt{} this minute ({}); retry after {retry_after_secs} s",
                if refused == 1 { "" } else { "s" },
                scope.describe()
            )
        },
    )
    .await?;
    Ok(AppError::TooManyAttempts {
        retry_after_secs: retry_after_secs as u64,
    })
}

/// A failed attempt: its claim stays as the recorded failure; counted and audited.
pub(crate) async fn record_failure(
    state: &AuthServices<'_>,
    username: &str,
    client: &Client,
    action: &str,
    detail: &str,
) -> AppResult<()> {
    state.metrics.login_failure(action);
    users::increment_failed_logins(state.pool, username).await?;
    audit::record(
        state.pool,
        audit::NewEvent {
            actor: Some(username),
            ip: Some(&client.ip),
            action,
            target: Some(username),
            outcome: "failure",
            detail: Some(detail),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Client;

    fn key(ip: &str) -> String {
        Client { ip: ip.into() }.throttle_key()
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_and_ipv4_per_address() {
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("unknown"), "unknown");
    }
}
