//! Sending a token request: the [`Transport`] port the flows send through,
//! and its real adapter, the HTTP client set up on purpose (rustls on the
//! ring provider, system roots plus `ca_file`, no redirects, timeouts,
//! proxies from the environment, but never for a loopback host), bounded
//! retries, and a cap on the reply.

use std::io::Read;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use zeroize::Zeroizing;

use crate::config::{Profile, check_transport, url_for_humans};
use crate::error::Failure;
use crate::protocol::request::{TokenRequest, USER_AGENT};
use crate::secrets::{Resolve, redact};
use crate::util::fs::{SMALL_FILE_CAP, read_regular};

mod client_identity;

/// Replies larger than this are refused.
pub const MAX_REPLY: u64 = 1024 * 1024;
/// The longest wait between two tries; a `Retry-After` asking for longer
/// ends the tries.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A reply as read: its status and at most [`MAX_REPLY`] bytes of body.
/// The body holds the token: it is zeroized on drop (the HTTP stack's own
/// buffers are not).
pub struct Reply {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
    /// How long the endpoint asked to be left alone (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The `Content-Type`, as sent: named when the body is not JSON.
    pub content_type: Option<String>,
    /// Every header that is text, by name: a profile may take its token
    /// from one (`header:X-Subject-Token`). Not shown by `Debug`.
    pub headers: Vec<(String, String)>,
}

/// The body is a token reply: only its length is shown.
impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body", &format_args!("({} bytes)", self.body.len()))
            .field("retry_after", &self.retry_after)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Sending requests: what the flows need of the network, so that tests can
/// answer them without one.
pub trait Transport {
    /// Sends `req` and returns the reply to read; `Err` when there is none
    /// to read (the endpoint cannot be reached, the request is malformed).
    fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply>;

    /// Sends what `prepare` makes of `req`, made anew for each try: a DPoP
    /// proof is good for one request only (RFC 9449 section 11.1).
    fn send_each(&self, req: &TokenRequest, prepare: Prepare<'_>) -> anyhow::Result<Reply> {
        self.send(&prepare(req)?)
    }

    /// A GET for a JSON document (OpenID discovery).
    fn get_json(&self, url: &str) -> anyhow::Result<Reply> {
        self.send(&TokenRequest {
            method: reqwest::Method::GET,
            url: url.to_string(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            secrets: vec![],
            once: false,
        })
    }
}

/// What [`Transport::send_each`] sends of a request, each try.
pub type Prepare<'a> = &'a dyn Fn(&TokenRequest) -> anyhow::Result<TokenRequest>;

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply> {
        (**self).send(req)
    }

    fn send_each(&self, req: &TokenRequest, prepare: Prepare<'_>) -> anyhow::Result<Reply> {
        (**self).send_each(req, prepare)
    }

    fn get_json(&self, url: &str) -> anyhow::Result<Reply> {
        (**self).get_json(url)
    }
}

/// Opens the transport of a profile. Called only when a request is due,
/// never for a cache hit: setting up the client and TLS costs.
pub trait Connect {
    /// `resolver` reads the client certificate's key, if the profile has one.
    fn connect(
        &self,
        profile: &Profile,
        resolver: &mut dyn Resolve,
    ) -> anyhow::Result<Box<dyn Transport + '_>>;
}

/// The real network: an [`HttpTransport`] per profile.
pub struct Network;

impl Connect for Network {
    fn connect(
        &self,
        profile: &Profile,
        resolver: &mut dyn Resolve,
    ) -> anyhow::Result<Box<dyn Transport + '_>> {
        Ok(Box::new(HttpTransport::new(profile, resolver)?))
    }
}

