//! Reading (never verifying) the claims of a JWT, for its `exp`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The decoded header and claims of a compact JWS, or `None` when `token`
/// is not one.
pub fn decode(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let part = |p: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?;
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(Value::is_object)
    };
    Some((part(header)?, part(claims)?))
}

/// The `exp` claim (UNIX seconds) of a JWT.
pub fn expiry(token: &str) -> Option<i64> {
    let (_, claims) = decode(token)?;
    let exp = claims.get("exp")?;
    exp.as_i64()
        .or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn reads_exp() {
        assert_eq!(
            expiry(&jwt(r#"{"exp":1700000000,"sub":"x"}"#)),
            Some(1_700_000_000)
        );
        assert_eq!(expiry(&jwt(r#"{"exp":1700000000.5}"#)), Some(1_700_000_000));
    }

    #[test]
    fn not_a_jwt_is_none() {
        assert_eq!(expiry("opaque-token"), None);
        assert_eq!(expiry("a.b.c"), None);
        assert_eq!(expiry(&jwt(r#"{"sub":"x"}"#)), None);
        assert_eq!(expiry(&jwt(r#"[1]"#)), None);
        assert_eq!(expiry("a.b.c.d"), None);
    }
}
