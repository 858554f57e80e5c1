//! The browser login (authorization code grant with PKCE and a loopback
//! redirect, RFC 6749 4.1, RFC 7636, RFC 8252): gettoken listens on the
//! loopback address of `redirect_uri`, sends the user's browser to the
//! authorization endpoint (`flows::opener`), and waits (bounded) for the
//! redirect that brings the code back, or, in paste mode, for the user to
//! paste the redirected address on stdin.

use std::io::{BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{opener, reply};
use crate::config::{OAuth2, Profile};
use crate::error::Failure;
use crate::flows::discovery::Endpoints;
use crate::http::Transport;
use crate::protocol::authcode::{self, Callback};
use crate::protocol::request::{self, GrantKind};
use crate::protocol::token::Token;
use crate::secrets::Resolve;
use crate::secrets::Secret;
use crate::secrets::redact;
use crate::util::clock::Clock;
use crate::util::random;

/// What to do after a browser login that was refused or not finished.
const BROWSER_HINT: &str = "run gettoken again and finish the sign-in in the browser within `login_timeout`; `-v` shows the exchange";

/// How long one browser connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a request that is read: the request line is all we need.
const MAX_REQUEST: usize = 16 * 1024;

pub fn login(
    profile: &Profile,
    o: &OAuth2,
    urls: &Endpoints,
    transport: &dyn Transport,
    resolver: &mut dyn Resolve,
    clock: Clock,
) -> anyhow::Result<Token> {
    let r = &o.redirect;
    let ip: IpAddr = if r.host == "[::1]" {
        Ipv6Addr::LOCALHOST.into()
    } else {
        Ipv4Addr::LOCALHOST.into()
    };
    let listener = TcpListener::bind((ip, r.port)).map_err(|e| {
        let advice = if r.port == 0 {
            String::new()
        } else {
            " (choose another `redirect_port`, or 0 for any free port)".into()
        };
        Failure::usage(format!(
            "cannot listen on {}:{} for the browser login's redirect: {e}{advice}",
            r.host, r.port
        ))
    })?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://{}:{port}{}", r.host, r.path);
    let verifier = Secret::new(random::token());
    redact::register(&verifier);
    let state = random::token();
    let query = request::authorization_query(
        o,
        &redirect_uri,
        &authcode::challenge(verifier.expose()),
        &state,
        resolver,
    )?;
    let endpoint = urls
        .authorization
        .as_deref()
        .expect("discovered for this grant");
    let url = authcode::authorization_url(endpoint, &query).map_err(Failure::usage)?;

    crate::log::info(format!(
        "profile `{}` needs you to sign in; open this URL in a browser:",
        profile.name
    ));
    crate::log::info(format!("  {url}"));
    let way = opener::choose(&o.browser, &opener::look());
    let pasted = match &way {
        opener::Way::Open(argv) => {
            if opener::open(argv, &url) {
                crate::log::info("(a browser was opened for it)");
            }
            None
        }
        opener::Way::Print => None,
        opener::Way::Paste => {
            crate::log::info(format!(
                "after you sign in, the browser is sent to {redirect_uri}?code=... (a page that may not load there): paste that whole address here and press Enter"
            ));
            Some(read_lines())
        }
    };
    crate::log::info(format!(
        "waiting for the browser to come back to {redirect_uri} (up to {})...",
        crate::util::duration::human(o.login_timeout)
    ));

    let wait = Wait {
        path: &r.path,
        state: &state,
        timeout: o.login_timeout,
        pasted: pasted.as_ref(),
    };
    let (code, mut browser) = wait_for_code(&listener, &wait)?;
    let req = request::oauth2(
        profile,
        o,
        &urls.token,
        GrantKind::AuthorizationCode {
            code: &code,
            verifier: &verifier,
            redirect_uri: &redirect_uri,
        },
        resolver,
    );
    let result = req
        .and_then(|req| transport.send(&req))
        .and_then(|reply| Ok(reply::answer(profile, &reply, clock())?));
    if let Some(browser) = browser.as_mut() {
        match &result {
            Ok(_) => respond(
                browser,
                200,
                &authcode::page(true, "gettoken has its token."),
            ),
            Err(e) => respond(
                browser,
                200,
                &authcode::page(false, &redact::scrub(&e.to_string())),
            ),
        }
    }
    result
}

/// The lines typed on stdin, read on a thread of their own (paste mode).
fn read_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        while matches!(stdin.lock().read_line(&mut line), Ok(n) if n > 0) {
            if tx.send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
    });
    rx
}

/// What [`wait_for_code`] waits for.
struct Wait<'a> {
    /// The redirect's path.
    path: &'a str,
    state: &'a str,
    timeout: Duration,
    /// The lines pasted on stdin (paste mode).
    pasted: Option<&'a mpsc::Receiver<String>>,
}

