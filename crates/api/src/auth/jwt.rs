//! Session tokens: HS256 JWTs with `sub`, `role`, `ver`, `jti`, `iat`, `exp`, `aud`, `iss`.
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use shared::auth::Role;

pub const ISSUER: &str = "registry-gui";
pub const AUDIENCE: &str = "registry-gui-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Informational: authorization always reads the role from the database.
    pub role: Role,
    /// The user's token version when issued; a later version revokes the token.
    pub ver: i64,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub aud: String,
    pub iss: String,
}

/// Signing and verification keys derived from the secret. The secret itself is not kept.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime_secs: i64,
}

impl JwtKeys {
    /// `secret` is used as raw UTF-8 bytes (what operators expect from `JWT_SECRET`).
    pub fn new(secret: &str, lifetime_hours: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            lifetime_secs: lifetime_hours * 3600,
        }
    }

    /// A new token for the user; returns it with its claims.
    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        version: i64,
    ) -> anyhow::Result<(String, Claims)> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            ver: version,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            exp: now + self.lifetime_secs,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Checks signature, algorithm (HS256 only: `alg: none` is refused), expiry with zero
    /// leeway, audience and issuer.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn an_issued_token_decodes_to_its_claims() {
        let keys = JwtKeys::new(SECRET, 24);
        let (token, claims) = keys.issue(7, Role::Editor, 3).unwrap();
        let decoded = keys.decode(&token).unwrap();
        assert_eq!(decoded.sub, "7");
        assert_eq!(decoded.ver, 3);
        assert_eq!(decoded.jti, claims.jti);
        assert_eq!(decoded.exp - decoded.iat, 24 * 3600);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let (token, _) = JwtKeys::new("another-secret-another-secret-xx", 1)
            .issue(1, Role::Admin, 1)
            .unwrap();
        assert!(JwtKeys::new(SECRET, 1).decode(&token).is_none());
    }

    #[test]
    fn an_alg_none_token_is_refused() {
        let keys = JwtKeys::new(SECRET, 1);
        let (token, _) = keys.issue(1, Role::Admin, 1).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let forged = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
        assert!(keys.decode(&forged).is_none());
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let keys = JwtKeys::new(SECRET, 1);
        let (token, claims) = keys.issue(2, Role::Viewer, 1).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged_claims = serde_json::to_value(&claims).unwrap();
        forged_claims["role"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(&forged_claims.to_string()),
            parts[2]
        );
        assert!(keys.decode(&forged).is_none());
    }

    #[test]
    fn an_expired_token_is_refused_with_no_leeway() {
        let keys = JwtKeys::new(SECRET, 1);
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            ver: 1,
            jti: "x".into(),
            iat: now - 100,
            exp: now - 1,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(keys.decode(&token).is_none());
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let keys = JwtKeys::new(SECRET, 1);
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            ver: 1,
            jti: "x".into(),
            iat: now,
            exp: now + 100,
            aud: "someone-else".into(),
            iss: ISSUER.into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(keys.decode(&token).is_none());
    }
}
