//! Helpers shared by the end-to-end tests: a recording HTTP server on
//! `127.0.0.1:0`, an isolated environment to run the `gettoken` binary in,
//! and assertions on its output (exit codes, exact stdout, no leaked secret).

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one run of the binary may take before the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// A test server never lives (or loops) longer than this.
const SERVER_LIFETIME: Duration = Duration::from_secs(120);
/// A test server answers at most this many requests, then stops.
const SERVER_MAX_REQUESTS: usize = 200;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The request target exactly as sent: path and query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }

    /// The raw query string, if any.
    pub fn raw_query(&self) -> Option<&str> {
        self.url.split_once('?').map(|(_, q)| q)
    }

    /// The query string, decoded as `application/x-www-form-urlencoded`.
    pub fn query(&self) -> Vec<(String, String)> {
        decode_form(self.raw_query().unwrap_or("").as_bytes())
    }

    /// One query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body, decoded as `application/x-www-form-urlencoded`.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(&self.body)
    }

    /// One form field, decoded.
    pub fn form_param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The media type of the body, lower-cased, without parameters.
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// `Authorization: Basic ...` decoded into its raw `user:pass` text.
    pub fn basic_auth_raw(&self) -> Option<String> {
        use base64::Engine as _;
        let value = self.header("authorization")?;
        let (scheme, rest) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        String::from_utf8(bytes).ok()
    }

    /// `Authorization: Basic ...` decoded per RFC 6749 2.3.1: split at the
    /// colon, each half form-urldecoded.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let raw = self.basic_auth_raw()?;
        let (id, secret) = raw.split_once(':')?;
        Some((form_decode_component(id), form_decode_component(secret)))
    }
}

/// Decodes one `application/x-www-form-urlencoded` component.
pub fn form_decode_component(s: &str) -> String {
    let pairs = decode_form(format!("x={s}").as_bytes());
    pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default()
}

fn decode_form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// Encodes one component as `application/x-www-form-urlencoded` (space as `+`).
pub fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON reply with the given status.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    /// A plain-text reply with the given status.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync + 'static;

/// A local HTTP server on `127.0.0.1:0` that records every request and
/// answers through a closure. It stops when dropped.
pub struct Server {
    port: u16,
    inner: Arc<tiny_http::Server>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering every request through `handler`, which is
    /// given the request and its index (0 for the first request).
    pub fn start<F>(handler: F) -> Server
    where
        F: Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    {
        let inner = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = inner
            .server_addr()
            .to_ip()
            .expect("an IP listen address")
            .port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let inner = Arc::clone(&inner);
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(&inner, &requests, &stop, &*handler))
        };
        Server {
            port,
            inner,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// A server that answers every request with the same reply.
    pub fn always(reply: Reply) -> Server {
        Server::start(move |_, _| reply.clone())
    }

    /// A token endpoint answering every request with `status` and the JSON
    /// `body`.
    pub fn json(status: u16, body: Value) -> Server {
        Server::always(Reply::json(status, body))
    }

    /// A standard OAuth2 token endpoint: 200 with [`oauth_token`]`(token)`
    /// (Bearer, one hour) to every request.
    pub fn token(token: &str) -> Server {
        Server::json(200, oauth_token(token))
    }

    /// A token endpoint answering the N-th request (0 first) with 200 and
    /// the JSON `body(N)`: each request gets a token of its own.
    pub fn counting<F>(body: F) -> Server
    where
        F: Fn(usize) -> Value + Send + Sync + 'static,
    {
        Server::start(move |_, i| Reply::json(200, body(i)))
    }

    /// A server answering its requests with `replies` in order, the last
    /// one to every request after it.
    pub fn replies(replies: Vec<Reply>) -> Server {
        assert!(!replies.is_empty(), "Server::replies needs a reply");
        Server::start(move |_, i| replies[i.min(replies.len() - 1)].clone())
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The only request received; fails if there were none or several.
    pub fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one request, got {}: {all:#?}",
            all.len()
        );
        all.into_iter().next().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.inner.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    server: &tiny_http::Server,
    requests: &Mutex<Vec<Recorded>>,
    stop: &AtomicBool,
    handler: &Handler,
) {
    let deadline = Instant::now() + SERVER_LIFETIME;
    let mut served = 0usize;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline && served < SERVER_MAX_REQUESTS
    {
        let mut request = match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => break,
        };
        let mut body = Vec::new();
        let _ = request.as_reader().read_to_end(&mut body);
        let recorded = Recorded {
            method: request.method().as_str().to_string(),
            url: request.url().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|h| {
                    (
                        h.field.as_str().as_str().to_string(),
                        h.value.as_str().to_string(),
                    )
                })
                .collect(),
            body,
            at: Instant::now(),
        };
        let index = {
            let mut all = requests.lock().unwrap();
            all.push(recorded.clone());
            all.len() - 1
        };
        served += 1;
        let reply = handler(&recorded, index);
        let mut response =
            tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
        for (name, value) in &reply.headers {
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        let _ = request.respond(response);
    }
}