/// The HTTP side of one profile: its clients and its retry budget.
pub struct HttpTransport {
    /// Each built on first use, indexed by [`Route`]: through the proxies
    /// the environment names or never (loopback hosts), for https or for
    /// plain http (a client without TLS roots: loading the system's
    /// certificates is most of a cold fetch's work, and http needs none).
    clients: [std::sync::OnceLock<Client>; 4],
    /// `ca_file`'s certificates.
    roots: Vec<reqwest::Certificate>,
    /// The client certificate and key (`client_cert`, `client_key`).
    identity: Option<reqwest::Identity>,
    timeout: Duration,
    retries: u32,
    insecure_http: bool,
}

impl HttpTransport {
    /// Builds the client for `profile`. Done only when a request is made,
    /// never for a cache hit.
    pub fn new(profile: &Profile, resolver: &mut dyn Resolve) -> anyhow::Result<HttpTransport> {
        static PROVIDER: Once = Once::new();
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut roots = Vec::new();
        if let Some(path) = &profile.ca_file {
            let pem = read_regular(path, SMALL_FILE_CAP).map_err(|e| {
                Failure::usage(format!("cannot read ca_file {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Failure::usage(format!(
                    "ca_file {} holds no usable PEM certificate: {e}",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(Failure::usage(format!(
                    "ca_file {} holds no PEM certificate",
                    path.display()
                ))
                .into());
            }
            roots = certs;
        }
        let identity = match &profile.client_cert {
            Some((cert, key)) => Some(client_identity::load(cert, key, resolver)?),
            None => None,
        };
        Ok(HttpTransport {
            clients: Default::default(),
            roots,
            identity,
            timeout: profile.timeout,
            retries: profile.retries,
            insecure_http: profile.insecure_http,
        })
    }
}

impl Transport for HttpTransport {
    /// Sends `req`, retrying connection failures, 408, 429 and 5xx with
    /// backoff (honouring a `Retry-After` of up to 30 s; a longer one ends
    /// the tries); a request marked `once` only when the connection failed,
    /// so nothing reached the server. Any reply that is not retried, or the
    /// last one, is returned for the caller to read.
    fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply> {
        self.send_each(req, &|r| Ok(r.clone()))
    }

    fn send_each(&self, req: &TokenRequest, prepare: Prepare<'_>) -> anyhow::Result<Reply> {
        let url = reqwest::Url::parse(&req.url).map_err(|e| {
            Failure::usage(format!("`{}` is not a URL: {e}", redact::scrub(&req.url)))
        })?;
        check_transport(&url, self.insecure_http).map_err(Failure::usage)?;
        let shown = url_for_humans(&url);
        for secret in &req.secrets {
            redact::register(secret);
        }
        let mut attempt = 0;
        let tries = self.retries.saturating_add(1);
        loop {
            let sent = prepare(req)?;
            for secret in &sent.secrets {
                redact::register(secret);
            }
            log_request(&sent, &shown, attempt);
            let outcome = if attempt == 0 {
                said_if_slow(
                    || self.once(&sent, &url),
                    || {
                        crate::log::waiting(format!("waiting for {shown}..."));
                    },
                )
            } else {
                self.once(&sent, &url)
            };
            let retry_wait = match outcome {
                Ok(reply) if retryable(reply.status) => {
                    // 408, 429 and 503 say the request was not processed;
                    // another 5xx may come after it was.
                    let unprocessed = matches!(reply.status, 408 | 429 | 503);
                    if attempt >= self.retries || (req.once && !unprocessed) {
                        return Ok(reply);
                    }
                    let asked = reply.retry_after;
                    if let Some(wait) = asked.filter(|w| *w > MAX_RETRY_WAIT) {
                        // Trying sooner than asked would only be refused
                        // again: fail now rather than wait in vain.
                        crate::log::debug!(
                            "HTTP {}: the endpoint asks to wait {}s before trying again, over {}s: not trying again",
                            reply.status,
                            wait.as_secs(),
                            MAX_RETRY_WAIT.as_secs()
                        );
                        return Ok(reply);
                    }
                    crate::log::debug!("HTTP {}: will try again", reply.status);
                    asked
                }
                Ok(reply) => return Ok(reply),
                // The same would come back: no point trying again.
                // A request that cannot be built (a header value with a
                // newline, say) is the profile's fault, not the network's.
                Err(ReadError::Http(e)) if e.is_builder() => {
                    return Err(Failure::usage(format!(
                        "cannot build the request to {shown}: {}; check the profile's headers and fields",
                        chain(&e)
                    ))
                    .into());
                }
                Err(ReadError::Setup(e)) => return Err(e),
                Err(e @ (ReadError::Redirect(..) | ReadError::TooLarge)) => {
                    return Err(transport_failure(&e, &shown).into());
                }
                Err(e) => {
                    let unsent = matches!(&e, ReadError::Http(h) if h.is_connect());
                    if attempt >= self.retries || (req.once && !unsent) {
                        return Err(transport_failure(&e, &shown).into());
                    }
                    crate::log::debug!("{e}: will try again");
                    None
                }
            };
            let wait = retry_wait
                .unwrap_or_else(|| backoff(attempt))
                .min(MAX_RETRY_WAIT);
            crate::log::debug!(
                "waiting {:.1}s before try {}",
                wait.as_secs_f64(),
                attempt + 2
            );
            crate::log::waiting(format!(
                "waiting for {shown} (try {} of {tries})...",
                attempt + 2
            ));
            std::thread::sleep(wait);
            attempt += 1;
        }
    }
}

impl HttpTransport {
    /// The client for `url`: a loopback host is never reached through a
    /// proxy, which would carry the plain-http request off the machine;
    /// a plain-http loopback URL gets a client that loads no TLS roots.
    fn client_for(&self, url: &reqwest::Url) -> Result<&Client, ReadError> {
        let direct = bypasses_proxies(url);
        let route = Route {
            direct,
            // (through a proxy, the proxy itself may be https)
            plain: direct && url.scheme() == "http",
        };
        let slot = &self.clients[usize::from(route.direct) * 2 + usize::from(route.plain)];
        if let Some(client) = slot.get() {
            return Ok(client);
        }
        let built = build_client(self.timeout, &self.roots, self.identity.as_ref(), route)
            .map_err(ReadError::Setup)?;
        Ok(slot.get_or_init(|| built))
    }

    fn once(&self, req: &TokenRequest, url: &reqwest::Url) -> Result<Reply, ReadError> {
        let client = self.client_for(url)?;
        let mut builder = client.request(req.method.clone(), url.clone());
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let deadline = crate::util::duration::deadline_in(self.timeout);
        let response = builder.send().map_err(ReadError::Http)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response.status().is_redirection() {
            let to = headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .map_or_else(
                    || "elsewhere".to_string(),
                    |u| format!("`{}`", url_for_humans(&u)),
                );
            return Err(ReadError::Redirect(status, to));
        }
        let body = read_body(response, deadline)?;
        crate::log::debug!("< HTTP {status}, {} bytes", body.len());
        Ok(Reply {
            status,
            body: Zeroizing::new(body),
            retry_after: retry_after(&headers),
            content_type: headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            headers: headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        })
    }
}

/// How long a try runs before the person at the terminal is told.
const SLOW: Duration = Duration::from_secs(1);

/// Runs `work`; when it takes longer than [`SLOW`] (and waiting is shown at
/// all), `notice` runs once meanwhile, on a thread of its own.
fn said_if_slow<T>(work: impl FnOnce() -> T, notice: impl FnOnce() + Send) -> T {
    if !crate::log::shows_waiting() {
        return work();
    }
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            if finished.recv_timeout(SLOW) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                notice();
            }
        });
        let out = work();
        drop(done);
        out
    })
}

