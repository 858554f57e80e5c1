//! Signing a JWS in compact form (RFC 7515) with a PEM private key, and the
//! certificate thumbprints a JWS header may carry (`x5t`, `x5t#S256`).
//! Pure: the header and the claims come from the caller. Keys are read
//! with rustls' PEM and key loaders (PKCS#8, PKCS#1 and SEC1) and signed
//! with ring, both already in the build for TLS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::SignatureScheme;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Map, Value};

/// JWS algorithms (RFC 7518) gettoken signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl SigningAlg {
    /// `signing_alg` values, for the profile's validation.
    pub const CHOICES: [(&'static str, SigningAlg); 9] = [
        ("RS256", SigningAlg::RS256),
        ("RS384", SigningAlg::RS384),
        ("RS512", SigningAlg::RS512),
        ("PS256", SigningAlg::PS256),
        ("PS384", SigningAlg::PS384),
        ("PS512", SigningAlg::PS512),
        ("ES256", SigningAlg::ES256),
        ("ES384", SigningAlg::ES384),
        ("EdDSA", SigningAlg::EdDSA),
    ];

    pub fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }

    /// The algorithm named `text` (any case).
    pub fn parse(text: &str) -> Result<SigningAlg, String> {
        Self::CHOICES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text))
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::CHOICES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown signing algorithm \"{text}\": use one of {}",
                    names.join(", ")
                )
            })
    }

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

/// A compact JWS of `claims`. `key` names the key's setting in messages;
/// the key itself never appears in one. `alg`: the one asked for, else the
/// usual one for the key (RS256, ES256 or ES384 by curve, EdDSA). `header`
/// holds the fields besides `alg` (`typ`, `kid`, `x5t`, ...).
pub fn sign(
    pem: &str,
    key: &str,
    alg: Option<SigningAlg>,
    header: Map<String, Value>,
    claims: &Value,
) -> Result<String, String> {
    let der = PrivateKeyDer::from_pem_slice(pem.trim().as_bytes())
        .map_err(|e| format!("{key} is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"))?;
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| format!("{key} cannot sign: {e}"))?;
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
    let signer = signing_key
        .choose_scheme(&schemes)
        .ok_or_else(|| match alg {
            Some(a) => format!(
                "`signing_alg` \"{}\" does not fit {key} (a {:?} key)",
                a.name(),
                signing_key.algorithm()
            ),
            None => format!(
                "no signing algorithm fits {key} (a {:?} key): set `signing_alg`",
                signing_key.algorithm()
            ),
        })?;
    let alg = *offered
        .iter()
        .find(|a| a.scheme() == signer.scheme())
        .expect("chosen from the offered schemes");
    let mut full = Map::new();
    full.insert("alg".into(), Value::String(alg.name().into()));
    full.extend(header);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(Value::Object(full).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signer
        .sign(signing_input.as_bytes())
        .map_err(|e| format!("signing with {key} failed: {e}"))?;
    let signature = match alg.ecdsa_width() {
        Some(width) => {
            ecdsa_der_to_jws(&signature, width).ok_or("signing gave a malformed ECDSA signature")?
        }
        None => signature,
    };
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// The thumbprints of the first certificate of a PEM text: `x5t` (SHA-1 of
/// the DER, base64url) and `x5t#S256` (SHA-256). `what` names the
/// certificate's setting in messages.
pub fn thumbprints(pem: &str, what: &str) -> Result<(String, String), String> {
    let der = CertificateDer::pem_slice_iter(pem.trim().as_bytes())
        .next()
        .ok_or_else(|| format!("{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"))?
        .map_err(|e| format!("{what} is not a PEM certificate: {e}"))?;
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &der);
    Ok((
        URL_SAFE_NO_PAD.encode(sha1.as_ref()),
        URL_SAFE_NO_PAD.encode(sha256.as_ref()),
    ))
}

