//! HTTPS to a local endpoint whose certificate is signed by a private CA.
//! An unknown CA refused, and the same admitted with `ca_file`, is a row of
//! the fault matrix (faults.rs), which uses this server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::util::*;

pub struct TlsServer {
    pub port: u16,
    /// The private CA's certificate, PEM.
    pub ca_pem: String,
    /// Requests answered (after a completed handshake).
    answered: Arc<AtomicUsize>,
}

impl TlsServer {
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}

/// A one-thread HTTPS token endpoint on 127.0.0.1 answering at most `max`
/// connections; the N-th request answered gets the token `tls-token-N`.
pub fn start(max: usize) -> TlsServer {
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
    let answered = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&answered);
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
            let mut whole = false;
            // Request line and headers (a failed handshake ends here).
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
            let n = count.fetch_add(1, Ordering::SeqCst);
            let reply = format!(
                r#"{{"access_token":"tls-token-{n}","token_type":"bearer","expires_in":60}}"#
            );
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
        answered,
    }
}

fn profile(port: u16, extra: &str) -> String {
    format!(
        "[profiles.tls]\nflavour = \"oauth2\"\ntoken_url = \"https://127.0.0.1:{port}/token\"\nclient_id = \"c\"\nclient_secret = \"tls-secret\"\nretries = 0\n{extra}\n"
    )
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
