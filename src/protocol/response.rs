//! Reading a token endpoint's reply: the token, its type, expiry, refresh
//! token and scope where the profile's [`ResponseMap`] says they are, or the
//! endpoint's own error text. Pure: the clock is passed in.

use serde_json::Value;

use crate::config::{HEADER_PATH, ReplyFormat, ResponseMap};
use crate::error::Failure;
use crate::protocol::jwt;
use crate::protocol::token::{Token, printable_token, token_scheme};
use crate::secrets::Secret;
use crate::secrets::redact::{self, REDACTED};
use crate::util::text::escape_for_terminal;

/// Expiries further away than this are clamped to it (ten years).
const MAX_LIFETIME: i64 = 10 * 365 * 86_400;
/// Error texts longer than this are cut.
const MAX_MESSAGE: usize = 600;
/// A `success` flag that is a string this long or shorter is quoted.
const MAX_FLAG_WORD: usize = 40;
/// At most this many of a reply's keys are named when it holds no token.
const MAX_KEYS_SHOWN: usize = 8;
/// A key longer than this is not named (it may be a token).
const MAX_KEY_SHOWN: usize = 40;
/// A token shorter than this is not hidden from messages: it cannot be told
/// from ordinary words (as in `redact.rs`).
const MIN_HIDDEN: usize = 3;

/// Maps a reply (`status`, `body`) to a token, or to a [`Failure`] carrying
/// the endpoint's own words: refused (4xx other than 408/429, or `success`
/// not true) or failed (anything else).
///
/// No message quotes the text at the token's place, whatever the reply,
/// nor a 2xx body that holds no token (it may be the token itself).
pub fn map_reply(status: u16, body: &[u8], map: &ResponseMap, now: i64) -> Result<Token, Failure> {
    map_typed_reply(status, None, &[], body, map, now)
}

/// [`map_reply`], with the reply's `Content-Type` to name when its body is
/// not JSON, and its headers (name, value) for `header:NAME` paths.
pub fn map_typed_reply(
    status: u16,
    content_type: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    map: &ResponseMap,
    now: i64,
) -> Result<Token, Failure> {
    let json = parse_body(map.format, status, body);
    let reply = Body {
        status,
        content_type,
        bytes: body,
    };
    let headers = headers_doc(headers);
    read_reply(&reply, json.as_ref(), &headers, map, now).map_err(|mut failure| {
        let doc = json.as_ref().map(|body| Doc {
            body,
            headers: &headers,
        });
        if let Some(token) = doc
            .as_ref()
            .and_then(|d| d.pointer(&map.token))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| t.chars().count() >= MIN_HIDDEN)
        {
            failure.message = failure.message.replace(token, REDACTED);
        }
        failure
    })
}

/// The body as the profile's `format` says, as JSON: the JSON itself, a
/// plain-text body as one string (a 2xx one only: an error page is quoted,
/// not taken for a token), a form-encoded body as an object of strings.
pub fn parse_body(format: ReplyFormat, status: u16, body: &[u8]) -> Option<Value> {
    match format {
        ReplyFormat::Json => serde_json::from_slice(body).ok(),
        ReplyFormat::Text if (200..300).contains(&status) => {
            let text = std::str::from_utf8(body).ok()?.trim();
            Some(Value::String(text.to_string()))
        }
        ReplyFormat::Text => serde_json::from_slice(body).ok(),
        ReplyFormat::Form => serde_json::from_slice(body).ok().or_else(|| {
            let text = std::str::from_utf8(body).ok()?;
            let map: serde_json::Map<String, Value> =
                url::form_urlencoded::parse(text.trim().as_bytes())
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }),
    }
}

/// The reply's headers as an object, by lower-cased name (the first of
/// each name).
fn headers_doc(headers: &[(String, String)]) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        map.entry(name.to_ascii_lowercase())
            .or_insert_with(|| Value::String(value.clone()));
    }
    Value::Object(map)
}

/// What the response map's paths point into: the body, and the headers
/// for a `header:NAME` path.
struct Doc<'a> {
    body: &'a Value,
    headers: &'a Value,
}

