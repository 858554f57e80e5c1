//! Client authentication with a signed JWT (RFC 7523 2.2, OpenID Connect
//! Core 9 `private_key_jwt`): the client proves itself with its private key
//! instead of a shared secret. Pure: the time and the unique id come from
//! the caller. Keys are read with rustls' PEM and key loaders (PKCS#8,
//! PKCS#1 and SEC1) and signed with ring, both already in the build for TLS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::SignatureScheme;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::json;

use crate::config::SigningAlg;

/// The `client_assertion_type` of a JWT client assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough for a slow request, short
/// enough that a captured one is soon useless.
const LIFETIME_SECS: i64 = 60;

/// How gettoken signs with each `signing_alg`.
trait Jws {
    fn scheme(self) -> SignatureScheme;
    fn ecdsa_width(self) -> Option<usize>;
}

impl Jws for SigningAlg {
    fn scheme(self) -> SignatureScheme {
        match self {
            SigningAlg::RS256 => SignatureScheme::RSA_PKCS1_SHA256,
            SigningAlg::RS384 => SignatureScheme::RSA_PKCS1_SHA384,
            SigningAlg::RS512 => SignatureScheme::RSA_PKCS1_SHA512,
            SigningAlg::PS256 => SignatureScheme::RSA_PSS_SHA256,
            SigningAlg::PS384 => SignatureScheme::RSA_PSS_SHA384,
            SigningAlg::PS512 => SignatureScheme::RSA_PSS_SHA512,
            SigningAlg::ES256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            SigningAlg::ES384 => SignatureScheme::ECDSA_NISTP384_SHA384,
            SigningAlg::EdDSA => SignatureScheme::ED25519,
        }
    }

    /// The length of each of r and s in a JWS ECDSA signature.
    fn ecdsa_width(self) -> Option<usize> {
        match self {
            SigningAlg::ES256 => Some(32),
            SigningAlg::ES384 => Some(48),
            _ => None,
        }
    }
}

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

/// A signed assertion. `alg`: the profile's `signing_alg`, else the usual
/// one for the key (RS256, ES256 or ES384 by curve, EdDSA).
pub fn sign(
    pem: &str,
    alg: Option<SigningAlg>,
    kid: Option<&str>,
    claims: &Claims<'_>,
) -> Result<String, String> {
    let der = PrivateKeyDer::from_pem_slice(pem.trim().as_bytes()).map_err(|e| {
        format!("`private_key` is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}")
    })?;
    let key = rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| format!("`private_key` cannot sign: {e}"))?;
    let offered: Vec<SigningAlg> = match alg {
        Some(a) => vec![a],
        None => vec![
            SigningAlg::RS256,
            SigningAlg::ES256,
            SigningAlg::ES384,
            SigningAlg::EdDSA,
        ],
    };
    let schemes: Vec<SignatureScheme> = offered.iter().map(|a| a.scheme()).collect();
    let signer = key.choose_scheme(&schemes).ok_or_else(|| match alg {
        Some(a) => format!(
            "`signing_alg` \"{}\" does not fit the `private_key` (a {:?} key)",
            a.name(),
            key.algorithm()
        ),
        None => format!(
            "no signing algorithm fits the `private_key` (a {:?} key): set `signing_alg`",
            key.algorithm()
        ),
    })?;
    let alg = *offered
        .iter()
        .find(|a| a.scheme() == signer.scheme())
        .expect("chosen from the offered schemes");

    let mut header = json!({ "alg": alg.name(), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let body = json!({
        "iss": claims.client_id,
        "sub": claims.client_id,
        "aud": claims.audience,
        "jti": claims.jti,
        "iat": claims.now,
        "exp": claims.now + LIFETIME_SECS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(body.to_string())
    );
    let signature = signer
        .sign(signing_input.as_bytes())
        .map_err(|e| format!("signing the client assertion failed: {e}"))?;
    let signature = match alg.ecdsa_width() {
        Some(width) => ecdsa_der_to_jws(&signature, width)
            .ok_or("signing the client assertion gave a malformed ECDSA signature")?,
        None => signature,
    };
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// An ECDSA signature as DER `SEQUENCE { INTEGER r, INTEGER s }` (what ring
/// gives TLS) in the JWS form: r and s as fixed-width big-endian numbers.
fn ecdsa_der_to_jws(der: &[u8], width: usize) -> Option<Vec<u8>> {
    let (tag, body, rest) = der_item(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (r_tag, r, rest) = der_item(body)?;
    let (s_tag, s, rest) = der_item(rest)?;
    if r_tag != 0x02 || s_tag != 0x02 || !rest.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(2 * width);
    for n in [r, s] {
        let n = &n[n.iter().take_while(|b| **b == 0).count()..];
        if n.len() > width {
            return None;
        }
        out.resize(out.len() + width - n.len(), 0);
        out.extend_from_slice(n);
    }
    Some(out)
}

/// One DER item: (tag, contents, what follows). Short and one-byte long
/// lengths only: enough for ECDSA signatures.
fn der_item(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = match len {
        0..=0x7f => (usize::from(len), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests;
