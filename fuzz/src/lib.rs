//! The bodies of gettoken's fuzz targets, shared by the libFuzzer binaries
//! (`fuzz_targets/`) and by the stable regression test that replays the
//! committed inputs (`tests/e2e/fuzz_corpus.rs`, which includes this file).
//!
//! Each target panics on a broken invariant, not only on a crash: a
//! success never holds an empty or unprintable token, an expiry is never
//! past the ten-year clamp, no message or debug dump shows a secret.

use std::path::Path;
use std::time::Duration;

use gettoken::config::{Config, Endpoint, Grant, OAuth2, Profile, ResponseMap};
use gettoken::protocol::request::{self, GrantKind, TokenRequest};
use gettoken::protocol::response::{self, DeviceAuthorization, Poll};
use gettoken::protocol::token::Token;
use gettoken::secrets::{Resolve, Secret, Text};
use serde_json::Value;

/// The profiles file as `gettoken` reads it: parsed, then every profile
/// resolved with its `[defaults]` and validated.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secrets = literal_secrets(text);
    let reserved = gettoken::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let config = match Config::parse(Path::new("fuzz.toml"), text, &reserved) {
        Ok(config) => config,
        Err(failure) => {
            assert!(failure.message.starts_with("fuzz.toml"), "{failure:?}");
            assert_hidden(&failure.message, &secrets, "a parse error");
            return;
        }
    };
    assert_hidden(&format!("{config:?}"), &secrets, "the config's Debug");
    let names: Vec<String> = config.names().map(str::to_string).collect();
    for name in names {
        let whole = config.profile(&name);
        // A cache hit reads only the profile's own tables: the same profile.
        if let Some(part) =
            Config::profile_from_its_tables(Path::new("fuzz.toml"), text, &name, &reserved)
        {
            assert_eq!(
                format!("{:?}", part.as_ref().map_err(|f| &f.message)),
                format!("{:?}", whole.as_ref().map_err(|f| &f.message)),
                "profile `{name}` from its own tables"
            );
        }
        match whole {
            Ok(profile) => {
                assert_eq!(profile.name, name);
                assert_eq!(profile.fingerprint.len(), 16, "{}", profile.fingerprint);
                let again = config.profile(&name).expect("resolves twice");
                assert_eq!(profile.fingerprint, again.fingerprint);
                assert!(!profile.header.is_empty());
                assert!(!profile.timeout.is_zero());
                assert!(profile.retries <= 10);
                for shown in [format!("{profile:?}"), format!("{profile:#?}")] {
                    assert_hidden(&shown, &secrets, "a profile's Debug");
                }
            }
            Err(failure) => {
                let prefix = format!("profile `{name}`: ");
                assert!(failure.message.starts_with(&prefix), "{failure:?}");
                assert_hidden(&failure.message, &secrets, "a profile error");
            }
        }
    }
}

/// The token requests a profiles file makes: every profile that resolves,
/// built for each grant it can make, with a stand-in for the secret
/// sources. No request's `{:?}` shows a secret, and every value taken from
/// a source that the request carries is registered for redaction.
pub fn request(data: &[u8]) {
    // A file that writes a stand-in itself would be taken for a leak.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains(STAND_IN) {
        return;
    }
    let Ok(config) = Config::parse(Path::new("fuzz.toml"), text, &[]) else {
        return;
    };
    let literal = literal_secrets(text);
    let names: Vec<String> = config.names().map(str::to_string).collect();
    for name in names {
        let Ok(profile) = config.profile(&name) else {
            continue;
        };
        let mut stand = StandIn::default();
        let built = match &profile.endpoint {
            Endpoint::Http(h) => vec![request::http(&profile, h, &mut stand)],
            Endpoint::OAuth2(o) => oauth2_requests(&profile, o, &mut stand),
            // Signed here: no request is made.
            Endpoint::Jwt(_) => Vec::new(),
        };
        for req in built.into_iter().filter_map(Result::ok) {
            check_request(&req, &literal, stand.given);
        }
    }
}

/// What a stand-in gives for a one-time value, a cached refresh token or a
/// secret source: never to be shown.
const STAND_IN: &str = "stand-in-secret-";

