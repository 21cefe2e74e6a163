//! bcrypt hashing and verification, always off the async executor and bounded, so a flood of
//! sign-ins cannot starve other requests of CPU nor queue without end.
//!
//! Two bounds apply before a check may even wait for the CPU ([`PasswordHasher::admit`]): at
//! most [`PER_CLIENT_IN_FLIGHT`] checks per client address, and at most [`MAX_WAITING`] checks
//! waiting in all. Anything beyond is refused at once with 503 `server_busy`, so one address
//! flooding the sign-in cannot push a real user's check to the back of a long queue.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::error::AppError;

/// Password checks one client address may have in flight (running or waiting).
pub const PER_CLIENT_IN_FLIGHT: usize = 2;
/// Password checks that may wait for a free core, over all addresses.
pub const MAX_WAITING: usize = 32;
/// `Retry-After` of a `server_busy` answer.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// Hashes and verifies passwords with a fixed cost. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// A hash of a random password, verified when the user does not exist so that unknown
    /// users take as long as wrong passwords.
    dummy_hash: Arc<String>,
    permits: Arc<Semaphore>,
    admitted: Arc<Mutex<Admitted>>,
    /// Checks admitted at once: the ones running plus [`MAX_WAITING`].
    capacity: usize,
}

#[derive(Default)]
struct Admitted {
    total: usize,
    per_client: HashMap<String, usize>,
}

/// A place in the password-check queue for one client; given back on drop.
pub struct Admission {
    admitted: Arc<Mutex<Admitted>>,
    client: String,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut a = self.admitted.lock().unwrap_or_else(|e| e.into_inner());
        a.total = a.total.saturating_sub(1);
        if let Some(n) = a.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                a.per_client.remove(&self.client);
            }
        }
    }
}

impl PasswordHasher {
    pub async fn new(cost: u32) -> Result<Self, AppError> {
        let dummy_hash =
            tokio::task::spawn_blocking(move || bcrypt::hash(super::random_token(24), cost))
                .await?
                .map_err(|e| AppError::Internal(e.into()))?;
        // Leave a core for everything else: bcrypt at cost 12 takes a quarter of a second.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = (cores / 2).max(1);
        Ok(Self {
            cost,
            dummy_hash: Arc::new(dummy_hash),
            permits: Arc::new(Semaphore::new(running)),
            admitted: Arc::default(),
            capacity: running + MAX_WAITING,
        })
    }

    /// Claims a place for one password check from `client`, or refuses with `server_busy` when
    /// that client already has [`PER_CLIENT_IN_FLIGHT`] checks in flight or the queue is full.
    /// Hold the returned guard until the check is done.
    pub fn admit(&self, client: &str) -> Result<Admission, AppError> {
        let mut a = self.admitted.lock().unwrap_or_else(|e| e.into_inner());
        let mine = a.per_client.get(client).copied().unwrap_or(0);
        if mine >= PER_CLIENT_IN_FLIGHT || a.total >= self.capacity {
            return Err(AppError::ServerBusy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            });
        }
        a.total += 1;
        *a.per_client.entry(client.to_string()).or_insert(0) += 1;
        Ok(Admission {
            admitted: self.admitted.clone(),
            client: client.to_string(),
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

    #[tokio::test]
    async fn a_client_gets_two_places_and_the_queue_is_bounded() {
        let hasher = PasswordHasher::new(4).await.unwrap();
        let a1 = hasher.admit("192.0.2.1").unwrap();
        let _a2 = hasher.admit("192.0.2.1").unwrap();
        assert!(matches!(
            hasher.admit("192.0.2.1"),
            Err(AppError::ServerBusy { .. })
        ));
        drop(a1);
        let _a3 = hasher.admit("192.0.2.1").unwrap();
        let mut others = Vec::new();
        let mut refused = 0;
        for i in 0..100 {
            match hasher.admit(&format!("198.51.100.{i}")) {
                Ok(a) => others.push(a),
                Err(_) => refused += 1,
            }
        }
        assert_eq!(others.len() + 2, hasher.capacity);
        assert_eq!(refused, 100 - others.len());
        drop(others);
        assert!(hasher.admit("203.0.113.9").is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert!(a.len() >= 16);
        assert_ne!(a, generate_password());
    }
}
