//! HTTPS to a local endpoint whose certificate is signed by a private CA:
//! refused with the system roots alone, accepted with the CA in `ca_file`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::util::*;

struct TlsServer {
    port: u16,
    ca_pem: String,
}

/// A one-thread HTTPS token endpoint on 127.0.0.1 answering at most
/// `max` connections.
fn start(max: usize) -> TlsServer {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut tcp) = stream else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
            let mut reader = BufReader::new(&mut tls);
            let mut length = 0usize;
            let mut line = String::new();
            // Request line and headers (a failed handshake ends here).
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => {
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
            }
            let mut body = vec![0u8; length.min(64 * 1024)];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let reply = r#"{"access_token":"tls-token","token_type":"bearer","expires_in":60}"#;
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    TlsServer {
        port,
        ca_pem: ca.pem(),
    }
}

fn profile(port: u16, extra: &str) -> String {
    format!(
        "[profiles.tls]\nflavour = \"oauth2\"\ntoken_url = \"https://127.0.0.1:{port}/token\"\nclient_id = \"c\"\nclient_secret = \"tls-secret\"\nretries = 0\n{extra}\n"
    )
}

#[test]
fn an_unknown_ca_is_refused_and_ca_file_admits_it() {
    let server = start(4);
    let env = Env::new();
    let refused = env.run(&profile(server.port, ""), &["tls", "-v"]);
    assert_code(&refused, 4);
    assert_stderr_contains_ci(&refused, "certificate");
    assert_no_leak(&refused, &["tls-secret", "tls-token"]);

    let ca = env.write_file("ca.pem", &server.ca_pem);
    let admitted = env.run(
        &profile(server.port, &format!("ca_file = \"{}\"", ca.display())),
        &["tls"],
    );
    assert_code(&admitted, 0);
    assert_stdout(&admitted, "tls-token\n");
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_configuration_error() {
    let env = Env::new();
    let bad = env.write_file("bad.pem", "not a certificate");
    let out = env.run(
        &profile(9, &format!("ca_file = \"{}\"", bad.display())),
        &["tls"],
    );
    assert_code(&out, 2);
    assert_stderr_contains(&out, "bad.pem");
}
