//! Client authentication with a signed JWT (RFC 7523 2.2, OpenID Connect
//! Core 9 `private_key_jwt`): the client proves itself with its private key
//! instead of a shared secret. Pure: the time and the unique id come from
//! the caller. Signed by `util::jws`.

use serde_json::{Map, json};

use crate::config::SigningAlg;
use crate::util::jws;

/// The `client_assertion_type` of a JWT client assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough for a slow request, short
/// enough that a captured one is soon useless.
const LIFETIME_SECS: i64 = 60;

/// What an assertion says.
pub struct Claims<'a> {
    /// `iss` and `sub`.
    pub client_id: &'a str,
    /// `aud`: the endpoint the assertion is sent to.
    pub audience: &'a str,
    /// `iat`; `exp` is a minute later.
    pub now: i64,
    /// `jti`: unique, so the server can refuse a replay.
    pub jti: &'a str,
}

/// Header fields of an assertion besides `alg` and `typ`.
#[derive(Debug, Default)]
pub struct Header<'a> {
    pub kid: Option<&'a str>,
    /// The certificate's thumbprints: `x5t` (SHA-1) and `x5t#S256`.
    pub x5t: Option<&'a str>,
    pub x5t_s256: Option<&'a str>,
}

/// What the assertion of the JWT-bearer grant (RFC 7523 2.1) says.
pub struct GrantClaims<'a> {
    pub issuer: &'a str,
    pub subject: Option<&'a str>,
    pub audience: &'a str,
    /// Asked in the assertion too, as some servers want it there.
    pub scope: Option<String>,
    pub now: i64,
    pub jti: &'a str,
}

/// A signed JWT-bearer grant assertion (RFC 7523 2.1, 3).
pub fn sign_grant(
    pem: &str,
    alg: Option<SigningAlg>,
    header: &Header<'_>,
    claims: &GrantClaims<'_>,
) -> Result<String, String> {
    let mut body = json!({
        "iss": claims.issuer,
        "aud": claims.audience,
        "jti": claims.jti,
        "iat": claims.now,
        "exp": claims.now + LIFETIME_SECS,
    });
    if let Some(sub) = claims.subject {
        body["sub"] = json!(sub);
    }
    if let Some(scope) = &claims.scope {
        body["scope"] = json!(scope);
    }
    jws::sign(pem, "`private_key`", alg, header_fields(header), &body)
}

/// A signed assertion. `alg`: the profile's `signing_alg`, else the usual
/// one for the key (RS256, ES256 or ES384 by curve, EdDSA).
pub fn sign(
    pem: &str,
    alg: Option<SigningAlg>,
    header: &Header<'_>,
    claims: &Claims<'_>,
) -> Result<String, String> {
    let body = json!({
        "iss": claims.client_id,
        "sub": claims.client_id,
        "aud": claims.audience,
        "jti": claims.jti,
        "iat": claims.now,
        "exp": claims.now + LIFETIME_SECS,
    });
    jws::sign(pem, "`private_key`", alg, header_fields(header), &body)
}

fn header_fields(header: &Header<'_>) -> Map<String, serde_json::Value> {
    let mut fields = Map::new();
    fields.insert("typ".into(), json!("JWT"));
    for (name, value) in [
        ("kid", header.kid),
        ("x5t", header.x5t),
        ("x5t#S256", header.x5t_s256),
    ] {
        if let Some(value) = value {
            fields.insert(name.into(), json!(value));
        }
    }
    fields
}

#[cfg(test)]
mod tests;
