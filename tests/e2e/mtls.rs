//! Client certificates (RFC 8705 mTLS): a local HTTPS token endpoint that
//! requires a client certificate and verifies it against a private client
//! CA (rustls' WebPkiClientVerifier), and answers a token only to the
//! registered client (`tls_client_auth`: `client_id` in the body, no
//! secret, the certificate the one registered). No certificate, one of
//! another CA and an expired one each get their own message; the
//! discovery document's `mtls_endpoint_aliases` is followed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

use crate::util::*;

const CLIENT_ID: &str = "mtls-client-1";

struct Pki {
    /// The server certificate's CA, PEM (the profile's `ca_file`).
    server_ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: Vec<u8>,
    /// The CA the server trusts for client certificates.
    client_ca: CertifiedIssuer<'static, KeyPair>,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn pki() -> Pki {
    let server_ca = ca("server CA");
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &server_ca)
        .unwrap();
    Pki {
        server_ca_pem: server_ca.pem(),
        server_cert: CertificateDer::from(cert.der().to_vec()),
        server_key: key.serialize_der(),
        client_ca: ca("client CA"),
    }
}

/// A client certificate signed by `issuer`: (cert PEM, key PEM, DER).
fn client_cert(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    expired: bool,
) -> (String, String, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["mtls-client".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CLIENT_ID);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// The HTTPS token endpoint: a token for the registered certificate
/// `registered` (its DER) with `client_id` in the body and no secret.
fn start(pki: &Pki, registered: Vec<u8>) -> u16 {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.client_ca.der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![pki.server_cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
            let mut reader = BufReader::new(&mut tls);
            let (mut length, mut line, mut whole) = (0usize, String::new(), false);
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => {
                        whole = true;
                        break;
                    }
                    Ok(_) => {
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
            }
            let mut body = vec![0u8; length.min(64 * 1024)];
            if !whole || reader.read_exact(&mut body).is_err() {
                continue;
            }
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let peer = tls
                .conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.to_vec());
            let (status, reply) = if peer.as_deref() != Some(registered.as_slice())
                || field("client_id") != Some(CLIENT_ID)
                || field("client_secret").is_some()
            {
                (
                    "401 Unauthorized",
                    json!({"error": "invalid_client", "error_description": "client certificate does not match the registered one"}),
                )
            } else {
                (
                    "200 OK",
                    json!({"access_token": "mtls-token-1", "token_type": "Bearer", "expires_in": 300}),
                )
            };
            let reply = reply.to_string();
            let _ = write!(
                tls,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    port
}

fn profile(env: &Env, pki: &Pki, port: u16, cert: Option<(&str, &str)>) -> String {
    let ca = env.write_file("server-ca.pem", &pki.server_ca_pem);
    let mut text = format!(
        "[profiles.m]\nflavour = \"oauth2\"\ntoken_url = \"https://127.0.0.1:{port}/token\"\nca_file = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nretries = 0\ncache = \"file\"\n",
        ca.display()
    );
    match cert {
        Some((cert, key)) => {
            let c = env.write_file("client.crt", cert);
            let k = env.write_file("client.key", key);
            text.push_str(&format!(
                "client_auth = \"tls_client_auth\"\nclient_cert = \"{}\"\nclient_key = {{ file = \"{}\" }}\n",
                c.display(),
                k.display()
            ));
        }
        None => text.push_str("client_auth = \"none\"\n"),
    }
    text
}

fn key_chunks(pem: &str) -> Vec<String> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    body.as_bytes()
        .chunks(24)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

#[test]
fn the_registered_client_certificate_gets_a_token() {
    let env = Env::new();
    let pki = pki();
    let (cert, key, der) = client_cert(&pki.client_ca, false);
    let port = start(&pki, der);
    let out = env.run(
        &profile(&env, &pki, port, Some((&cert, &key))),
        &["m", "-v"],
    );
    assert_stdout(&out, "mtls-token-1\n");
    let chunks = key_chunks(&key);
    assert_no_leak(&out, &chunks.iter().map(String::as_str).collect::<Vec<_>>());
    // The key written out in the profile works too (a warning names it).
    let inline = profile(&env, &pki, port, Some((&cert, &key))).replace(
        &format!(
            "{{ file = \"{}\" }}",
            env.root().join("client.key").display()
        ),
        &format!("'''{key}'''"),
    );
    let out = env.run(&inline, &["m", "--no-cache", "-v"]);
    assert_stdout(&out, "mtls-token-1\n");
    assert_no_leak(&out, &chunks.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn no_client_certificate_is_named_as_such() {
    let env = Env::new();
    let pki = pki();
    let (_, _, der) = client_cert(&pki.client_ca, false);
    let port = start(&pki, der);
    let out = env.run(&profile(&env, &pki, port, None), &["m"]);
    assert_failed_with(&out, 4);
    assert_stderr_contains(&out, "the server wants a client certificate");
    assert_stderr_contains(&out, "set client_cert and client_key");
}

#[test]
fn a_certificate_of_another_ca_is_refused() {
    let env = Env::new();
    let pki = pki();
    let (_, _, der) = client_cert(&pki.client_ca, false);
    let port = start(&pki, der);
    let other = ca("another CA");
    let (cert, key, _) = client_cert(&other, false);
    let out = env.run(
        &profile(&env, &pki, port, Some((&cert, &key))),
        &["m", "-v"],
    );
    assert_failed_with(&out, 4);
    assert_stderr_contains(&out, "the server refused the client certificate");
    let chunks = key_chunks(&key);
    assert_no_leak(&out, &chunks.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn an_expired_client_certificate_is_a_clear_error() {
    let env = Env::new();
    let pki = pki();
    let (cert, key, der) = client_cert(&pki.client_ca, true);
    let port = start(&pki, der);
    let out = env.run(&profile(&env, &pki, port, Some((&cert, &key))), &["m"]);
    assert_failed_with(&out, 4);
    assert_stderr_contains(&out, "client certificate as expired");
    assert_stderr_contains(&out, "renew the client certificate");
}

#[test]
fn a_bad_client_certificate_or_key_is_a_usage_error() {
    let env = Env::new();
    let pki = pki();
    let (cert, key, der) = client_cert(&pki.client_ca, false);
    let port = start(&pki, der);
    for (c, k, want) in [
        (
            "hunter2-cert",
            key.as_str(),
            "`client_cert` holds no PEM certificate",
        ),
        (
            cert.as_str(),
            "hunter2-key",
            "`client_key` is not a PEM private key",
        ),
    ] {
        let text = profile(&env, &pki, port, Some((c, k)));
        let out = env.run(&text, &["m", "-v"]);
        assert_failed_with(&out, 2);
        assert_stderr_contains(&out, want);
        assert_no_leak(&out, &["hunter2-cert", "hunter2-key"]);
    }
    let text = profile(&env, &pki, port, Some((&cert, &key)));
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("client_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = env.run(&text, &["m"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`client_cert` needs `client_key`");
}

#[test]
fn the_discovered_mtls_alias_is_used_with_a_client_certificate() {
    let env = Env::new();
    let pki = pki();
    let (cert, key, der) = client_cert(&pki.client_ca, false);
    let port = start(&pki, der);
    // The plain token endpoint would answer another token.
    let issuer = Server::start(move |req, _| {
        if req.path() == "/.well-known/openid-configuration" {
            let base = format!("http://{}", req.header("host").unwrap_or(""));
            Reply::json(
                200,
                json!({
                    "issuer": base,
                    "token_endpoint": format!("{base}/token"),
                    "mtls_endpoint_aliases": {"token_endpoint": format!("https://127.0.0.1:{port}/token")}
                }),
            )
        } else {
            Reply::json(
                200,
                json!({"access_token": "plain-token", "expires_in": 300}),
            )
        }
    });
    let text = profile(&env, &pki, port, Some((&cert, &key))).replace(
        &format!("token_url = \"https://127.0.0.1:{port}/token\""),
        &format!("issuer = \"{}\"", issuer.url()),
    );
    let out = env.run(&text, &["m", "-v"]);
    assert_stdout(&out, "mtls-token-1\n");
    assert_stderr_contains(&out, "mTLS alias");
    assert_eq!(issuer.count(), 1, "only the discovery document");
}
