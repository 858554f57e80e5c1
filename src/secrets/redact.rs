//! Keeping secrets out of everything gettoken prints.
//!
//! Every secret value that is resolved or received is registered here;
//! [`scrub`] replaces each of them (and its form- and JSON-encoded forms) in
//! any text before it reaches stderr. JSON replies are also redacted by key.

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
    let mut forms = vec![value.to_string()];
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let json = serde_json::to_string(value).unwrap_or_default();
    forms.push(form);
    forms.push(json.trim_matches('"').to_string());
    let mut list = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for f in forms {
        if !list.iter().any(|s| s.expose() == f) {
            list.push(Secret::new(f));
        }
    }
    // Longest first, so a secret containing another is hidden whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
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
