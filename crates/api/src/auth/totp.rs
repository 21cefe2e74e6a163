//! TOTP per RFC 6238 (SHA-1, 30-second steps, 6 digits) with a ±1 step window for clock drift.
use sha1::Sha1;

pub const STEP_SECS: u64 = 30;
pub const DIGITS: u32 = 6;
pub const ISSUER: &str = "registry-gui";

/// A new secret: 20 random bytes, base32 without padding (what authenticator apps expect).
pub fn generate_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok()
}

/// The code for `unix_time` with `digits` digits (6 in production; 8 for the RFC vectors).
pub fn code_at(secret_bytes: &[u8], unix_time: u64, digits: u32) -> String {
    totp_lite::totp_custom::<Sha1>(STEP_SECS, digits, secret_bytes, unix_time)
}

/// The time step `code` belongs to, if it is valid for the current step or one either side.
/// The caller must still refuse steps already used (replay protection).
pub fn matching_step(secret: &str, code: &str, unix_time: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = decode_secret(secret)?;
    let current = unix_time / STEP_SECS;
    // Newest first, so that if two steps could match, the later one is recorded.
    [current + 1, current, current.saturating_sub(1)]
        .into_iter()
        .find(|step| {
            constant_time_eq(
                code_at(&bytes, step * STEP_SECS, DIGITS).as_bytes(),
                code.as_bytes(),
            )
        })
        .map(|step| step as i64)
}

/// The code an authenticator shows now (used by tests and the CLI, never sent to clients).
pub fn current_code(secret: &str, unix_time: u64) -> Option<String> {
    decode_secret(secret).map(|b| code_at(&b, unix_time, DIGITS))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `otpauth://totp/registry-gui:<user>?secret=…&issuer=registry-gui&algorithm=SHA1&digits=6&period=30`
pub fn otpauth_uri(username: &str, secret: &str) -> String {
    let label: String = url::form_urlencoded::byte_serialize(username.as_bytes()).collect();
    format!(
        "otpauth://totp/{ISSUER}:{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}"
    )
}

/// The QR code of `uri` as an inline SVG document.
pub fn qr_svg(uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
    #[test]
    fn rfc6238_appendix_b_sha1_vectors_pass() {
        let seed = b"12345678901234567890";
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            assert_eq!(code_at(seed, time, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_of_the_vectors() {
        let seed = b"12345678901234567890";
        assert_eq!(code_at(seed, 59, 6), "287082");
        assert_eq!(code_at(seed, 1_111_111_109, 6), "081804");
    }

    #[test]
    fn codes_from_the_adjacent_steps_are_accepted_and_older_ones_are_not() {
        let secret = generate_secret();
        let now = 1_700_000_000u64;
        for offset in [-30i64, 0, 30] {
            let t = (now as i64 + offset) as u64;
            let code = current_code(&secret, t).unwrap();
            assert_eq!(matching_step(&secret, &code, now), Some((t / 30) as i64));
        }
        let stale = current_code(&secret, now - 90).unwrap();
        // A stale code might collide with a valid one by chance (1 in a million per step).
        if stale != current_code(&secret, now).unwrap()
            && stale != current_code(&secret, now - 30).unwrap()
            && stale != current_code(&secret, now + 30).unwrap()
        {
            assert_eq!(matching_step(&secret, &stale, now), None);
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = generate_secret();
        for bad in ["", "12345", "1234567", "abcdef", "12 456"] {
            assert_eq!(matching_step(&secret, bad, 1_700_000_000), None, "{bad}");
        }
    }

    #[test]
    fn secrets_are_20_bytes_of_base32() {
        let s = generate_secret();
        assert_eq!(s.len(), 32);
        assert_eq!(decode_secret(&s).unwrap().len(), 20);
    }

    #[test]
    fn the_otpauth_uri_has_the_documented_shape() {
        let uri = otpauth_uri("alice", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/registry-gui:alice?secret=ABC&issuer=registry-gui&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"));
    }
}