/// Resolves a written value to itself and a source to a numbered stand-in.
#[derive(Default)]
struct StandIn {
    given: usize,
}

impl Resolve for StandIn {
    fn resolve(&mut self, text: &Text, _key: &str) -> anyhow::Result<Secret> {
        Ok(Secret::new(match text {
            Text::Plain(value) => value.clone(),
            Text::From(_) => {
                self.given += 1;
                format!("{STAND_IN}{}", self.given)
            }
        }))
    }

    fn now(&self) -> i64 {
        NOWS[0]
    }

    fn unique_id(&mut self) -> String {
        "jti".into()
    }
}

/// Every request an `oauth2` profile can make, as the flows build them.
fn oauth2_requests(
    profile: &Profile,
    o: &OAuth2,
    stand: &mut StandIn,
) -> Vec<anyhow::Result<TokenRequest>> {
    let url = o
        .token_url
        .as_ref()
        .or(o.issuer.as_ref())
        .expect("validated: token_url or issuer")
        .to_string();
    let one_time = |n: &str| Secret::new(format!("{STAND_IN}{n}"));
    let (refresh, code, verifier) = (one_time("r"), one_time("c"), one_time("v"));
    let mut built = vec![request::oauth2(
        profile,
        o,
        &url,
        GrantKind::Refresh(&refresh),
        stand,
    )];
    match o.grant {
        Grant::DeviceCode => {
            built.push(request::device_authorization(profile, o, &url, &url, stand));
            let kind = GrantKind::DeviceCode(&code);
            built.push(request::oauth2(profile, o, &url, kind, stand));
        }
        Grant::AuthorizationCode => {
            let redirect_uri = "http://127.0.0.1:1/callback";
            if let Ok(query) = request::authorization_query(o, redirect_uri, "ch", "st", stand) {
                let shown: Vec<&str> = query.iter().map(|(_, v)| v.as_str()).collect();
                assert!(!shown.join(" ").contains(STAND_IN), "{query:?}");
            }
            let kind = GrantKind::AuthorizationCode {
                code: &code,
                verifier: &verifier,
                redirect_uri,
            };
            built.push(request::oauth2(profile, o, &url, kind, stand));
        }
        _ => built.push(request::oauth2(profile, o, &url, GrantKind::Profile, stand)),
    }
    built
}

fn check_request(req: &TokenRequest, literal: &[String], given: usize) {
    for shown in [format!("{req:?}"), format!("{req:#?}")] {
        assert_hidden(&shown, literal, "a request's Debug");
        assert!(!shown.contains(STAND_IN), "a request's Debug: {shown}");
    }
    let body = req
        .body
        .as_ref()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let sent: Vec<&str> = [req.url.as_str(), body.as_str()]
        .into_iter()
        .chain(req.headers.iter().map(|(_, v)| v.as_str()))
        .collect();
    let stand_ins = (1..=given)
        .map(|n| n.to_string())
        .chain(["r", "c", "v"].map(String::from))
        .map(|n| format!("{STAND_IN}{n}"));
    for value in stand_ins {
        // Longer numbers contain shorter ones: `-1` in `-12`.
        let carried = sent.iter().any(|s| {
            s.match_indices(&value)
                .any(|(at, _)| !s[at + value.len()..].starts_with(|c: char| c.is_ascii_digit()))
        });
        assert!(
            !carried || req.secrets.iter().any(|s| s.expose().contains(&value)),
            "{value} is sent but not registered for redaction"
        );
    }
}

/// Literal values written under keys that hold secrets, long enough and
/// written once only, so that finding one in a message means it was
/// quoted from there.
fn literal_secrets(text: &str) -> Vec<String> {
    const SECRET_KEYS: [&str; 4] = ["client_secret", "password", "refresh_token", "private_key"];
    const SECRET_TABLES: [&str; 3] = ["headers", "params", "fields"];
    let Ok(file) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let mut tables: Vec<&toml::Table> = Vec::new();
    if let Some(toml::Value::Table(defaults)) = file.get("defaults") {
        tables.push(defaults);
    }
    if let Some(toml::Value::Table(profiles)) = file.get("profiles") {
        tables.extend(profiles.values().filter_map(toml::Value::as_table));
    }
    let mut found = Vec::new();
    for table in tables {
        for (key, value) in table {
            if SECRET_KEYS.contains(&key.as_str()) {
                found.extend(value.as_str().map(str::to_string));
            } else if SECRET_TABLES.contains(&key.as_str())
                && let Some(inner) = value.as_table()
            {
                found.extend(
                    inner
                        .iter()
                        .filter(|(k, _)| gettoken::secrets::keys::is_secret_key(k))
                        .filter_map(|(_, v)| v.as_str().map(str::to_string)),
                );
            }
        }
    }
    found.retain(|s| s.chars().count() >= 8 && text.matches(s.as_str()).count() == 1);
    found
}

