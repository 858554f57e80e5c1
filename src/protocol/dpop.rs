//! DPoP (RFC 9449): the proof JWT sent in a `DPoP` header, the key it is
//! signed with, and reading a server's demand for a nonce. Pure: the time,
//! the proof's `jti` and the key come from the caller; signing is
//! `util::jws`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::secrets::Secret;
use crate::util::jws::{self, SigningAlg};

/// A DPoP key: the private key (PEM), its algorithm, its public JWK and
/// that JWK's thumbprint (`jkt`, what a bound token's `cnf.jkt` holds).
pub struct Key {
    pem: Secret,
    pub alg: SigningAlg,
    pub jwk: Map<String, Value>,
    pub jkt: String,
}

impl Key {
    /// The key in `pem`, for `alg`; `what` names its setting in messages.
    pub fn from_pem(pem: Secret, alg: SigningAlg, what: &str) -> Result<Key, String> {
        let (alg, jwk) = jws::public_jwk(pem.expose(), what, alg)?;
        let jkt = jws::jwk_thumbprint(&jwk);
        Ok(Key { pem, alg, jwk, jkt })
    }
}

/// `htu`: the URL without its query and fragment (RFC 9449 section 4.2).
pub fn htu(url: &str) -> Result<String, String> {
    let mut url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("not an http(s) URL (`{}:`)", url.scheme()));
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url.to_string())
}

/// `ath`: base64url of the SHA-256 of the access token (section 4.2).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes()).as_ref())
}

/// What one proof is for.
pub struct Request<'a> {
    /// The HTTP method, upper case as sent.
    pub method: &'a str,
    pub url: &'a str,
    /// The server's last `DPoP-Nonce`, if it gave one.
    pub nonce: Option<&'a str>,
    /// For a resource request: the access token, whose hash is `ath`.
    pub access_token: Option<&'a str>,
}

/// A DPoP proof (section 4.2): header `typ` "dpop+jwt", `alg`, the public
/// `jwk`; claims `jti`, `htm`, `htu`, `iat`, and `nonce` and `ath` when
/// given.
pub fn proof(key: &Key, req: &Request<'_>, now: i64, jti: String) -> Result<String, String> {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), Value::Object(key.jwk.clone()));
    let mut claims = Map::new();
    claims.insert("jti".into(), json!(jti));
    claims.insert("htm".into(), json!(req.method.to_ascii_uppercase()));
    claims.insert("htu".into(), json!(htu(req.url)?));
    claims.insert("iat".into(), json!(now));
    if let Some(nonce) = req.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(token) = req.access_token {
        claims.insert("ath".into(), json!(ath(token)));
    }
    jws::sign(
        key.pem.expose(),
        "the DPoP key",
        Some(key.alg),
        header,
        &Value::Object(claims),
    )
}

/// Whether a token endpoint's reply asks for a DPoP nonce: 400 with
/// `{"error": "use_dpop_nonce"}` (section 8). A resource server says it
/// with 401 and `WWW-Authenticate: DPoP error="use_dpop_nonce"`.
pub fn asks_for_nonce(status: u16, body: &[u8]) -> bool {
    status == 400
        && serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
            .is_some_and(|e| e == "use_dpop_nonce")
}

/// A nonce as it may be sent back: RFC 9449's `NQCHAR`s (0x21, 0x23-0x5B,
/// 0x5D-0x7E), at most 1000 of them.
pub fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= 1000
        && nonce
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(jws: &str, i: usize) -> Value {
        let p = jws.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_carries_the_rfc_9449_header_and_claims() {
        let pem = jws::generate_pem(SigningAlg::ES256).unwrap();
        let key = Key::from_pem(Secret::new(pem), SigningAlg::ES256, "k").unwrap();
        let req = Request {
            method: "post",
            url: "https://as.example/token?x=1#f",
            nonce: Some("n-1"),
            access_token: Some("tok"),
        };
        let jws = proof(&key, &req, 1000, "j1".into()).unwrap();
        let header = part(&jws, 0);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["kty"], "EC");
        assert!(header["jwk"].get("d").is_none(), "no private part");
        let claims = part(&jws, 1);
        assert_eq!(
            claims,
            json!({"jti": "j1", "htm": "POST", "htu": "https://as.example/token", "iat": 1000, "nonce": "n-1", "ath": ath("tok")})
        );
        // SHA-256 of "tok", base64url.
        assert_eq!(ath("tok").len(), 43);
        assert!(htu("ftp://x/").is_err());
    }

    #[test]
    fn a_nonce_demand_is_400_use_dpop_nonce_only() {
        assert!(asks_for_nonce(400, br#"{"error":"use_dpop_nonce"}"#));
        assert!(!asks_for_nonce(401, br#"{"error":"use_dpop_nonce"}"#));
        assert!(!asks_for_nonce(400, br#"{"error":"invalid_dpop_proof"}"#));
        assert!(!asks_for_nonce(400, b"use_dpop_nonce"));
        assert!(valid_nonce("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
        assert!(!valid_nonce("a b") && !valid_nonce("a\"b") && !valid_nonce(""));
    }
}
