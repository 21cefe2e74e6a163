//! Signing registry tokens (the Docker registry token protocol): an ES256 key and its
//! self-signed certificate, which the registry trusts through `auth.token.rootcertbundle`.
//! The header carries `kid` in libtrust's key-id format (how distribution finds the key) and
//! `x5c` with the certificate.
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::Digest as _;

/// One `access` entry of a registry token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AccessEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    access: &'a [AccessEntry],
}

/// A signed token and when it was issued.
#[derive(Debug, Clone)]
pub struct SignedToken {
    pub token: String,
    pub issued_at: i64,
    pub expires_in: i64,
}

/// The signing key of registry tokens. Built once at start-up from the database (see
/// `bootstrap::registry_token_key`), shared by the realm and the registry client.
pub struct TokenSigner {
    key: EncodingKey,
    kid: String,
    x5c: String,
    certificate_pem: String,
    issuer: String,
    ttl_secs: i64,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A new P-256 key (PKCS#8 DER) and its self-signed certificate (DER).
pub fn generate() -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["registry-gui".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "registry-gui token signer");
    let certificate = params.self_signed(&key)?;
    Ok((key.serialize_der(), certificate.der().to_vec()))
}

/// The key id libtrust (and so distribution) derives from a public key: base32 of the first 30
/// bytes of SHA-256 over the DER SubjectPublicKeyInfo, in 12 colon-separated groups of 4.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = sha2::Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&hash[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl TokenSigner {
    pub fn new(
        pkcs8_der: &[u8],
        certificate_der: &[u8],
        issuer: &str,
        ttl_secs: i64,
    ) -> anyhow::Result<Self> {
        let pair = rcgen::KeyPair::try_from(pkcs8_der)?;
        Ok(Self {
            key: EncodingKey::from_ec_der(pkcs8_der),
            kid: libtrust_key_id(&pair.public_key_der()),
            x5c: base64::engine::general_purpose::STANDARD.encode(certificate_der),
            certificate_pem: pem("CERTIFICATE", certificate_der),
            issuer: issuer.to_string(),
            ttl_secs,
        })
    }

    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn key_id(&self) -> &str {
        &self.kid
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// A token for `subject` at `service` granting exactly `access`.
    pub fn sign(
        &self,
        subject: &str,
        service: &str,
        access: &[AccessEntry],
    ) -> anyhow::Result<SignedToken> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.issuer,
            sub: subject,
            aud: service,
            exp: now + self.ttl_secs,
            nbf: now,
            iat: now,
            jti: crate::auth::random_token(16),
            access,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.x5c = Some(vec![self.x5c.clone()]);
        Ok(SignedToken {
            token: jsonwebtoken::encode(&header, &claims, &self.key)?,
            issued_at: now,
            expires_in: self.ttl_secs,
        })
    }
}

/// `type:name:actions` (the name may itself contain `:`, a registry host with a port); `None`
/// when the string has not that shape.
pub fn parse_scope(scope: &str) -> Option<AccessEntry> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    if kind.is_empty() || name.is_empty() || actions.is_empty() {
        return None;
    }
    Some(AccessEntry {
        kind: kind.to_string(),
        name: name.to_string(),
        actions: actions.split(',').map(str::to_string).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_kid_x5c_and_exactly_the_access_given() {
        let (key, cert) = generate().unwrap();
        let signer = TokenSigner::new(&key, &cert, "registry-gui", 300).unwrap();
        let access = vec![AccessEntry {
            kind: "repository".into(),
            name: "team/app".into(),
            actions: vec!["pull".into(), "push".into()],
        }];
        let signed = signer.sign("alice", "registry.local", &access).unwrap();
        let header = jsonwebtoken::decode_header(&signed.token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(signer.key_id()));
        assert_eq!(header.x5c.unwrap().len(), 1);
        let kid = signer.key_id();
        assert_eq!(kid.len(), 12 * 4 + 11);
        assert_eq!(kid.split(':').count(), 12);
        assert!(signer
            .certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----\n"));
        let payload = signed.token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["aud"], "registry.local");
        assert_eq!(claims["iss"], "registry-gui");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            300
        );
        assert_eq!(
            claims["access"],
            serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}])
        );
    }

    #[test]
    fn scopes_parse_with_hosts_and_refuse_other_shapes() {
        let s = parse_scope("repository:localhost:5000/team/app:pull,push").unwrap();
        assert_eq!(s.name, "localhost:5000/team/app");
        assert_eq!(s.actions, ["pull", "push"]);
        assert!(parse_scope("registry:catalog:*").is_some());
        for bad in [
            "",
            "repository",
            "repository:team/app",
            ":a:pull",
            "repository::pull",
            "repository:a:",
        ] {
            assert!(parse_scope(bad).is_none(), "{bad:?}");
        }
    }
}
