//! What every handler can reach: built once in `startup`.
use std::sync::Arc;

use crate::db::Db;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::PasswordHasher;
use crate::auth::AuthServices;
use crate::config::Settings;
use crate::crypto::SecretCipher;
use crate::metrics::Metrics;
use crate::registry::{RegistryPool, Resolver};

pub struct AppState {
    pub pool: Db,
    pub settings: Arc<Settings>,
    pub jwt: JwtKeys,
    pub hasher: PasswordHasher,
    pub cipher: SecretCipher,
    pub registries: Arc<RegistryPool>,
    pub metrics: Arc<Metrics>,
    /// Signs registry tokens (the realm, and our own calls to registries whose login we are).
    pub signer: Arc<crate::registry::signer::TokenSigner>,
    /// `PUBLIC_URL`, or `http://localhost:<bound port>`; no trailing slash.
    pub public_url: String,
    /// This process among the replicas (random per start): lease holder and origin of cache
    /// announcements.
    pub replica: String,
    /// When this process started (RFC 3339).
    pub started_at: String,
}

impl AppState {
    /// What the sign-in flow and account self-service need.
    pub fn auth(&self) -> AuthServices<'_> {
        AuthServices {
            pool: &self.pool,
            hasher: &self.hasher,
            cipher: &self.cipher,
            jwt: &self.jwt,
            metrics: &self.metrics,
            throttle: self.settings.throttle,
            token_max_days: self.settings.token_max_days,
        }
    }

    /// Applies and announces cache invalidations.
    pub fn coherence(&self) -> crate::coherence::Coherence<'_> {
        crate::coherence::Coherence {
            db: &self.pool,
            registries: &self.registries,
            metrics: &self.metrics,
            replica: &self.replica,
        }
    }

    /// What the registry services need to find a request's registry.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver {
            pool: &self.pool,
            clients: &self.registries,
            cipher: &self.cipher,
        }
    }
}