/// A client set up on purpose; `direct`: never through a proxy.
/// How a request goes: [`HttpTransport::client_for`].
#[derive(Clone, Copy)]
struct Route {
    /// Never through a proxy.
    direct: bool,
    /// Plain http, direct: no TLS, so no roots and no client certificate.
    plain: bool,
}

fn build_client(
    timeout: Duration,
    roots: &[reqwest::Certificate],
    identity: Option<&reqwest::Identity>,
    route: Route,
) -> anyhow::Result<Client> {
    let mut builder = Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .tls_backend_rustls();
    if route.direct {
        builder = builder.no_proxy();
    }
    if route.plain {
        // No TLS on this client's requests (redirects are not followed).
        builder = builder.tls_certs_only(std::iter::empty());
    } else {
        builder = builder.tls_certs_merge(roots.iter().cloned());
        if let Some(identity) = identity {
            builder = builder.identity(identity.clone());
        }
    }
    Ok(builder.build().map_err(|e| {
        Failure::unreachable(format!("cannot set up the HTTP client: {}", chain(&e)))
    })?)
}

/// Whether requests to `url` go direct whatever `HTTP_PROXY`, `HTTPS_PROXY`,
/// `ALL_PROXY` and `NO_PROXY` say: a loopback host (127.0.0.0/8, ::1,
/// `localhost`). A proxy is normally elsewhere, and the plain http allowed
/// to loopback would carry credentials to it in clear.
fn bypasses_proxies(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            d.eq_ignore_ascii_case("localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// Reads at most [`MAX_REPLY`] bytes, and only until `deadline`: each read
/// is bounded by the client's timeout, but a server trickling bytes must
/// not stretch the whole reply past it.
fn read_body(mut response: impl Read, deadline: std::time::Instant) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if std::time::Instant::now() > deadline {
            return Err(ReadError::Body(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the reply did not arrive whole within the timeout",
            )));
        }
        match response.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if body.len() as u64 > MAX_REPLY {
                    return Err(ReadError::TooLarge);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Body(e)),
        }
    }
}

