//! Keeping secrets out of everything gettoken prints.
//!
//! Every secret value that is resolved or received is registered here;
//! [`scrub`] replaces each of them (and its form-, percent-, JSON- and
//! base64-encoded forms) in any text before it reaches stderr; [`cut`]
//! shortens a text without leaving a secret's beginning at its end. JSON
//! replies are also redacted by key.

use std::sync::Mutex;

use serde_json::Value;

use crate::secrets::Secret;
use crate::secrets::keys::is_secret_key;

pub const REDACTED: &str = "(redacted)";

static SECRETS: Mutex<Vec<Secret>> = Mutex::new(Vec::new());

/// Values shorter than this are not searched for: they would garble every
/// message and cannot be told from ordinary text.
const MIN_LEN: usize = 3;

/// Remembers `secret` so that [`scrub`] hides it from now on.
pub fn register(secret: &Secret) {
    let value = secret.expose();
    if value.chars().count() < MIN_LEN {
        return;
    }
    let forms = encodings(value);
    let mut list = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for f in forms {
        if !list.iter().any(|s| s.expose() == f) {
            list.push(Secret::new(f));
        }
    }
    // Longest first, so a secret containing another is hidden whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
}

/// The spellings of `value` a request or a reply may carry: as is,
/// form-encoded, percent-encoded (RFC 3986, upper and lower hex),
/// JSON-escaped, and base64 (standard and URL-safe, padded or not, as
/// HTTP Basic sends `id:secret`).
fn encodings(value: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms = vec![value.to_string()];
    forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    for hex in ["0123456789ABCDEF", "0123456789abcdef"] {
        let hex = hex.as_bytes();
        let mut percent = String::with_capacity(value.len() * 3);
        for &b in value.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                percent.push(char::from(b));
            } else {
                percent.push('%');
                percent.push(char::from(hex[usize::from(b >> 4)]));
                percent.push(char::from(hex[usize::from(b & 15)]));
            }
        }
        forms.push(percent);
    }
    let json = serde_json::to_string(value).unwrap_or_default();
    forms.push(json.trim_matches('"').to_string());
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        forms.push(engine.encode(value));
    }
    forms
}

/// `text` scrubbed, then cut to at most `max` characters (`...` added when
/// cut), and never ending in the beginning of a registered secret: a cut
/// through a secret would show its first characters.
pub fn cut(text: &str, max: usize) -> String {
    let scrubbed = scrub(text);
    if scrubbed.chars().count() <= max {
        return scrubbed;
    }
    let mut out: String = scrubbed.chars().take(max).collect();
    let list = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for secret in list.iter() {
        let secret = secret.expose();
        // The longest beginning of `secret` that ends `out`.
        let ends: Vec<usize> = secret
            .char_indices()
            .map(|(i, _)| i)
            .filter(|&i| i >= MIN_LEN)
            .collect();
        let tail = ends
            .into_iter()
            .rev()
            .find(|&i| out.ends_with(&secret[..i]));
        if let Some(len) = tail {
            out.truncate(out.len() - len);
        }
    }
    out.push_str("...");
    out
}

/// `text` with every registered secret replaced by `(redacted)`.
pub fn scrub(text: &str) -> String {
    let list = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in list.iter() {
        if out.contains(secret.expose()) {
            out = out.replace(secret.expose(), REDACTED);
        }
    }
    out
}

/// A JSON reply for `--verbose`: values under secret-looking keys (tokens,
/// passwords) redacted, then scrubbed.
pub fn json_for_log(value: &Value) -> String {
    let mut copy = value.clone();
    hide_secret_keys(&mut copy);
    scrub(&copy.to_string())
}

/// Replaces the values under secret-looking keys (tokens, passwords) by
/// `(redacted)`, at any depth.
pub fn hide_secret_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k)
                    && !matches!(v, Value::Null | Value::Bool(_))
                    && !k.ends_with("_type")
                {
                    *v = Value::String(REDACTED.into());
                } else {
                    hide_secret_keys(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_secret_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_registered_values_and_their_encodings() {
        register(&Secret::new("p@ss word/1"));
        let text = "password=p%40ss+word%2F1 json \"p@ss word/1\"";
        let out = scrub(text);
        assert!(!out.contains("p%40ss"), "{out}");
        assert!(!out.contains("p@ss"), "{out}");
    }

    #[test]
    fn scrubs_percent_and_base64_forms() {
        use base64::Engine as _;
        let secret = "s3cr3t/with space+plus";
        register(&Secret::new(secret));
        let b64 = base64::engine::general_purpose::STANDARD;
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for shown in [
            "s3cr3t%2Fwith%20space%2Bplus".to_string(),
            "s3cr3t%2fwith%20space%2bplus".to_string(),
            b64.encode(secret),
            url_safe.encode(secret),
        ] {
            let out = scrub(&format!("before {shown} after"));
            assert_eq!(out, "before (redacted) after", "{shown}");
        }
    }

    #[test]
    fn a_cut_never_ends_in_a_secret_s_beginning() {
        register(&Secret::new("cut-secret-0123456789"));
        let text = format!("{}cut-secret-0123456789 and more", "x".repeat(10));
        for max in 10..40 {
            let out = cut(&text, max);
            assert!(!out.contains("cut-s"), "{max}: {out}");
            assert!(out.chars().count() <= max + 3, "{max}: {out}");
        }
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn json_log_hides_tokens_by_key() {
        let v: Value = serde_json::json!({
            "access_token": "abc.def", "token_type": "bearer",
            "Data": {"accessToken": "xyz"}, "expires_in": 60
        });
        let out = json_for_log(&v);
        assert!(!out.contains("abc.def") && !out.contains("xyz"), "{out}");
        assert!(out.contains("bearer") && out.contains("60"), "{out}");
    }
}