/// What a [`RawServer`] does with one connection, after reading its
/// request.
#[derive(Debug, Clone)]
pub enum Conduct {
    /// Answers with this reply and closes the connection.
    Answer(Reply),
    /// Says nothing, holding the connection open until the server stops.
    Silent,
    /// Sends the status line and headers of a 200 with a 100-byte JSON
    /// body, then one body byte every `Duration` (at most 100).
    Trickle(Duration),
    /// Closes the connection without a word.
    HangUp,
}

type RawHandler = dyn Fn(&Recorded, usize) -> Conduct + Send + Sync + 'static;

/// A local HTTP/1.1 server on `127.0.0.1:0` written on plain sockets, for
/// what a well-behaved server library will not do: never answer, trickle
/// bytes, hang up. One request per connection, each on its own thread;
/// [`RawServer::close`] stops listening, so the port then refuses
/// connections. Bounded like [`Server`]; everything stops when dropped.
pub struct RawServer {
    port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    pub fn start<F>(handler: F) -> RawServer
    where
        F: Fn(&Recorded, usize) -> Conduct + Send + Sync + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<RawHandler> = Arc::new(handler);
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || raw_accept(listener, &requests, &stop, &handler))
        };
        RawServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Stops listening and answering: connecting to the port is refused
    /// from now on, and held connections are closed.
    pub fn close(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.close();
    }
}

