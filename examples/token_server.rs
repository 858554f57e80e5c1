//! A tiny local OAuth 2.0 token endpoint for trying gettoken (see `scripts/demo.sh`).
//!
//! ```text
//! cargo run --example token_server [-- --port N] [--expires-in SECONDS]
//! ```
//!
//! Binds 127.0.0.1 (port 0, i.e. any free port, unless `--port` says
//! otherwise) and prints the chosen port alone on its first stdout line.
//!
//! * `POST /token`: an RFC 6749 section 4.4 client_credentials grant. The client
//!   (`demo` / `demo-secret`) authenticates with HTTP Basic (section 2.3.1: id
//!   and secret form-urlencoded, then base64) or with `client_id` and
//!   `client_secret` in the body. The body may be form-urlencoded or a JSON
//!   object. Replies
//!   `{"access_token":"demo-<hex>","token_type":"bearer","expires_in":3600,"scope":"read"}`,
//!   401 `invalid_client` on bad or missing credentials, 400
//!   `unsupported_grant_type` for any other grant.
//! * `GET /.well-known/openid-configuration`: a minimal discovery document
//!   naming the token endpoint, so `issuer = "http://127.0.0.1:PORT"` works too.
//! * `GET /api/hello`: a protected API resource (RFC 6750): with
//!   `Authorization: Bearer <a token this server issued and that has not
//!   expired>` it replies `{"hello":"demo","token_expires_in":N}`, else 401
//!   with a `WWW-Authenticate: Bearer` challenge.
//!
//! One line per request goes to stderr (`token_server: POST /token -> 200`);
//! no credential, token or query string is ever logged.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};
use tiny_http::{Header, Method, Request, Response, Server};

const CLIENT_ID: &str = "demo";
const CLIENT_SECRET: &str = "demo-secret";
const SCOPE: &str = "read";

struct Options {
    port: u16,
    expires_in: u64,
}

fn usage() -> &'static str {
    "usage: token_server [--port N] [--expires-in SECONDS]\n\
     A demo RFC 6749 client_credentials token endpoint on 127.0.0.1 (client demo / demo-secret).\n\
     Prints the port it listens on as its first stdout line."
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        port: 0,
        expires_in: 3600,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "--port" | "-p" => {
                let v = value("--port")?;
                opts.port = v.parse().map_err(|_| format!("bad port: {v}"))?;
            }
            "--expires-in" => {
                let v = value("--expires-in")?;
                opts.expires_in = v.parse().map_err(|_| format!("bad --expires-in: {v}"))?;
            }
            "--help" | "-h" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}\n{}", usage())),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("token_server: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::http(("127.0.0.1", opts.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "token_server: cannot listen on 127.0.0.1:{}: {e}",
                opts.port
            );
            return ExitCode::from(1);
        }
    };
    let addr: SocketAddr = match server.server_addr().to_ip() {
        Some(a) => a,
        None => {
            eprintln!("token_server: not listening on an IP address");
            return ExitCode::from(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        // The first stdout line is the port, for scripts to read.
        let _ = writeln!(out, "{}", addr.port());
        let _ = out.flush();
    }
    eprintln!("token_server: listening on http://{addr} (client {CLIENT_ID})");

    // The tokens issued so far and when each expires (UNIX seconds); one
    // request at a time, so no lock.
    let mut issued = HashMap::new();
    for request in server.incoming_requests() {
        handle(request, addr, opts.expires_in, &mut issued);
    }
    ExitCode::SUCCESS
}

struct Reply {
    status: u16,
    body: Value,
    extra_headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body,
            extra_headers: Vec::new(),
        }
    }

    fn error(status: u16, error: &str, description: &str) -> Self {
        Reply::json(
            status,
            json!({ "error": error, "error_description": description }),
        )
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra_headers.push((name, value.into()));
        self
    }
}

/// Tokens issued, and when each expires (UNIX seconds).
type Issued = HashMap<String, u64>;