/// Why one try produced no reply to read.
#[derive(Debug)]
enum ReadError {
    /// The direct client could not be set up.
    Setup(anyhow::Error),
    Http(reqwest::Error),
    Body(std::io::Error),
    Redirect(u16, String),
    TooLarge,
}

fn retryable(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The failure to report for a try that produced no reply.
fn transport_failure(e: &ReadError, shown: &str) -> Failure {
    match e {
        ReadError::Redirect(status, to) => Failure::unreachable(format!(
            "{shown} answered HTTP {status}, a redirect to {to}: token requests do not follow redirects; set the token URL to the final address"
        )),
        ReadError::TooLarge => Failure::unreachable(format!(
            "the reply from {shown} is larger than {} KiB: not a token reply",
            MAX_REPLY / 1024
        )),
        ReadError::Http(he) if he.is_timeout() => Failure::unreachable(format!(
            "no complete reply from {shown} within the timeout ({}); raise `timeout` if the endpoint is slow",
            chain(e)
        )),
        ReadError::Body(be) if timed_out(be) => Failure::unreachable(format!(
            "no complete reply from {shown} within the timeout (the reply began, then came too slowly); raise `timeout` if the endpoint is slow"
        )),
        ReadError::Body(be) => {
            Failure::unreachable(format!("the reply from {shown} broke off: {}", chain(be)))
        }
        ReadError::Http(_) | ReadError::Setup(_) => {
            let why = chain(e);
            match client_identity::alert(&why) {
                Some((what, hint)) => {
                    Failure::unreachable(format!("{shown}: {what} ({why})")).with_hint(hint)
                }
                None => Failure::unreachable(format!("cannot reach {shown}: {why}")),
            }
        }
    }
}

/// Whether reading a reply's body failed for want of time: the deadline of
/// the whole reply, or the client's timeout for one read.
fn timed_out(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

/// An error and its causes on one line, without any URL (it may hold
/// credentials in its query string).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = match err.downcast_ref::<reqwest::Error>() {
            Some(re) => {
                let mut re_text = re.to_string();
                if let Some(u) = re.url() {
                    re_text = re_text
                        .replace(&format!(" ({u})"), "")
                        .replace(u.as_str(), "(url)");
                }
                re_text
            }
            None => err.to_string(),
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    redact::scrub(&parts.join(": "))
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Setup(e) => write!(f, "{e:#}"),
            ReadError::Http(e) => write!(f, "{}", chain(e)),
            ReadError::Body(e) => write!(f, "reading the reply: {e}"),
            ReadError::Redirect(status, to) => write!(f, "redirect (HTTP {status}) to {to}"),
            ReadError::TooLarge => write!(f, "reply over {} KiB", MAX_REPLY / 1024),
        }
    }
}

