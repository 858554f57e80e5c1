//! The TLS client certificate of a profile (`client_cert`, `client_key`;
//! RFC 8705 mTLS): read from a PEM text, a secret source or a file path,
//! checked, and given to the client as one identity; and what a TLS alert
//! about it from the server means (`alert`, pure).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Failure;
use crate::secrets::{Resolve, Secret, Text, redact};
use crate::util::fs::{SMALL_FILE_CAP, expand_home, read_regular};

/// The identity of `cert` (PEM, the leaf first, a chain allowed) and `key`
/// (PEM PKCS#8, PKCS#1 or SEC1). Messages name the keys, never a value.
pub fn load(
    cert: &Text,
    key: &Text,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<reqwest::Identity> {
    let cert = pem_text(cert, "client_cert", resolver)?;
    let key = pem_text(key, "client_key", resolver)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(cert.expose().as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::usage(format!("`client_cert` is not a PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Failure::usage(
            "`client_cert` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        )
        .into());
    }
    PrivateKeyDer::from_pem_slice(key.expose().as_bytes()).map_err(|e| {
        Failure::usage(format!(
            "`client_key` is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"
        ))
    })?;
    let both = zeroize::Zeroizing::new(format!("{}\n{}\n", key.expose(), cert.expose()));
    reqwest::Identity::from_pem(both.as_bytes()).map_err(|e| {
        Failure::usage(format!(
            "`client_cert` and `client_key` do not make a client identity: {e}"
        ))
        .into()
    })
}

/// A PEM text as written or from its source; a string written in the
/// file that holds no PEM block is a file path (as `ca_file`), `~` expanded.
fn pem_text(text: &Text, key: &str, resolver: &mut dyn Resolve) -> anyhow::Result<Secret> {
    let value = resolver.resolve(text, key)?;
    if !matches!(text, Text::Plain(_)) || value.expose().contains("-----BEGIN") {
        return Ok(value);
    }
    let path = expand_home(value.expose().trim());
    let bytes = read_regular(&path, SMALL_FILE_CAP)
        .map_err(|e| Failure::usage(format!("`{key}`: cannot read {}: {e}", path.display())))?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("`{key}`: {} is not PEM text", path.display())))?;
    let pem = Secret::new(pem);
    redact::register(&pem);
    Ok(pem)
}

/// What a failed connection's text says about the client certificate: a
/// TLS alert the server sent (rustls: "received fatal alert: NAME"), as a
/// message and a hint. `None` for any other failure.
pub fn alert(text: &str) -> Option<(String, &'static str)> {
    let name = text.split("received fatal alert: ").nth(1)?;
    let name: String = name
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    Some(match name.as_str() {
        "CertificateRequired" => (
            "the server wants a client certificate (TLS alert CertificateRequired)".into(),
            "the server wants a client certificate: set client_cert and client_key",
        ),
        "BadCertificate" | "UnknownCA" | "CertificateUnknown" | "UnsupportedCertificate"
        | "CertificateRevoked" | "AccessDenied" => (
            format!("the server refused the client certificate (TLS alert {name})"),
            "the server refused the client certificate: check client_cert is one the server trusts (issued by its CA, or registered)",
        ),
        "CertificateExpired" => (
            "the server refused the client certificate as expired or not yet valid (TLS alert CertificateExpired)".into(),
            "renew the client certificate named by client_cert",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificate_alerts_are_named() {
        let (msg, hint) =
            alert("client error (Connect): received fatal alert: CertificateRequired").unwrap();
        assert!(msg.contains("wants a client certificate"), "{msg}");
        assert!(hint.contains("client_cert and client_key"));
        for name in ["UnknownCA", "BadCertificate"] {
            let (msg, hint) = alert(&format!("io: received fatal alert: {name}: x")).unwrap();
            assert!(
                msg.contains("refused the client certificate") && msg.contains(name),
                "{msg}"
            );
            assert!(hint.contains("refused the client certificate"));
        }
        assert!(
            alert("x: received fatal alert: CertificateExpired")
                .unwrap()
                .0
                .contains("expired")
        );
        assert!(alert("x: received fatal alert: HandshakeFailure").is_none());
        assert!(alert("invalid peer certificate: UnknownIssuer").is_none());
    }
}