fn raw_accept(
    listener: std::net::TcpListener,
    requests: &Arc<Mutex<Vec<Recorded>>>,
    stop: &Arc<AtomicBool>,
    handler: &Arc<RawHandler>,
) {
    let deadline = Instant::now() + SERVER_LIFETIME;
    let mut connections = Vec::new();
    while !stop.load(Ordering::SeqCst)
        && Instant::now() < deadline
        && connections.len() < SERVER_MAX_REQUESTS
    {
        match listener.accept() {
            Ok((stream, _)) => {
                let requests = Arc::clone(requests);
                let stop = Arc::clone(stop);
                let handler = Arc::clone(handler);
                connections.push(std::thread::spawn(move || {
                    raw_connection(stream, &requests, &stop, &*handler, deadline)
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
    drop(listener);
    stop.store(true, Ordering::SeqCst);
    for connection in connections {
        let _ = connection.join();
    }
}

fn raw_connection(
    mut stream: std::net::TcpStream,
    requests: &Mutex<Vec<Recorded>>,
    stop: &AtomicBool,
    handler: &RawHandler,
    deadline: Instant,
) {
    use std::io::Write as _;
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(recorded) = read_raw_request(&mut stream) else {
        return;
    };
    let index = {
        let mut all = requests.lock().unwrap();
        all.push(recorded.clone());
        all.len() - 1
    };
    // Waits until the server stops, checking often; false when it did.
    let pause = |d: Duration| {
        let until = Instant::now() + d;
        while Instant::now() < until.min(deadline) {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        !stop.load(Ordering::SeqCst) && Instant::now() < deadline
    };
    match handler(&recorded, index) {
        Conduct::Answer(reply) => {
            let mut head = format!("HTTP/1.1 {} Status\r\n", reply.status);
            for (name, value) in &reply.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                reply.body.len()
            ));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply.body);
            let _ = stream.flush();
        }
        Conduct::Silent => while pause(Duration::from_secs(1)) {},
        Conduct::Trickle(every) => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{",
            );
            for _ in 0..99 {
                if !pause(every) || stream.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        Conduct::HangUp => {}
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// One request off a socket: request line, headers, a `Content-Length`
/// body (bounded), as [`Recorded`].
fn read_raw_request(stream: &mut std::net::TcpStream) -> Option<Recorded> {
    use std::io::{BufRead as _, BufReader, Read as _};
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let url = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 || headers.len() > 200 {
            return None;
        }
        let text = line.trim_end();
        if text.is_empty() {
            break;
        }
        let (name, value) = text.split_once(':')?;
        let (name, value) = (name.trim().to_string(), value.trim().to_string());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0u8; length.min(4 * 1024 * 1024)];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        url,
        headers,
        body,
        at: Instant::now(),
    })
}

/// A `http://127.0.0.1:PORT` URL where nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Variables no program a test runs inherits from the test's own
/// environment: proxies, what would open a real browser or reach a real
/// keyring, what would make git ask for or read anything outside the test,
/// and variables the binary reads that a test must set itself. (Also unset:
/// every other `GETTOKEN_*` variable but the test setup's `GETTOKEN_TEST_*`,
/// see [`Env::isolation`].)
const UNSET: [&str; 17] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "BROWSER",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "GNOME_KEYRING_CONTROL",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_CONFIG_GLOBAL",
    "RUST_LOG",
    "GETTOKEN_CONFIG",
    "GETTOKEN_COMPLETE",
    "KUBERNETES_EXEC_INFO",
    "SSH_CONNECTION",
];

/// The directories under an [`Env`]'s root that the isolation points
/// HOME, the XDG directories and TMPDIR at (all created, the runtime
/// directory 0700).
const DIRS: [&str; 7] = ["home", "config", "cache", "data", "state", "runtime", "tmp"];

/// An isolated environment to run `gettoken` (or git, a shell, man) in:
/// a temporary HOME, XDG directories and TMPDIR, no proxy, no session bus,
/// no `GETTOKEN_CONFIG`, no system or user git configuration. Every program
/// a test runs gets it through [`Env::isolation`], the one place it is
/// written.
pub struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in DIRS {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let runtime = dir.path().join("runtime");
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Env { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn xdg_config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// The isolation, as variables to set (`Some`) or to unset (`None`):
    /// HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, XDG_STATE_HOME,
    /// XDG_RUNTIME_DIR and TMPDIR inside the test's directory; NO_COLOR;
    /// git without system configuration and never prompting;
    /// GETTOKEN_INTERACTIVE=always; [`UNSET`]
    /// (upper and lower case) and every inherited `GETTOKEN_*` variable but
    /// `GETTOKEN_TEST_*` unset. A test sets what it needs (a bus address,
    /// GETTOKEN_CONFIG) after it.
    pub fn isolation(&self) -> Vec<(OsString, Option<OsString>)> {
        let root = self.root();
        let mut vars: Vec<(OsString, Option<OsString>)> = [
            ("HOME", self.home()),
            ("XDG_CONFIG_HOME", self.xdg_config_home()),
            ("XDG_CACHE_HOME", root.join("cache")),
            ("XDG_DATA_HOME", root.join("data")),
            ("XDG_STATE_HOME", root.join("state")),
            ("XDG_RUNTIME_DIR", root.join("runtime")),
            ("TMPDIR", root.join("tmp")),
            ("NO_COLOR", PathBuf::from("1")),
            ("GIT_CONFIG_NOSYSTEM", PathBuf::from("1")),
            ("GIT_TERMINAL_PROMPT", PathBuf::from("0")),
            // The tests run without a terminal but play the user of device
            // and browser logins: logins start as they did before `auto`.
            // Tests of the interactive rule set GETTOKEN_INTERACTIVE themselves.
            ("GETTOKEN_INTERACTIVE", PathBuf::from("always")),
        ]
        .into_iter()
        .map(|(k, v)| (OsString::from(k), Some(v.into_os_string())))
        .collect();
        for var in UNSET {
            vars.push((var.into(), None));
            vars.push((var.to_ascii_lowercase().into(), None));
        }
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("GETTOKEN_")
                && !text.starts_with("GETTOKEN_TEST_")
                && !vars.iter().any(|(k, _)| *k == name)
            {
                vars.push((name, None));
            }
        }
        vars
    }

    /// The binary, isolated, with no arguments yet.
    pub fn bare_cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(gettoken_bin());
        self.isolate(&mut cmd);
        cmd
    }

    /// Applies [`Env::isolation`] to a command, in the test's directory,
    /// with an empty stdin and bounded in time.
    pub fn isolate(&self, cmd: &mut assert_cmd::Command) {
        // An empty stdin that is closed at once: nothing can wait on it.
        cmd.write_stdin("")
            .timeout(RUN_TIMEOUT)
            .current_dir(self.root());
        for (name, value) in self.isolation() {
            match value {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
    }

    /// Applies [`Env::isolation`] to a `std::process::Command` (for spawning
    /// many at once, reading a running process's output, or running another
    /// program), in the test's directory.
    pub fn isolate_std(&self, cmd: &mut std::process::Command) {
        cmd.current_dir(self.root());
        for (name, value) in self.isolation() {
            match value {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
    }

    /// Where `cache = "file"` keeps the token of `profile` (a name of
    /// letters, digits, `-` and `_`).
    pub fn file_cache_entry(&self, profile: &str) -> PathBuf {
        self.dir
            .path()
            .join("cache/gettoken")
            .join(format!("token~{profile}.json"))
    }

    /// Writes `text` as is to a file in the temporary directory.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A profiles file with `[defaults] cache = "none"` followed by `profiles`
    /// (which must not have its own `[defaults]` table).
    pub fn profiles_text(profiles: &str) -> String {
        format!("[defaults]\ncache = \"none\"\n\n{profiles}")
    }

    /// Writes the profiles file (see `profiles_text`) and returns its path.
    pub fn write_config(&self, profiles: &str) -> PathBuf {
        self.write_profiles(&Env::profiles_text(profiles))
    }

    /// Writes `text` as it is (no `[defaults]` added, unlike
    /// [`Env::write_config`]) to `profiles.toml` and returns its path. The
    /// file is the user's own (mode 0600), as `gettoken init` makes it: a
    /// run then reads only the tables it needs (config/scan.rs), where a
    /// file others may read is parsed whole (`write_profiles_mode`).
    pub fn write_profiles(&self, text: &str) -> PathBuf {
        self.write_profiles_mode(text, 0o600)
    }

    /// Writes `text` as the profiles file, then sets the file's mode.
    pub fn write_profiles_mode(&self, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self.write_file("profiles.toml", text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// Runs the binary with `--config CONFIG`, `args` and the extra
    /// environment variables `vars`.
    pub fn run_config(&self, config: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.bare_cmd();
        cmd.arg("--config").arg(config).args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().expect("run gettoken")
    }

    /// Runs the binary on the profiles file `text` written as it is
    /// ([`Env::write_profiles`]), with `args` and `vars`.
    pub fn run_as_is(&self, text: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let path = self.write_profiles(text);
        self.run_config(&path, args, vars)
    }

    /// The binary with `--config PATH` for the given profiles.
    pub fn cmd(&self, profiles: &str) -> assert_cmd::Command {
        let path = self.write_config(profiles);
        let mut cmd = self.bare_cmd();
        cmd.arg("--config").arg(path);
        cmd
    }

    /// Runs the binary with `--config PATH` and the given arguments.
    pub fn run(&self, profiles: &str, args: &[&str]) -> Output {
        self.run_with_env(profiles, args, &[])
    }

    /// Like `run`, with extra environment variables.
    pub fn run_with_env(&self, profiles: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd(profiles);
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().expect("run gettoken")
    }
}

/// A profile name no other test (or earlier run) uses: the kernel keyring
/// and the Secret Service are shared by every process of the user.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::AtomicUsize;
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The `gettoken` binary under test: the one `GETTOKEN_TEST_BIN` names when
/// set (another build of it, such as the static one: see scripts/test.sh),
/// else the one cargo built for this test run.
pub fn gettoken_bin() -> PathBuf {
    match std::env::var_os("GETTOKEN_TEST_BIN").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => assert_cmd::cargo::cargo_bin("gettoken"),
    }
}

/// A component a test needs is not there: under CI=true that fails the
/// test (the setup must start or install it). Elsewhere the test skips
/// (the caller returns, or leaves out the part that needs it), and the skip
/// is made visible, since libtest can only report the test as `ok`:
/// * a line `SKIPPED (component missing): TEST: WHAT (FIX)` written straight
///   to stderr (libtest captures only `print!`/`eprint!`, so it shows in
///   the run's output next to the test's `ok`, with or without
///   `--nocapture`);
/// * the line `TEST: WHAT (FIX)` appended to the file named by
///   `GETTOKEN_TEST_SKIPS`, which scripts/test.sh sets, counts and lists
///   after `cargo test` (`N tests skipped (component missing):`).
pub fn component_missing(what: &str, fix: &str) {
    use std::io::Write as _;
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {what}: {fix}"
    );
    // libtest names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string();
    let line = format!("{test}: {what} ({fix})\n");
    let _ = std::io::stderr().write_all(format!("SKIPPED (component missing): {line}").as_bytes());
    if let Some(path) = std::env::var_os("GETTOKEN_TEST_SKIPS").filter(|p| !p.is_empty()) {
        // One write of one line with O_APPEND: lines of tests running at
        // the same time do not mix.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!(
                "cannot record the skip in GETTOKEN_TEST_SKIPS={}: {e}",
                Path::new(&path).display()
            );
        }
    }
}

/// The value of the test setup's variable `name`, or `None` when it is
/// unset or empty (see [`component_missing`]; `what` names the component).
pub fn setup_var(name: &str, what: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            component_missing(what, "run the tests through scripts/test.sh");
            None
        }
    }
}

/// The private Secret Service bus, if the test setup started one.
pub fn secret_service_bus() -> Option<String> {
    setup_var("GETTOKEN_TEST_DBUS", "no Secret Service was started")
}

/// Every file under `dir` (recursively, symlinks not followed) whose bytes
/// contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                        found.push(path);
                    }
                }
                _ => {}
            }
        }
    }
    found
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        stdout(output),
        stderr(output)
    )
}