impl Doc<'_> {
    fn pointer(&self, path: &str) -> Option<&Value> {
        match path.strip_prefix(HEADER_PATH) {
            Some(name) => self.headers.get(name.trim().to_ascii_lowercase()),
            None => self.body.pointer(path),
        }
    }
}

/// A reply as it came: status, content type, body.
struct Body<'a> {
    status: u16,
    content_type: Option<&'a str>,
    bytes: &'a [u8],
}

fn read_reply(
    reply: &Body,
    json: Option<&Value>,
    headers: &Value,
    map: &ResponseMap,
    now: i64,
) -> Result<Token, Failure> {
    let (status, body) = (reply.status, reply.bytes);
    if !(200..300).contains(&status) {
        return Err(http_error(status, body, json, &map.error, Some(&map.token)));
    }
    // A reply whose token is in a header may have no body to speak of.
    let parsed = json.is_some();
    let json = json.unwrap_or(&Value::Null);
    let doc = Doc {
        body: json,
        headers,
    };
    if !parsed && !map.token.starts_with(HEADER_PATH) {
        return Err(Failure::unreachable(
            if body.iter().all(u8::is_ascii_whitespace) {
                format!("the endpoint answered HTTP {status} with an empty body, not JSON")
            } else {
                format!(
                    "the endpoint's reply ({}) is not JSON; it is not shown, as it may be the token",
                    described(reply)
                )
            },
        ));
    }
    // A 2xx reply that says it is an error (`refusal`): refused, in its
    // own words.
    if let Some(path) = &map.refusal
        && let Some(flag) = doc.pointer(path)
        && !matches!(flag, Value::Null | Value::Bool(false))
        && flag.as_str().is_none_or(|s| !s.trim().is_empty())
    {
        let words = error_text(json, &map.error)
            .or_else(|| error_text(json, std::slice::from_ref(path)))
            .unwrap_or_else(|| format!("`{path}` is set"));
        return Err(Failure::refused(format!(
            "the endpoint refused the request: {words}"
        )));
    }
    if let Some(path) = &map.success {
        let flag = doc.pointer(path);
        if flag != Some(&Value::Bool(true)) {
            let words = error_text(json, &map.error).unwrap_or_else(|| {
                let shown = match flag {
                    None => "missing".to_string(),
                    Some(v @ (Value::Null | Value::Bool(_) | Value::Number(_))) => v.to_string(),
                    // A short word is shown; a long string may be a token.
                    Some(Value::String(s)) if s.chars().count() <= MAX_FLAG_WORD => {
                        format!("\"{}\"", escape_for_terminal(s))
                    }
                    Some(other) => kind_of(other).to_string(),
                };
                format!("`{path}` is {shown}")
            });
            return Err(Failure::refused(format!(
                "the endpoint refused the request: {words}"
            )));
        }
    }
    let access_token = match doc.pointer(&map.token) {
        Some(Value::String(s)) if !s.trim().is_empty() && !printable_token(s.trim()) => {
            return Err(Failure::unreachable(format!(
                "the token at `{}` contains spaces, control characters or invisible formatting characters: refusing to print it",
                map.token
            )));
        }
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::String(_)) => {
            return Err(Failure::unreachable(format!(
                "the token at `{}` is empty",
                map.token
            )));
        }
        None | Some(Value::Null) => {
            let words = error_text(json, &map.error)
                .map(|w| format!(": {w}"))
                .unwrap_or_default();
            return Err(Failure::unreachable(format!(
                "the reply has no token at `{}`{words} ({}; set response.token to where the token is)",
                map.token,
                keys_of(json)
            )));
        }
        Some(other) => {
            return Err(Failure::unreachable(format!(
                "the value at `{}` is {}, not a string token",
                map.token,
                kind_of(other)
            )));
        }
    };
    let expires_at = expiry(&doc, map, &access_token, now)?;
    // Shown by `show`: escaped (an escape would drive the terminal), and
    // never the token itself (a response map pointing twice at one place).
    let shown = |text: String| {
        Some(escape_for_terminal(&text))
            .filter(|t| !t.split_whitespace().any(|w| w == access_token))
    };
    // Put in the -H line only when it is an auth scheme a token is used
    // with (Bearer, DPoP, MAC...): anything else (`N_A`, `user`, a CR/LF
    // that would add a header) is dropped, and the header says `Bearer`
    // or the profile's `scheme`.
    let token_type = match string_at(&doc, map.token_type.as_deref()) {
        Some(t) if t.trim() == access_token => None,
        Some(t) if token_scheme(t.trim()).is_some() => Some(t.trim().to_string()),
        Some(t) => {
            if !t.trim().is_empty() {
                crate::log::debug!(
                    "the reply's `{}` is not an auth scheme for a token: the header says Bearer or the profile's scheme",
                    map.token_type.as_deref().unwrap_or_default()
                );
            }
            None
        }
        None => None,
    };
    // The profile's extra fields (`response.extra`): printable text only,
    // never the token.
    let extra = map
        .extra
        .iter()
        .filter_map(|(name, path)| {
            let value = match doc.pointer(path)? {
                Value::String(s) => s.trim().to_string(),
                v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
                _ => return None,
            };
            (!value.is_empty()
                && value != access_token
                && !value.chars().any(crate::util::text::is_unsafe_char)
                && !value.contains(['\r', '\n']))
            .then(|| (name.clone(), value))
        })
        .collect();
    Ok(Token {
        dpop_jkt: None,
        token_type,
        extra,
        refresh_token: string_at(&doc, map.refresh_token.as_deref()).map(Secret::new),
        scope: map
            .scope
            .as_deref()
            .and_then(|p| doc.pointer(p))
            .and_then(scope_text)
            .and_then(shown),
        expires_at,
        access_token: Secret::new(access_token),
        // OpenID Connect Core 3.1.3.3: beside the access token, a JWT.
        id_token: string_at(&doc, Some("/id_token"))
            .filter(|t| crate::protocol::token::printable_token(t))
            .map(Secret::new),
    })
}

