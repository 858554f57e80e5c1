//! End-to-end tests against a real, certified OpenID Connect server:
//! `oidc-provider` from tests/oidc/server.js, started on 127.0.0.1 by
//! scripts/test-env.sh (GETTOKEN_TEST_OIDC_ISSUER). Its clients and test
//! hooks are described at the top of server.js.
//!
//! Helpers here: the server's address and keys, its counters, a small
//! cookie-keeping browser that follows redirects and submits forms (the
//! user's side of device and browser logins), and a running gettoken whose
//! stderr is read as it comes.

mod assertion;
mod browser_elsewhere;
mod browser_login;
mod client_credentials;
mod device;
mod id_token;
mod refresh;
mod rotation;
mod unattended;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::Env;

/// The issuer, or `None` (with a note) outside scripts/test.sh; under
/// CI=true a missing server fails the test.
pub fn issuer() -> Option<String> {
    crate::util::setup_var(
        "GETTOKEN_TEST_OIDC_ISSUER",
        "no OIDC test server was started",
    )
}

/// A private key of a `private_key_jwt` client, written by the server.
pub fn client_key(name: &str) -> PathBuf {
    let dir = std::env::var("GETTOKEN_TEST_OIDC_KEYS").expect("GETTOKEN_TEST_OIDC_KEYS");
    PathBuf::from(dir).join(name)
}

/// The server's counters for one client (see server.js).
pub fn stats(issuer: &str, client_id: &str) -> Value {
    let reply = http(
        "GET",
        &format!("{issuer}/test/stats?client_id={client_id}"),
        &[],
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).expect("stats JSON")
}

pub fn count(stats: &Value, path: &str) -> u64 {
    stats.pointer(path).and_then(Value::as_u64).unwrap_or(0)
}

// --- plain HTTP/1.0 over loopback ------------------------------------------------------

pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request; the reply read to its end (HTTP/1.0: no chunking, the
/// server closes). Bounded by a 10 s read timeout.
pub fn http(method: &str, url: &str, headers: &[(&str, String)], body: Option<&str>) -> RawReply {
    let parsed = url::Url::parse(url).expect("URL");
    assert_eq!(parsed.scheme(), "http", "{url}");
    let host = parsed.host_str().expect("host");
    assert!(
        host == "127.0.0.1" || host == "[::1]" || host == "localhost",
        "loopback only: {url}"
    );
    let port = parsed.port_or_known_default().unwrap();
    let mut stream = TcpStream::connect((host.trim_matches(['[', ']']), port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let mut request = format!("{method} {target} HTTP/1.0\r\nHost: {host}:{port}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read reply");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in reply to {url}: {head}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    RawReply {
        status,
        headers,
        body: body.to_string(),
    }
}

// --- the user's browser -------------------------------------------------------------------

/// Keeps cookies, follows redirects, submits forms: what a person's browser
/// does in a device or browser login, without JavaScript.
#[derive(Default)]
pub struct Browser {
    cookies: BTreeMap<String, String>,
    /// A redirect to a URL starting with this is not followed: its page is
    /// the address, with an empty body (the browser of a paste-mode login,
    /// whose redirect leads nowhere).
    pub stop_at: Option<String>,
}

pub struct Page {
    pub url: String,
    pub body: String,
}

/// A form of a page: where it posts and its fields.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Browser {
    pub fn get(&mut self, url: &str) -> Page {
        self.go("GET", url, None)
    }

    /// Submits `form` (resolved against the page's URL) with `changes`
    /// (a field set to `None` is left out).
    pub fn submit(&mut self, page: &Page, form: &Form, changes: &[(&str, Option<&str>)]) -> Page {
        let mut fields = form.fields.clone();
        for (name, value) in changes {
            fields.retain(|(n, _)| n != name);
            if let Some(v) = value {
                fields.push((name.to_string(), v.to_string()));
            }
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let action = url::Url::parse(&page.url)
            .unwrap()
            .join(&form.action)
            .unwrap();
        self.go("POST", action.as_str(), Some(&body))
    }

    /// Approves (or denies) whatever the login pages ask until a page that
    /// is not the server's login page comes: the device "approved" page,
    /// or gettoken's own page at the loopback redirect.
    pub fn sign_in(&mut self, mut page: Page, approve: bool) -> Page {
        for _ in 0..10 {
            let choice = if approve { "/approve" } else { "/deny" };
            let Some(form) = forms(&page.body)
                .into_iter()
                .find(|f| f.action.ends_with(choice))
            else {
                return page;
            };
            page = self.submit(&page, &form, &[]);
        }
        panic!("the login pages did not end: {}", page.body);
    }

    /// The user's side of a device login opened at `uri` (the complete
    /// verification URI, or the plain one with the code to type): the code
    /// is confirmed, then approved, or cancelled at the confirm page.
    pub fn device_login(&mut self, uri: &str, code: Option<&str>, approve: bool) -> Page {
        let page = self.get(uri);
        let form = forms(&page.body)
            .into_iter()
            .find(|f| f.fields.iter().any(|(n, _)| n == "user_code"))
            .expect("the code form");
        let typed: Vec<(&str, Option<&str>)> =
            code.map(|c| ("user_code", Some(c))).into_iter().collect();
        let page = self.submit(&page, &form, &typed);
        let confirm = forms(&page.body)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no confirm form: {}", page.body));
        if approve {
            let page = self.submit(&page, &confirm, &[]);
            self.sign_in(page, true)
        } else {
            self.submit(
                &page,
                &confirm,
                &[("confirm", None), ("abort", Some("yes"))],
            )
        }
    }

    fn go(&mut self, method: &str, url: &str, body: Option<&str>) -> Page {
        let (mut method, mut url, mut body) = (method.to_string(), url.to_string(), body);
        for _ in 0..20 {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let headers = if cookie.is_empty() {
                vec![]
            } else {
                vec![("Cookie", cookie)]
            };
            let reply = http(&method, &url, &headers, body);
            for (name, value) in &reply.headers {
                if name.eq_ignore_ascii_case("set-cookie") {
                    let pair = value.split(';').next().unwrap_or("");
                    if let Some((k, v)) = pair.split_once('=') {
                        if v.is_empty() {
                            self.cookies.remove(k.trim());
                        } else {
                            self.cookies.insert(k.trim().into(), v.trim().into());
                        }
                    }
                }
            }
            match (reply.status, reply.header("location")) {
                (301 | 302 | 303 | 307 | 308, Some(location)) => {
                    let next = url::Url::parse(&url).unwrap().join(location).unwrap();
                    if self
                        .stop_at
                        .as_ref()
                        .is_some_and(|p| next.as_str().starts_with(p.as_str()))
                    {
                        return Page {
                            url: next.to_string(),
                            body: String::new(),
                        };
                    }
                    if !matches!(reply.status, 307 | 308) {
                        method = "GET".into();
                        body = None;
                    }
                    url = next.to_string();
                }
                _ => {
                    return Page {
                        url,
                        body: reply.body,
                    };
                }
            }
        }
        panic!("more than 20 redirects from {url}");
    }
}

/// The forms of an HTML page, with every input that has a name.
pub fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let form_html = &after[..end];
        let tag_end = form_html.find('>').unwrap_or(form_html.len());
        let action = attr(&form_html[..tag_end], "action").unwrap_or_default();
        let mut fields = Vec::new();
        let mut inputs = form_html;
        while let Some(i) = inputs.find("<input") {
            let input = &inputs[i..];
            let close = input.find('>').unwrap_or(input.len());
            let tag = &input[..close];
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
            inputs = &input[close..];
        }
        out.push(Form { action, fields });
        rest = &after[end..];
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let tag = tag.replace(['\n', '\t'], " ");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(
        tag[start..start + len]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

// --- gettoken, running -----------------------------------------------------------------

/// A gettoken process whose stderr is read line by line while it runs.
/// Killed when dropped unfinished (a failing test leaves no process behind).
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    /// Its stdin, when started by [`Running::start_typing`].
    stdin: Option<std::process::ChildStdin>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn start(
        env: &Env,
        config: &std::path::Path,
        args: &[&str],
        vars: &[(&str, &str)],
    ) -> Running {
        Running::spawn(env, config, args, vars, Stdio::null())
    }

    /// [`Running::start`] with a stdin the test types into
    /// ([`Running::type_line`]).
    pub fn start_typing(
        env: &Env,
        config: &std::path::Path,
        args: &[&str],
        vars: &[(&str, &str)],
    ) -> Running {
        let mut run = Running::spawn(env, config, args, vars, Stdio::piped());
        run.stdin = run.child.stdin.take();
        run
    }

    /// Types `line` and Enter on the process's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("started by start_typing");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn spawn(
        env: &Env,
        config: &std::path::Path,
        args: &[&str],
        vars: &[(&str, &str)],
        stdin: Stdio,
    ) -> Running {
        let mut cmd = Command::new(crate::util::gettoken_bin());
        env.isolate_std(&mut cmd);
        cmd.arg("--config")
            .arg(config)
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn gettoken");
        let (tx, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let all = Arc::clone(&stderr);
        let err_pipe = child.stderr.take().unwrap();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                all.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let mut out_pipe = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out_pipe.read_to_end(&mut buf);
            buf
        });
        Running {
            child,
            lines,
            stderr,
            stderr_reader: Some(stderr_reader),
            stdout: Some(stdout),
            stdin: None,
        }
    }

    /// The first stderr line (from now on) for which `pick` gives a value.
    pub fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(v) = pick(&line) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "gettoken printed no {what} within 30s; stderr so far:\n{}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// Waits (bounded) for the process to end.
    pub fn finish(mut self) -> Output {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "gettoken did not end within 60s; stderr:\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.take().unwrap().join().unwrap();
        // Both readers end with their pipes: all of stderr is in.
        self.stderr_reader.take().unwrap().join().unwrap();
        let stderr = self.stderr.lock().unwrap().clone().into_bytes();
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

/// The value after `label` on a gettoken stderr line (`gettoken:   code  X`).
pub fn after<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let rest = line.strip_prefix("gettoken:")?.trim_start();
    rest.strip_prefix(label).map(str::trim)
}