/// The process exited with `code`.
pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit code {code}\n{}",
        describe(output)
    );
}

/// Exit 0 and stdout exactly `expected`.
pub fn assert_stdout(output: &Output, expected: &str) {
    assert_code(output, 0);
    assert_eq!(stdout(output), expected, "stdout\n{}", describe(output));
}

/// stderr contains `needle`.
pub fn assert_stderr_contains(output: &Output, needle: &str) {
    assert!(
        stderr(output).contains(needle),
        "stderr should contain {needle:?}\n{}",
        describe(output)
    );
}

/// stderr contains `needle`, ignoring ASCII case.
pub fn assert_stderr_contains_ci(output: &Output, needle: &str) {
    assert!(
        stderr(output)
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase()),
        "stderr should contain {needle:?} (any case)\n{}",
        describe(output)
    );
}

/// A failed run: nothing at all on stdout.
pub fn assert_failed_with(output: &Output, code: i32) {
    assert_code(output, code);
    assert_eq!(
        stdout(output),
        "",
        "stdout must be empty on failure\n{}",
        describe(output)
    );
}

/// Neither stdout nor stderr contains any of `secrets`, nor their
/// form-urlencoded or JSON-escaped spellings.
pub fn assert_no_leak(output: &Output, secrets: &[&str]) {
    let out = stdout(output);
    let err = stderr(output);
    for secret in secrets {
        assert!(!secret.is_empty(), "an empty secret cannot be checked");
        let mut spellings = vec![
            secret.to_string(),
            form_encode(secret),
            form_encode(secret).replace('+', "%20"),
        ];
        let json = serde_json::to_string(secret).unwrap();
        spellings.push(json[1..json.len() - 1].to_string());
        spellings.dedup();
        for s in &spellings {
            assert!(
                !out.contains(s.as_str()),
                "secret {s:?} leaked on stdout\n{}",
                describe(output)
            );
            assert!(
                !err.contains(s.as_str()),
                "secret {s:?} leaked on stderr\n{}",
                describe(output)
            );
        }
    }
}