/// A reply with an HTTP error status, in the endpoint's own words: refused
/// for a 4xx other than 408/429, failed for the rest. A JSON reply without
/// words at the error `paths` is quoted with the value at `token` and
/// under secret-looking keys hidden.
fn http_error(
    status: u16,
    body: &[u8],
    json: Option<&Value>,
    paths: &[String],
    token: Option<&str>,
) -> Failure {
    let words = match json {
        Some(j) => error_text(j, paths).unwrap_or_else(|| {
            let mut shown = j.clone();
            if let Some(slot) = token.and_then(|t| shown.pointer_mut(t)) {
                *slot = Value::String(REDACTED.into());
            }
            redact::hide_secret_keys(&mut shown);
            body_snippet(shown.to_string().as_bytes())
        }),
        None => body_snippet(body),
    };
    let words = if words.is_empty() {
        String::new()
    } else {
        format!(": {words}")
    };
    if (400..500).contains(&status) && status != 408 && status != 429 {
        Failure::refused(format!(
            "the endpoint refused the request (HTTP {status}){words}"
        ))
    } else {
        Failure::unreachable(format!("the endpoint failed (HTTP {status}){words}"))
    }
}

/// A device authorization response (RFC 8628 3.2).
#[derive(Debug, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// Seconds the codes live.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

/// RFC 8628 3.2's default poll interval.
const DEFAULT_INTERVAL: u64 = 5;

/// Reads the device authorization response. `verification_url` (Google's
/// spelling) is read too.
pub fn device_authorization(
    status: u16,
    body: &[u8],
    errors: &[String],
) -> Result<DeviceAuthorization, Failure> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        return Err(http_error(status, body, json.as_ref(), errors, None));
    }
    // Not quoted: a 2xx reply holds secrets (the device code).
    let json = json.ok_or_else(|| {
        Failure::unreachable(format!(
            "the device authorization endpoint's reply (HTTP {status}, {} bytes) is not JSON",
            body.len()
        ))
    })?;
    let text = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && !s.chars().any(crate::util::text::is_unsafe_char))
    };
    let missing = |key: &str| {
        Failure::unreachable(format!(
            "the device authorization endpoint's reply has no `{key}`"
        ))
    };
    let number = |key: &str| {
        json.get(key)
            .and_then(seconds)
            .and_then(|n| u64::try_from(n).ok())
    };
    Ok(DeviceAuthorization {
        device_code: Secret::new(text("device_code").ok_or_else(|| missing("device_code"))?),
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: number("expires_in").filter(|n| *n > 0).unwrap_or(1800),
        // The server's interval is kept however long (the wait is bounded
        // by `login_timeout`); under a second would be a busy loop.
        interval: number("interval").unwrap_or(DEFAULT_INTERVAL).max(1),
    })
}