fn assert_hidden(shown: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "{what} shows the secret {secret:?}: {shown}"
        );
    }
}

/// Mirrors `response.rs`: expiries are clamped to ten years from now.
const MAX_LIFETIME: i64 = 10 * 365 * 86_400;

/// The longest a message may be: it quotes at most 600 characters of the
/// endpoint's words.
const MAX_MESSAGE: usize = 1000;

/// The statuses that take different paths through the reply mapping.
const STATUSES: [u16; 22] = [
    200, 201, 204, 299, 400, 401, 403, 404, 408, 412, 429, 500, 502, 503, 0, 100, 199, 300, 399,
    499, 599, 65535,
];
const NOWS: [i64; 6] = [
    1_764_460_800,
    0,
    -1,
    i64::MIN,
    i64::MAX,
    i64::MAX - MAX_LIFETIME,
];
/// JSON Pointers the vendor profiles use, and odd ones.
const POINTERS: [&str; 26] = [
    "",
    "/access_token",
    "/token_type",
    "/expires_in",
    "/expires_at",
    "/refresh_token",
    "/scope",
    "/error",
    "/error_description",
    "/message",
    "/hint",
    "/errors",
    "/detail",
    "/success",
    "/status",
    "/Data/accessToken",
    "/data/access_token",
    "/data/expiry",
    "/data",
    "/0",
    "/a~1b",
    "/~0",
    "/-",
    "/token",
    "/access_token/0",
    "//",
];
const LIFETIMES: [Option<u64>; 6] = [
    None,
    Some(0),
    Some(1),
    Some(900),
    Some(u64::MAX),
    Some(1 << 40),
];

/// How many leading bytes of a `reply` input choose the status, the clock
/// and the response map; the rest is the body.
const REPLY_HEADER: usize = 14;

/// A token endpoint's reply read through a response map, as the token
/// request, the device authorization and the device poll read it.
///
/// The input is `REPLY_HEADER` bytes, each picking from a table (status,
/// now, token, token_type, expires_in, expires_at, lifetime, refresh_token,
/// scope, success, error count, three error pointers; pointers other than
/// `token` take 0 as "not set"), then the body.
pub fn reply(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(REPLY_HEADER));
    let byte = |i: usize| usize::from(head.get(i).copied().unwrap_or(0));
    let pick = |i: usize| POINTERS[byte(i) % POINTERS.len()].to_string();
    let optional = |i: usize| (byte(i) % POINTERS.len() != 0).then(|| pick(i));
    let status = STATUSES[byte(0) % STATUSES.len()];
    let now = NOWS[byte(1) % NOWS.len()];
    let error = match byte(10) % 4 {
        0 => gettoken::config::DEFAULT_ERROR_PATHS
            .iter()
            .map(|p| p.to_string())
            .collect(),
        n => (0..n).map(|k| pick(11 + k)).collect(),
    };
    let map = ResponseMap {
        token: pick(2),
        token_type: optional(3),
        expires_in: optional(4),
        expires_at: optional(5),
        lifetime: LIFETIMES[byte(6) % LIFETIMES.len()].map(Duration::from_secs),
        refresh_token: optional(7),
        scope: optional(8),
        success: optional(9),
        error,
        expiry_ms: byte(10) % 2 == 1,
        // The JSON reader, as the corpus was made for.
        format: gettoken::config::ReplyFormat::Json,
        refusal: None,
        extra: vec![],
    };
    check_reply(status, body, &map, now);
}