/// A line pasted on stdin: the code, an error when it is a refusal or
/// belongs to another login, nothing when it is not the redirect (said).
fn answer_paste(line: &str, wait: &Wait<'_>) -> anyhow::Result<Option<Secret>> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    match authcode::read_pasted(line, wait.path, wait.state) {
        Callback::Elsewhere => {
            crate::log::warn(format!(
                "that is not the address the browser was sent to (its path is {}); paste the whole address from the address bar",
                wait.path
            ));
            Ok(None)
        }
        Callback::WrongState => Err(Failure::refused(
            "the pasted address does not belong to this login (its state does not match): it is from another or an older login",
        )
        .with_hint(BROWSER_HINT)
        .into()),
        Callback::Denied(words) => Err(Failure::refused(format!(
            "the browser login was refused: {words}"
        ))
        .with_hint(BROWSER_HINT)
        .into()),
        Callback::Code(code) => {
            redact::register(&code);
            Ok(Some(code))
        }
    }
}

/// Accepts connections until the redirect with this login's `state`
/// arrives, or `timeout` passes. Returns the code and the browser's
/// connection, still open for the final page. Connections are read side by
/// side: one that stays idle (a browser's preconnect, a port scanner) holds
/// up no other, and is dropped after `REQUEST_TIMEOUT`.
fn wait_for_code(
    listener: &TcpListener,
    wait: &Wait<'_>,
) -> anyhow::Result<(Secret, Option<TcpStream>)> {
    let timeout = wait.timeout;
    listener.set_nonblocking(true)?;
    let deadline = crate::util::duration::deadline_in(timeout);
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        if Instant::now() >= deadline {
            return Err(Failure::refused(format!(
                "the browser login did not come back within {} (login_timeout)",
                crate::util::duration::human(timeout)
            ))
            .with_hint(BROWSER_HINT)
            .into());
        }
        let mut busy = false;
        if let Some(line) = wait.pasted.and_then(|p| p.try_recv().ok()) {
            busy = true;
            if let Some(code) = answer_paste(&line, wait)? {
                return Ok((code, None));
            }
        }
        match listener.accept() {
            Ok((stream, _)) => {
                busy = true;
                if stream.set_nonblocking(true).is_ok() {
                    if pending.len() >= MAX_PENDING {
                        pending.remove(0);
                    }
                    pending.push(Pending {
                        stream,
                        head: Vec::new(),
                        until: Instant::now() + REQUEST_TIMEOUT,
                    });
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e.into()),
        }
        let mut i = 0;
        while i < pending.len() {
            match pending[i].read() {
                Progress::Waiting => i += 1,
                Progress::Gone => {
                    pending.swap_remove(i);
                }
                Progress::Line(line) => {
                    busy = true;
                    let mut stream = pending.swap_remove(i).stream;
                    if stream.set_nonblocking(false).is_err() {
                        continue;
                    }
                    if let Some(code) = answer_callback(&mut stream, &line, wait)? {
                        return Ok((code, Some(stream)));
                    }
                }
            }
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The most connections read at once; past it the oldest is dropped.
const MAX_PENDING: usize = 64;

/// A connection whose request line has not come whole yet.
struct Pending {
    stream: TcpStream,
    head: Vec<u8>,
    /// When it is dropped if still incomplete.
    until: Instant,
}

enum Progress {
    Waiting,
    Gone,
    Line(String),
}

impl Pending {
    /// Reads what has arrived, without waiting.
    fn read(&mut self) -> Progress {
        let mut buf = [0u8; 2048];
        loop {
            if self.head.windows(2).any(|w| w == b"\r\n") || self.head.len() >= MAX_REQUEST {
                let text = String::from_utf8_lossy(&self.head);
                return text
                    .lines()
                    .next()
                    .map_or(Progress::Gone, |l| Progress::Line(l.to_string()));
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return Progress::Gone,
                Ok(n) => self.head.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return if Instant::now() >= self.until {
                        Progress::Gone
                    } else {
                        Progress::Waiting
                    };
                }
                Err(_) => return Progress::Gone,
            }
        }
    }
}

/// Answers one request line: the code when it is this login's redirect,
/// an error when the login was refused, nothing for anything else.
fn answer_callback(
    stream: &mut TcpStream,
    line: &str,
    wait: &Wait<'_>,
) -> anyhow::Result<Option<Secret>> {
    match authcode::read_callback_at(line, wait.path, wait.state) {
        Callback::Elsewhere => respond(stream, 404, "not found\n"),
        Callback::WrongState => {
            crate::log::warn(
                "a redirect with another login's `state` reached the listener; ignored",
            );
            respond(
                stream,
                400,
                &authcode::page(
                    false,
                    "This answer does not belong to the login gettoken is waiting for (its state does not match).",
                ),
            );
        }
        Callback::Denied(words) => {
            respond(stream, 200, &authcode::page(false, &words));
            return Err(
                Failure::refused(format!("the browser login was refused: {words}"))
                    .with_hint(BROWSER_HINT)
                    .into(),
            );
        }
        Callback::Code(code) => {
            redact::register(&code);
            return Ok(Some(code));
        }
    }
    Ok(None)
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    // A browser that does not read holds the login no longer.
    let _ = stream.set_write_timeout(Some(REQUEST_TIMEOUT));
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush());
}