/// What one poll of the token endpoint in the device flow said (RFC 8628 3.5).
#[derive(Debug)]
pub enum Poll {
    Token(Token),
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: ask again, 5 seconds slower.
    SlowDown,
    Failed(Failure),
}

/// Some servers (GitHub's) answer polls with HTTP 200 and an `error`: the
/// error code counts whatever the status, when the reply holds no token.
pub fn device_poll(status: u16, body: &[u8], map: &ResponseMap, now: i64) -> Poll {
    let json = serde_json::from_slice::<Value>(body).ok();
    let has_token = json
        .as_ref()
        .and_then(|j| j.pointer(&map.token))
        .is_some_and(|t| !t.is_null());
    let code = json
        .as_ref()
        .filter(|_| !has_token)
        .and_then(|j| j.get("error").and_then(Value::as_str));
    match code {
        Some("authorization_pending") => Poll::Pending,
        Some("slow_down") => Poll::SlowDown,
        Some("access_denied") => Poll::Failed(Failure::refused(format!(
            "the device login was denied{}",
            error_words(body, map)
        ))),
        Some("expired_token") => Poll::Failed(Failure::refused(format!(
            "the device code expired before the login was approved{}; run gettoken again",
            error_words(body, map)
        ))),
        _ => match map_reply(status, body, map, now) {
            Ok(token) => Poll::Token(token),
            Err(f) => Poll::Failed(f),
        },
    }
}

/// ": the endpoint's words", or nothing.
fn error_words(body: &[u8], map: &ResponseMap) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|j| error_text(&j, &map.error))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default()
}

/// What a 2xx reply that is not JSON was, without quoting it: its status,
/// content type and length.
fn described(reply: &Body) -> String {
    let kind = reply.content_type.map_or_else(
        || "no content type".to_string(),
        |t| {
            let t: String = escape_for_terminal(t.trim()).chars().take(60).collect();
            if t.is_empty() {
                "no content type".into()
            } else {
                t
            }
        },
    );
    format!("HTTP {}, {kind}, {} bytes", reply.status, reply.bytes.len())
}

/// The first keys of a reply that holds no token where the profile says,
/// to help find it; a long key (which may be a token) is not named.
fn keys_of(json: &Value) -> String {
    let Value::Object(map) = json else {
        return format!("the reply is {}, not an object", kind_of(json));
    };
    if map.is_empty() {
        return "the reply is an empty object".into();
    }
    let mut names: Vec<String> = map
        .keys()
        .take(MAX_KEYS_SHOWN)
        .map(|k| {
            if k.chars().count() <= MAX_KEY_SHOWN {
                escape_for_terminal(k)
            } else {
                format!("(a key of {} characters)", k.chars().count())
            }
        })
        .collect();
    if map.len() > MAX_KEYS_SHOWN {
        names.push(format!("and {} more", map.len() - MAX_KEYS_SHOWN));
    }
    format!("its keys: {}", names.join(", "))
}