/// Runs `body` through every reader of replies and checks what comes back.
fn check_reply(status: u16, body: &[u8], map: &ResponseMap, now: i64) {
    let token_text = token_text(body, map);
    match response::map_reply(status, body, map, now) {
        Ok(token) => check_token(&token, status, now),
        Err(failure) => check_failure(&failure.message, &token_text, status, body, map, now),
    }
    match response::device_poll(status, body, map, now) {
        Poll::Token(token) => check_token(&token, status, now),
        Poll::Failed(failure) => {
            check_failure(&failure.message, &token_text, status, body, map, now)
        }
        Poll::Pending | Poll::SlowDown => {}
    }
    match response::device_authorization(status, body, &map.error) {
        Ok(device) => check_device(&device, status),
        Err(failure) => check_failure(&failure.message, &None, status, body, map, now),
    }
}

fn check_device(device: &DeviceAuthorization, status: u16) {
    assert!((200..300).contains(&status));
    let code = device.device_code.expose();
    for text in [code, &device.user_code, &device.verification_uri] {
        assert!(!text.is_empty() && !text.chars().any(char::is_control));
    }
    assert!(device.interval >= 1 && device.expires_in >= 1);
    // The code may coincide with the texts that are shown; else it is hidden.
    let elsewhere = [&device.user_code, &device.verification_uri]
        .into_iter()
        .chain(device.verification_uri_complete.as_ref())
        .any(|t| t.contains(code));
    if code.chars().count() >= 3 && !elsewhere {
        assert!(!format!("{device:?}").contains(code), "{device:?}");
    }
}

fn check_token(token: &Token, status: u16, now: i64) {
    assert!((200..300).contains(&status), "a token from HTTP {status}");
    let value = token.access_token.expose();
    assert!(!value.is_empty(), "an empty token");
    assert!(
        !value.chars().any(|c| c.is_control() || c.is_whitespace()),
        "an unprintable token {value:?}"
    );
    for shown in [&token.token_type, &token.scope].into_iter().flatten() {
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(!shown.split_whitespace().any(|w| w == value), "{shown:?}");
    }
    if let Some(at) = token.expires_at {
        assert!(
            at <= now.saturating_add(MAX_LIFETIME),
            "{at} past the clamp"
        );
    }
    if let Some(refresh) = &token.refresh_token {
        assert!(!refresh.expose().is_empty());
    }
    // The token may be spelled like a field name: what the dump shows with
    // another token in its place is not quoted from it.
    let other = Token {
        access_token: Secret::new("\u{1}"),
        ..token.clone()
    };
    for (shown, template) in [
        (format!("{token:?}"), format!("{other:?}")),
        (format!("{token:#?}"), format!("{other:#?}")),
    ] {
        assert!(
            !shown.contains(value) || template.contains(value),
            "Debug shows the token: {shown}"
        );
    }
}

/// The string at the token's place in a JSON body, when long enough to be
/// told from ordinary words.
fn token_text(body: &[u8], map: &ResponseMap) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let text = json.pointer(&map.token)?.as_str()?.trim().to_string();
    (text.chars().count() >= 8).then_some(text)
}

/// A failure's message is one line of bounded length, and holds the
/// token's text only when that comes from elsewhere too: the message for
/// the same body with another token must hold it as well.
fn check_failure(
    message: &str,
    token: &Option<String>,
    status: u16,
    body: &[u8],
    map: &ResponseMap,
    now: i64,
) {
    assert!(
        message.chars().count() <= MAX_MESSAGE,
        "a message of {} characters",
        message.chars().count()
    );
    assert!(
        !message.chars().any(char::is_control),
        "a control character in {message:?}"
    );
    let Some(token) = token else { return };
    if !message.contains(token.as_str()) {
        return;
    }
    let mut json: Value = serde_json::from_slice(body).expect("parsed before");
    if let Some(slot) = json.pointer_mut(&map.token) {
        *slot = Value::String("\u{1}".into());
    }
    let other = serde_json::to_vec(&json).expect("serializes");
    let without = match response::map_reply(status, &other, map, now) {
        Ok(_) => String::new(),
        Err(f) => f.message,
    };
    assert!(
        without.contains(token.as_str()),
        "an error quotes the token {token:?}: {message}"
    );
}