/// The public half of a PEM private key as a JWK (RFC 7517: `kty`, `crv`,
/// `x`, `y`; `n`, `e` for RSA), and the algorithm it signs with: `want`
/// when it fits the key. PKCS#8 keys (any type) and PKCS#1 RSA keys; a
/// SEC1 EC key is refused with how to convert it. `key` names the key's
/// setting in messages; the key itself never appears in one.
pub fn public_jwk(
    pem: &str,
    key: &str,
    want: SigningAlg,
) -> Result<(SigningAlg, Map<String, Value>), String> {
    use ring::signature::{self as sig, KeyPair};
    let der = PrivateKeyDer::from_pem_slice(pem.trim().as_bytes())
        .map_err(|e| format!("{key} is not a PEM private key (PKCS#8 or PKCS#1): {e}"))?;
    let b64 = |b: &[u8]| Value::String(URL_SAFE_NO_PAD.encode(b));
    let rsa = |pair: sig::RsaKeyPair| {
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
        let mut jwk = Map::new();
        jwk.insert("kty".into(), "RSA".into());
        jwk.insert("n".into(), b64(&public.n));
        jwk.insert("e".into(), b64(&public.e));
        jwk
    };
    let (alg, jwk) = match &der {
        PrivateKeyDer::Pkcs1(k) => {
            let pair = sig::RsaKeyPair::from_der(k.secret_pkcs1_der())
                .map_err(|e| format!("{key} is not a usable RSA key: {e}"))?;
            (rsa_alg(want), rsa(pair))
        }
        PrivateKeyDer::Sec1(_) => {
            return Err(format!(
                "{key} is a SEC1 EC key (BEGIN EC PRIVATE KEY): convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY8`"
            ));
        }
        PrivateKeyDer::Pkcs8(k) => {
            let bytes = k.secret_pkcs8_der();
            let rng = ring::rand::SystemRandom::new();
            let ec = |curve: &'static sig::EcdsaSigningAlgorithm, crv: &str, width: usize| {
                sig::EcdsaKeyPair::from_pkcs8(curve, bytes, &rng)
                    .ok()
                    .map(|pair| {
                        // 0x04 || x || y
                        let point = pair.public_key().as_ref();
                        let mut jwk = Map::new();
                        jwk.insert("kty".into(), "EC".into());
                        jwk.insert("crv".into(), crv.into());
                        jwk.insert("x".into(), b64(&point[1..=width]));
                        jwk.insert("y".into(), b64(&point[1 + width..]));
                        jwk
                    })
            };
            if let Some(jwk) = ec(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32) {
                (SigningAlg::ES256, jwk)
            } else if let Some(jwk) = ec(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48) {
                (SigningAlg::ES384, jwk)
            } else if let Ok(pair) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes) {
                let mut jwk = Map::new();
                jwk.insert("kty".into(), "OKP".into());
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert("x".into(), b64(pair.public_key().as_ref()));
                (SigningAlg::EdDSA, jwk)
            } else {
                let pair = sig::RsaKeyPair::from_pkcs8(bytes).map_err(|e| {
                    format!("{key} is no P-256, P-384, Ed25519 or RSA private key: {e}")
                })?;
                (rsa_alg(want), rsa(pair))
            }
        }
        _ => return Err(format!("{key} is not a PKCS#8 or PKCS#1 private key")),
    };
    if alg != want {
        return Err(format!(
            "{key} is a key for {}, not for {}: set the algorithm to {} or use another key",
            alg.name(),
            want.name(),
            alg.name()
        ));
    }
    Ok((alg, jwk))
}

/// The RSA algorithm asked for, else RS256 (the mismatch is then reported).
fn rsa_alg(want: SigningAlg) -> SigningAlg {
    match want {
        SigningAlg::RS256
        | SigningAlg::RS384
        | SigningAlg::RS512
        | SigningAlg::PS256
        | SigningAlg::PS384
        | SigningAlg::PS512 => want,
        _ => SigningAlg::RS256,
    }
}