impl std::error::Error for ReadError {}

/// 0.5 s, 1 s, 2 s, ... (at most 8 s) before the next try.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(4)))
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn log_request(req: &TokenRequest, shown: &str, attempt: u32) {
    if !crate::log::verbose() {
        return;
    }
    let again = if attempt > 0 {
        format!(" (try {})", attempt + 1)
    } else {
        String::new()
    };
    crate::log::debug_line(format!("> {} {shown}{again}", req.method));
    for (name, value) in &req.headers {
        let shown_value = match value.split_once(' ') {
            _ if crate::secrets::keys::is_public_key(name) => value.clone(),
            Some((scheme, _)) if name.eq_ignore_ascii_case("authorization") => {
                format!("{scheme} (redacted)")
            }
            _ => "(redacted)".to_string(),
        };
        crate::log::debug_line(format!(">   {name}: {shown_value}"));
    }
    if let Some(query) = reqwest::Url::parse(&req.url)
        .ok()
        .and_then(|u| u.query().map(str::to_string))
    {
        crate::log::debug_line(format!(">   query: {}", redact_pairs(&query)));
    }
    if let Some(body) = &req.body {
        let text = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => redact::json_for_log(&json),
            Err(_) => redact_pairs(&String::from_utf8_lossy(body)),
        };
        crate::log::debug_line(format!(">   body: {text}"));
    }
}

/// `a=1&password=x` with the values of secret-looking keys hidden.
fn redact_pairs(form: &str) -> String {
    let pairs: Vec<String> = url::form_urlencoded::parse(form.as_bytes())
        .map(|(k, v)| {
            if !crate::secrets::keys::is_public_key(&k) {
                format!("{k}=(redacted)")
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    redact::scrub(&pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_reply_shows_its_length_not_its_token() {
        let reply = Reply {
            status: 200,
            body: Zeroizing::new(br#"{"access_token":"at-value-1"}"#.to_vec()),
            retry_after: None,
            content_type: None,
            headers: vec![("x-subject-token".into(), "hdr-value-2".into())],
        };
        for shown in [format!("{reply:?}"), format!("{reply:#?}")] {
            assert!(
                !shown.contains("at-value")
                    && !shown.contains("hdr-value")
                    && shown.contains("29 bytes"),
                "{shown}"
            );
        }
    }

    #[test]
    fn only_loopback_hosts_bypass_proxies() {
        let goes_direct = |u: &str| bypasses_proxies(&reqwest::Url::parse(u).unwrap());
        for direct in [
            "http://127.0.0.1:8080/token",
            "http://127.3.4.5/token",
            "http://[::1]:9/token",
            "http://localhost/token",
            "http://LOCALHOST./token",
            "https://localhost:8443/token",
        ] {
            assert!(goes_direct(direct), "{direct}");
        }
        // Everything else honours the proxy settings.
        for proxied in [
            "https://auth.example.com/token",
            "https://10.0.0.1/token",
            "https://localhost.example.com/token",
            "https://128.0.0.1/token",
            "http://auth.example.com/token",
        ] {
            assert!(!goes_direct(proxied), "{proxied}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(9), Duration::from_secs(8));
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(5);
        h.insert(RETRY_AFTER, httpdate::fmt_http_date(later).parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn verbose_pairs_hide_secret_keys() {
        assert_eq!(
            redact_pairs("grant_type=password&password=x1&username=u"),
            "grant_type=password&password=(redacted)&username=u"
        );
    }
}
