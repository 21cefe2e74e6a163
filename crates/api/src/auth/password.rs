//! bcrypt hashing and verification, always off the async executor and bounded, so a flood of
//! sign-ins cannot starve other requests of CPU.
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes and verifies passwords with a fixed cost. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// A hash of a random password, verified when the user does not exist so that unknown
    /// users take as long as wrong passwords.
    dummy_hash: Arc<String>,
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    pub async fn new(cost: u32) -> Result<Self, AppError> {
        let dummy_hash =
            tokio::task::spawn_blocking(move || bcrypt::hash(super::random_token(24), cost))
                .await?
                .map_err(|e| AppError::Internal(e.into()))?;
        // Leave a core for everything else: bcrypt at cost 12 takes a quarter of a second.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            cost,
            dummy_hash: Arc::new(dummy_hash),
            permits: Arc::new(Semaphore::new((cores / 2).max(1))),
        })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let password = password.to_string();
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
            .await?
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Verifies `password` against `hash`, or against the dummy hash when `hash` is `None`
    /// (then always `false`, in the same time).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let password = password.to_string();
        let (hash, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy_hash.as_str().to_string(), false),
        };
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await?;
        Ok(ok && real)
    }
}

/// A random password for accounts created without one: 20 characters from an unambiguous
/// alphabet (≈ 115 bits).
pub fn generate_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = PasswordHasher::new(4).await.unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$2"));
        assert!(hasher.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse", Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = PasswordHasher::new(4).await.unwrap();
        assert!(!hasher.verify("anything", None).await.unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert!(a.len() >= 16);
        assert_ne!(a, generate_password());
    }
}
