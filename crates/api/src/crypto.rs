//! Encryption at rest for registry credentials, TOTP secrets and the generated JWT secret:
//! AES-256-GCM under a key from `SECRET_KEY` (hashed to 32 bytes) or from a generated key file
//! next to the database (mode 0600). The same key, through a derived subkey, keys the hashes of
//! backup codes, so a copy of the database alone is not enough to test guesses offline.
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use rand::RngCore as _;

use crate::config::{ConfigError, DatabaseSettings};

#[derive(Clone)]
pub struct SecretCipher {
    cipher: Aes256Gcm,
    /// HMAC-SHA256 key for [`SecretCipher::keyed_hash`], derived from the encryption key.
    mac_key: [u8; 32],
    /// The hash key of the server a database was migrated from (`migrate-db` with another
    /// key): it still checks the backup codes made under it (`backup_codes.keyed = 2`).
    legacy_mac_key: Option<[u8; 32]>,
}

const NONCE_LEN: usize = 12;
const KEY_FILE_SUFFIX: &str = ".key";

/// The key file that belongs to a database file: `registry-gui.db` → `registry-gui.db.key`.
pub fn key_file_for(db_path: &Path) -> PathBuf {
    let mut name = db_path.file_name().unwrap_or_default().to_os_string();
    name.push(KEY_FILE_SUFFIX);
    db_path.with_file_name(name)
}

impl SecretCipher {
    pub fn from_key(key: &[u8; 32]) -> Self {
        use sha2::Digest as _;
        let mut derive = sha2::Sha256::new();
        derive.update(b"registry-gui keyed-hash v1\0");
        derive.update(key);
        Self {
            cipher: Aes256Gcm::new(key.into()),
            mac_key: derive.finalize().into(),
            legacy_mac_key: None,
        }
    }

    /// The key of [`SecretCipher::keyed_hash`] (`migrate-db` carries it along when it changes).
    pub fn hash_key(&self) -> [u8; 32] {
        self.mac_key
    }

    pub fn set_legacy_hash_key(&mut self, key: [u8; 32]) {
        self.legacy_mac_key = Some(key);
    }

    /// [`SecretCipher::keyed_hash`] under the legacy key, when there is one.
    pub fn legacy_keyed_hash(&self, input: &str) -> Option<String> {
        self.legacy_mac_key.map(|key| hmac_hex(&key, input))
    }

    /// Hex HMAC-SHA256 of `input` under the derived key: for values that are looked up (backup
    /// codes), where encryption with a random nonce would not do.
    pub fn keyed_hash(&self, input: &str) -> String {
        hmac_hex(&self.mac_key, input)
    }

    /// The cipher for this database: `SECRET_KEY` when set, else the key file (created with
    /// 0600 permissions on first use). Runs file I/O: call it off the async workers.
    pub fn load(db: &DatabaseSettings) -> Result<Self, ConfigError> {
        if let Some(secret) = &db.secret_key {
            use sha2::Digest as _;
            let key: [u8; 32] = sha2::Sha256::digest(secret.expose().as_bytes()).into();
            return Ok(Self::from_key(&key));
        }
        // Configuration refuses PostgreSQL without SECRET_KEY: only SQLite keeps a key file.
        let Some(db_path) = db.sqlite_path() else {
            return Err(ConfigError::new(
                "SECRET_KEY",
                "is required with PostgreSQL (the same value on every replica)",
            ));
        };
        let path = key_file_for(db_path);
        let err = |m: String| ConfigError::new("SECRET_KEY", m);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| err(format!("{} is not a valid key file", path.display())))?;
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| err(format!("{} does not hold a 32-byte key", path.display())))?;
                Ok(Self::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_private_file(
                    &path,
                    base64::engine::general_purpose::STANDARD
                        .encode(key)
                        .as_bytes(),
                )
                .map_err(|e| err(format!("cannot write key file {}: {e}", path.display())))?;
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(err(format!("cannot read key file {}: {e}", path.display()))),
        }
    }

    /// base64(nonce || ciphertext) with a fresh random nonce.
    pub fn encrypt(&self, plaintext: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub fn decrypt(&self, encoded: &str) -> anyhow::Result<String> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded)?;
        if bytes.len() <= NONCE_LEN {
            anyhow::bail!("ciphertext too short");
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot decrypt a stored secret: was SECRET_KEY or the key file changed?"
                )
            })?;
        Ok(String::from_utf8(plain)?)
    }
}

fn hmac_hex(key: &[u8; 32], input: &str) -> String {
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(input.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn encryption_round_trips_and_uses_fresh_nonces() {
        let c = SecretCipher::from_key(&[7u8; 32]);
        let a = c.encrypt("s3cret").unwrap();
        let b = c.encrypt("s3cret").unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("s3cret"));
        assert_eq!(c.decrypt(&a).unwrap(), "s3cret");
    }

    #[test]
    fn keyed_hashes_depend_on_the_key() {
        let a = SecretCipher::from_key(&[1u8; 32]);
        let b = SecretCipher::from_key(&[2u8; 32]);
        assert_eq!(a.keyed_hash("x"), a.keyed_hash("x"));
        assert_ne!(a.keyed_hash("x"), b.keyed_hash("x"));
        assert_ne!(a.keyed_hash("x"), a.keyed_hash("y"));
        assert_eq!(a.keyed_hash("x").len(), 64);
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let a = SecretCipher::from_key(&[1u8; 32]).encrypt("x").unwrap();
        assert!(SecretCipher::from_key(&[2u8; 32]).decrypt(&a).is_err());
    }

    #[test]
    fn the_generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = DatabaseSettings {
            location: crate::config::DatabaseLocation::Sqlite(dir.path().join("x.db")),
            secret_key: None,
            max_connections: 10,
        };
        let first = SecretCipher::load(&db).unwrap();
        let encrypted = first.encrypt("pw").unwrap();
        let second = SecretCipher::load(&db).unwrap();
        assert_eq!(second.decrypt(&encrypted).unwrap(), "pw");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(key_file_for(db.sqlite_path().unwrap()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let with_key = DatabaseSettings {
            secret_key: Some(Secret::new("k".repeat(32))),
            ..db
        };
        assert!(SecretCipher::load(&with_key)
            .unwrap()
            .decrypt(&encrypted)
            .is_err());
    }
}