/// A successful run printed `token` exactly once, as the whole of stdout
/// (`TOKEN\n`), and never on stderr.
pub fn assert_token_only_on_stdout(output: &Output, token: &str) {
    assert_stdout(output, &format!("{token}\n"));
    assert!(
        !stderr(output).contains(token),
        "token leaked on stderr\n{}",
        describe(output)
    );
}

/// The `HTTP Basic` header value for `id:secret`, each half form-urlencoded
/// as RFC 6749 2.3.1 requires.
pub fn basic_header(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let raw = format!("{}:{}", form_encode(id), form_encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The base64 part of `basic_header`, for leak checks.
pub fn basic_credentials_b64(id: &str, secret: &str) -> String {
    basic_header(id, secret)
        .strip_prefix("Basic ")
        .unwrap()
        .to_string()
}

/// Parses stdout as JSON (for `--format json`).
pub fn stdout_json(output: &Output) -> Value {
    assert_code(output, 0);
    serde_json::from_str(stdout(output).trim_end()).unwrap_or_else(|e| {
        panic!("stdout is not JSON: {e}\n{}", describe(output));
    })
}

/// Seconds since the UNIX epoch, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Parses an RFC 3339 timestamp into UNIX seconds.
pub fn rfc3339_to_unix(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{s:?} is not an RFC 3339 time: {e}"))
        .as_second()
}

/// `--format json`'s `expires_in` and `expires_at` agree with a token that
/// lives `lifetime` seconds from now (within `slack` seconds).
pub fn assert_json_expiry(json: &Value, lifetime: i64, slack: i64) {
    let expires_in = json["expires_in"]
        .as_f64()
        .unwrap_or_else(|| panic!("expires_in is not a number: {json}"))
        as i64;
    assert!(
        (expires_in - lifetime).abs() <= slack,
        "expires_in {expires_in} should be about {lifetime}: {json}"
    );
    let expires_at = json["expires_at"]
        .as_str()
        .unwrap_or_else(|| panic!("expires_at is not a string: {json}"));
    let at = rfc3339_to_unix(expires_at);
    let expected = now_unix() + lifetime;
    assert!(
        (at - expected).abs() <= slack,
        "expires_at {expires_at} should be about now + {lifetime}s: {json}"
    );
}

/// A standard OAuth2 success body.
pub fn oauth_token(token: &str) -> Value {
    serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 3600,
    })
}