/// The JWK thumbprint of RFC 7638: SHA-256 of the required members in
/// lexicographic order without white space, base64url.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> String {
    let members: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        _ => &["e", "kty", "n"],
    };
    let mut canonical = Map::new();
    for m in members {
        canonical.insert((*m).into(), jwk.get(*m).cloned().unwrap_or(Value::Null));
    }
    // Written member by member, so the order is that of `members`
    // whatever the map's own order.
    let body: Vec<String> = members
        .iter()
        .map(|m| format!("{}:{}", Value::String((*m).into()), canonical[*m]))
        .collect();
    let text = format!("{{{}}}", body.join(","));
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// Whether [`generate_pem`] makes keys for `alg`.
pub fn can_generate(alg: SigningAlg) -> bool {
    matches!(
        alg,
        SigningAlg::ES256 | SigningAlg::ES384 | SigningAlg::EdDSA
    )
}

/// A new private key for `alg` as PEM PKCS#8 (ES256, ES384, EdDSA);
/// `None` for an algorithm whose keys are not made here (RSA).
pub fn generate_pem(alg: SigningAlg) -> Option<String> {
    use ring::signature as sig;
    let rng = ring::rand::SystemRandom::new();
    let doc = match alg {
        SigningAlg::ES256 => {
            sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?
        }
        SigningAlg::ES384 => {
            sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, &rng).ok()?
        }
        SigningAlg::EdDSA => sig::Ed25519KeyPair::generate_pkcs8(&rng).ok()?,
        _ => return None,
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    Some(pem)
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
mod tests {
    use super::*;

    #[test]
    fn ecdsa_der_signatures_become_fixed_width() {
        // r with a leading zero byte (high bit set), s short.
        let der = [0x30, 0x08, 0x02, 0x03, 0x00, 0x81, 0x02, 0x02, 0x01, 0x05];
        let jws = ecdsa_der_to_jws(&der, 4).unwrap();
        assert_eq!(jws, [0, 0, 0x81, 0x02, 0, 0, 0, 0x05]);
        assert!(ecdsa_der_to_jws(&der[..5], 4).is_none());
        assert!(ecdsa_der_to_jws(&[0x31, 0x00], 4).is_none());
        assert!(ecdsa_der_to_jws(&der, 1).is_none());
    }

    #[test]
    fn generated_keys_give_their_jwk_sign_and_have_rfc7638_thumbprints() {
        for alg in [SigningAlg::ES256, SigningAlg::ES384, SigningAlg::EdDSA] {
            let pem = generate_pem(alg).unwrap();
            let (got, jwk) = public_jwk(&pem, "`dpop_key`", alg).unwrap();
            assert_eq!(got, alg);
            let jws = sign(&pem, "k", Some(alg), Map::new(), &serde_json::json!({})).unwrap();
            assert_eq!(jws.split('.').count(), 3);
            assert_eq!(jwk_thumbprint(&jwk).len(), 43);
            let err = public_jwk(&pem, "`dpop_key`", SigningAlg::RS256).unwrap_err();
            assert!(
                err.contains("`dpop_key`") && !err.contains("PRIVATE"),
                "{err}"
            );
        }
        assert!(generate_pem(SigningAlg::RS256).is_none());
        // RFC 7638 section 3.1's example key and thumbprint.
        let jwk: Map<String, Value> = serde_json::from_str(r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
        assert_eq!(
            jwk_thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        let err = public_jwk("hunter2", "`dpop_key`", SigningAlg::ES256).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn thumbprints_are_of_the_der_and_a_non_certificate_is_refused() {
        let cert = rcgen::generate_simple_self_signed(vec!["x".into()]).unwrap();
        let (x5t, s256) = thumbprints(&cert.cert.pem(), "`certificate`").unwrap();
        let der = cert.cert.der();
        let want = URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref());
        assert_eq!(x5t, want);
        assert_eq!(s256.len(), 43);
        let err = thumbprints("hunter2", "`certificate`").unwrap_err();
        assert!(
            err.contains("`certificate`") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
