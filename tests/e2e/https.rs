//! An HTTPS server on 127.0.0.1 for the real clients (kubectl, docker,
//! skopeo, terraform, pnpm): a certificate for 127.0.0.1 and localhost
//! signed by a private CA written to a PEM file (for a kubeconfig's
//! `certificate-authority`, or `SSL_CERT_FILE`), each request recorded and
//! answered by a closure, one thread per connection, HTTP/1.1 with
//! `Connection: close`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::util::{Recorded, Reply};

pub struct HttpsServer {
    pub port: u16,
    /// The private CA's certificate, as a PEM file.
    pub ca_file: PathBuf,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl HttpsServer {
    /// Starts the server; `ca_dir` receives `ca.pem`. `handler` gets each
    /// request and the server's base URL.
    pub fn start<F>(ca_dir: &Path, handler: F) -> HttpsServer
    where
        F: Fn(&Recorded, &str) -> Reply + Send + Sync + 'static,
    {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Names of their own: with rcgen's one default name for both, the
        // leaf looks self-signed to OpenSSL (curl, cargo).
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "gettoken test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        let ca_file = ca_dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(leaf.der().to_vec()),
                CertificateDer::from(ca.der().to_vec()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("https://127.0.0.1:{port}");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        {
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                for stream in listener.incoming().take(500) {
                    let Ok(tcp) = stream else { continue };
                    let (config, requests, handler, base) = (
                        config.clone(),
                        requests.clone(),
                        handler.clone(),
                        base.clone(),
                    );
                    std::thread::spawn(move || {
                        serve(tcp, config, &requests, &*handler, &base);
                    });
                }
            });
        }
        HttpsServer {
            port,
            ca_file,
            requests,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve<F>(
    mut tcp: std::net::TcpStream,
    config: Arc<rustls::ServerConfig>,
    requests: &Mutex<Vec<Recorded>>,
    handler: &F,
    base: &str,
) where
    F: Fn(&Recorded, &str) -> Reply,
{
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
    // Keep-alive: Go clients reuse connections; answer requests until the
    // peer closes.
    loop {
        let mut reader = BufReader::new(&mut tls);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let url = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        drop(reader);
        let recorded = Recorded {
            method,
            url,
            headers,
            body,
            at: Instant::now(),
        };
        requests.lock().unwrap().push(recorded.clone());
        let reply = handler(&recorded, base);
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if tls.write_all(head.as_bytes()).is_err()
            || (recorded.method != "HEAD" && tls.write_all(&reply.body).is_err())
            || tls.flush().is_err()
        {
            return;
        }
    }
}