fn handle(mut request: Request, addr: SocketAddr, expires_in: u64, issued: &mut Issued) {
    let method = request.method().clone();
    // Never log the query string: it may carry credentials.
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();

    let reply = match (&method, path.as_str()) {
        (Method::Post, "/token") => token(&mut request, expires_in, issued),
        (Method::Get, "/api/hello") => api(&request, issued),
        (_, "/token") => Reply::error(405, "invalid_request", "Use POST for the token endpoint")
            .with_header("Allow", "POST"),
        (Method::Get, "/.well-known/openid-configuration") => {
            let issuer = format!("http://{addr}");
            Reply::json(
                200,
                json!({
                    "issuer": issuer,
                    "token_endpoint": format!("{issuer}/token"),
                    "grant_types_supported": ["client_credentials"],
                    "token_endpoint_auth_methods_supported":
                        ["client_secret_basic", "client_secret_post"],
                    "scopes_supported": [SCOPE],
                }),
            )
        }
        _ => Reply::error(404, "not_found", "No such endpoint"),
    };

    let status = reply.status;
    let mut response = Response::from_string(reply.body.to_string())
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("Pragma", "no-cache"));
    for (name, value) in reply.extra_headers {
        response = response.with_header(header(name, &value));
    }
    eprintln!("token_server: {method} {path} -> {status}");
    if let Err(e) = request.respond(response) {
        eprintln!("token_server: could not send the reply: {e}");
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A protected resource: answers a bearer token this server issued and
/// that has not expired (RFC 6750 section 3 for the challenge).
fn api(request: &Request, issued: &Issued) -> Reply {
    let presented = header_value(request, "Authorization").and_then(|h| {
        let (scheme, token) = h.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let now = unix_now();
    match presented.as_ref().and_then(|t| issued.get(t)) {
        Some(&expires) if expires > now => Reply::json(
            200,
            json!({ "hello": CLIENT_ID, "token_expires_in": expires - now }),
        ),
        _ => {
            let (error, description) = match presented {
                None => ("invalid_request", "No bearer token"),
                Some(_) => ("invalid_token", "The token is unknown or expired"),
            };
            Reply::error(401, error, description).with_header(
                "WWW-Authenticate",
                format!("Bearer realm=\"token_server\", error=\"{error}\""),
            )
        }
    }
}

/// The client_credentials grant of RFC 6749 section 4.4.
fn token(request: &mut Request, expires_in: u64, issued: &mut Issued) -> Reply {
    let content_type = header_value(request, "Content-Type").unwrap_or_default();
    let authorization = header_value(request, "Authorization");

    let mut body = String::new();
    if request
        .as_reader()
        .take(64 * 1024)
        .read_to_string(&mut body)
        .is_err()
    {
        return Reply::error(400, "invalid_request", "The request body is not UTF-8");
    }
    let params = match parse_params(&content_type, &body) {
        Ok(p) => p,
        Err(e) => return Reply::error(400, "invalid_request", &e),
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    // Client authentication (section 2.3.1): HTTP Basic, or the body; not both.
    let basic = authorization.as_deref().and_then(basic_credentials);
    let body_secret = param("client_secret");
    let (id, secret, used_basic) = match (basic, authorization.is_some()) {
        (Some(_), _) if body_secret.is_some() => {
            return Reply::error(
                400,
                "invalid_request",
                "Use one client authentication method, not both",
            );
        }
        (Some((id, secret)), _) => (Some(id), Some(secret), true),
        (None, true) => (None, None, true), // an Authorization header we cannot read
        (None, false) => (
            param("client_id").map(str::to_string),
            body_secret.map(str::to_string),
            false,
        ),
    };
    if id.as_deref() != Some(CLIENT_ID) || secret.as_deref() != Some(CLIENT_SECRET) {
        let reply = Reply::error(401, "invalid_client", "Client authentication failed");
        return if used_basic {
            reply.with_header("WWW-Authenticate", "Basic realm=\"token_server\"")
        } else {
            reply
        };
    }

    match param("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return Reply::error(
                400,
                "unsupported_grant_type",
                "Only client_credentials is supported",
            );
        }
        None => return Reply::error(400, "invalid_request", "Missing grant_type"),
    }

    if let Some(scope) = param("scope")
        && let Some(bad) = scope.split(' ').find(|s| !s.is_empty() && *s != SCOPE)
    {
        return Reply::error(400, "invalid_scope", &format!("Unknown scope: {bad}"));
    }

    let access_token = format!("demo-{}", random_hex());
    issued.insert(access_token.clone(), unix_now() + expires_in);
    Reply::json(
        200,
        json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": SCOPE,
        }),
    )
}

fn header_value(request: &Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

/// The request parameters: a form-urlencoded body (the standard), or a JSON
/// object for clients that send one.
fn parse_params(content_type: &str, body: &str) -> Result<Vec<(String, String)>, String> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" {
        let value: Value =
            serde_json::from_str(body).map_err(|_| "The JSON body does not parse".to_string())?;
        let object = value
            .as_object()
            .ok_or_else(|| "The JSON body is not an object".to_string())?;
        Ok(object
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect())
    } else {
        serde_urlencoded::from_str(body).map_err(|_| "The form body does not parse".to_string())
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` -> (id, secret).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// application/x-www-form-urlencoded decoding of one component.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// 128 random bits as hex, from the standard library's randomly keyed hasher.
fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    (0..2)
        .map(|_| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u128(nanos);
            format!("{:016x}", h.finish())
        })
        .collect()
}