fn string_at(json: &Doc, path: Option<&str>) -> Option<String> {
    match json.pointer(path?)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn scope_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// When the token expires: `expires_at`, else `expires_in`, else the fixed
/// `lifetime`, else a JWT's `exp`, else unknown.
fn expiry(json: &Doc, map: &ResponseMap, token: &str, now: i64) -> Result<Option<i64>, Failure> {
    let clamp = |at: i64| at.min(now.saturating_add(MAX_LIFETIME));
    // Numbers are seconds, or milliseconds when the profile says so: never
    // guessed from their size (year 9999 in seconds is not 1978 in ms).
    let (number, unit) = if map.expiry_ms {
        (millis as fn(&Value) -> Option<i64>, "milliseconds")
    } else {
        (seconds as fn(&Value) -> Option<i64>, "seconds")
    };
    if let Some(path) = &map.expires_at
        && let Some(v) = json.pointer(path).filter(|v| !v.is_null())
    {
        let expected = if map.expiry_ms {
            "a UNIX time in milliseconds or an RFC 3339 time"
        } else {
            "a UNIX time or an RFC 3339 time"
        };
        return absolute_time(v, number)
            .map(|at| Some(clamp(at)))
            .ok_or_else(|| bad_expiry(path, v, expected));
    }
    if let Some(path) = &map.expires_in
        && let Some(v) = json.pointer(path).filter(|v| !v.is_null())
    {
        return number(v)
            .map(|s| Some(clamp(now.saturating_add(s))))
            .ok_or_else(|| bad_expiry(path, v, &format!("a number of {unit}")));
    }
    if let Some(lifetime) = map.lifetime {
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(MAX_LIFETIME);
        return Ok(Some(clamp(now.saturating_add(secs))));
    }
    Ok(jwt::expiry(token).map(clamp))
}

fn bad_expiry(path: &str, v: &Value, expected: &str) -> Failure {
    // JSON escapes C0 controls only: DEL and C1 would reach the terminal.
    let shown: String = escape_for_terminal(&v.to_string())
        .chars()
        .take(60)
        .collect();
    Failure::unreachable(format!("the reply's `{path}` is {shown}, not {expected}"))
}

/// Whole seconds from a number or a numeric string; fractions are dropped.
fn seconds(v: &Value) -> Option<i64> {
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite().then(|| f.clamp(-1e15, 1e15) as i64)
}

/// Whole seconds from a number or a numeric string of milliseconds.
fn millis(v: &Value) -> Option<i64> {
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite()
        .then(|| (f / 1000.0).clamp(-1e15, 1e15) as i64)
}

/// A UNIX time as `number` reads it, or an RFC 3339 time.
fn absolute_time(v: &Value, number: fn(&Value) -> Option<i64>) -> Option<i64> {
    if let Some(s) = v.as_str()
        && let Some(at) = rfc3339_seconds(s.trim())
    {
        return Some(at);
    }
    number(v)
}

/// UNIX seconds of an RFC 3339 time, up to 9999-12-31T23:59:59.999999999
/// whatever its offset (the last hours of year 9999 in UTC are past the
/// range of `jiff::Timestamp`; they are read from their parts).
pub fn rfc3339_seconds(text: &str) -> Option<i64> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    let pieces = jiff::fmt::temporal::Pieces::parse(text).ok()?;
    let offset = pieces.offset()?.to_numeric_offset();
    let at = pieces.date().to_datetime(pieces.time()?);
    let epoch = jiff::civil::date(1970, 1, 1).at(0, 0, 0, 0);
    let local = at.duration_since(epoch).as_secs();
    Some(local - i64::from(offset.seconds()))
}

/// The endpoint's own words at the `error` paths, joined by ": ".
pub fn error_text(json: &Value, paths: &[String]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for path in paths {
        if let Some(text) = json
            .pointer(path)
            .and_then(render)
            .filter(|t| !t.is_empty())
            && !parts.contains(&text)
        {
            parts.push(text);
        }
    }
    // Keys are words too: an object's keys are escaped with the values; a
    // line break becomes a space.
    (!parts.is_empty()).then(|| cut(escape_for_terminal(&parts.join(": ")).trim()))
}

/// A JSON value as words: strings as they are, objects as `key: value`.
fn render(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(render)
                .filter(|s| !s.is_empty())
                .collect();
            Some(parts.join("; "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .filter_map(|(k, v)| {
                    render(v)
                        .filter(|s| !s.is_empty())
                        .map(|s| format!("{k}: {s}"))
                })
                .collect();
            Some(parts.join("; "))
        }
    }
}

/// The start of a body that is not JSON, as printable text on one line.
fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = strip_tags(&text);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&escape_for_terminal(&one_line))
}

/// HTML error pages say more without their markup.
fn strip_tags(text: &str) -> String {
    if !text.trim_start().starts_with('<') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Scrubbed before the cut, and never ending in a secret's beginning.
fn cut(text: &str) -> String {
    redact::cut(text, MAX_MESSAGE)
}

#[cfg(test)]
mod tests;
