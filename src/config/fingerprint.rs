//! The fingerprint: a profile's cache identity. A cached token is served
//! only to a profile with the same fingerprint, so it must follow exactly
//! the settings that decide which token comes back, and never move for an
//! unchanged profile.

use serde_json::Value;

use super::raw::RawProfile;
use crate::secrets::keys::is_credential_key;
use crate::secrets::{Source, Text};

/// The profile keys of the first canonical form: written even when unset
/// (as `null`), as they always were, so that no existing profile's
/// fingerprint moves. Every key added since is written only when set, so a
/// new key moves no fingerprint of a profile that does not use it. Never
/// add to this list.
const WRITTEN_WHEN_UNSET: &[&str] = &[
    "flavour",
    "output",
    "min_ttl",
    "cache",
    "header",
    "scheme",
    "timeout",
    "retries",
    "ca_file",
    "insecure_http",
    "headers",
    "body",
    "git_username",
    "token_url",
    "issuer",
    "device_url",
    "authorization_url",
    "redirect_port",
    "login_timeout",
    "grant",
    "client_id",
    "client_secret",
    "client_auth",
    "private_key",
    "key_id",
    "signing_alg",
    "username",
    "password",
    "refresh_token",
    "scope",
    "audience",
    "resource",
    "params",
    "url",
    "method",
    "fields",
    "response",
];

/// The same for the keys of `[profiles.NAME.response]`.
const RESPONSE_WRITTEN_WHEN_UNSET: &[&str] = &[
    "token",
    "token_type",
    "expires_in",
    "expires_at",
    "lifetime",
    "refresh_token",
    "scope",
    "success",
    "error",
];

/// A profile's identity, from one serialized form of its keys (the form
/// is most of the work a cache hit does here):
///
/// - the fingerprint, a stable digest of the settings that decide which
///   token comes back. Literal values of secret-looking keys are left out,
///   so the digest never depends on (or reveals anything of) a secret. It
///   is of the keys as written, in canonical form (JSON with sorted keys;
///   the keys of the first form also when unset, see
///   [`WRITTEN_WHEN_UNSET`]); `fingerprints_of_existing_profiles_never_move`
///   fails if one moves;
/// - the credentials: the values the fingerprint leaves out or only names,
///   which a cached token must still match (`secrets::identity` digests
///   them): each secret written out under a credential key, and each
///   `{ env = ... }` or `{ file = ... }` source, whatever its key (a client
///   id from the environment decides the token as much as a secret does).
///   By where they stand in the profile, as `client_secret` or
///   `params.api_key`. `command`, `keyring` and `prompt` sources are only
///   read for a request.
pub fn fingerprint_and_credentials(raw: &RawProfile) -> (String, Vec<(String, Text)>) {
    // Keys marked `Ignored` in the table of keys (`config/raw.rs`) change
    // how a token is shown, kept or fetched, not which one.
    let mut value = serde_json::to_value(raw.identity()).unwrap_or_default();
    let mut credentials = Vec::new();
    collect(&value, "", false, &mut credentials);
    canonicalize(&mut value);
    (fnv1a64(value.to_string().as_bytes()), credentials)
}

/// The form made canonical: unset keys dropped (but those of the first
/// form), secrets masked.
fn canonicalize(value: &mut Value) {
    drop_unset(value, WRITTEN_WHEN_UNSET);
    if let Some(response) = value.get_mut("response") {
        drop_unset(response, RESPONSE_WRITTEN_WHEN_UNSET);
    }
    mask_secrets(value, false);
}

/// Drops the unset keys of a table, but those the first form wrote.
fn drop_unset(table: &mut Value, written: &[&str]) {
    if let Value::Object(map) = table {
        map.retain(|k, v| !v.is_null() || written.contains(&k.as_str()));
    }
}

fn collect(value: &Value, at: &str, secret_key: bool, found: &mut Vec<(String, Text)>) {
    match value {
        Value::String(s) if secret_key => found.push((at.to_string(), Text::Plain(s.clone()))),
        Value::Object(map) => {
            if let Ok(source) = serde_json::from_value::<Source>(value.clone()) {
                if crate::secrets::identity::covers(&source) {
                    found.push((at.to_string(), Text::From(source)));
                }
                return;
            }
            // (an unset key holds nothing: not even asked about)
            for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                if k != "response" {
                    let path = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    collect(v, &path, secret_key || is_credential_key(k), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, &format!("{at}[{i}]"), secret_key, found);
            }
        }
        _ => {}
    }
}

fn mask_secrets(value: &mut Value, secret_key: bool) {
    match value {
        Value::String(s) if secret_key => *s = "(literal)".into(),
        Value::Object(map) => {
            // A secret source ({ env = ... }) is a reference: kept as is.
            if map.len() == 1 && map.keys().all(|k| Source::KEYS.contains(&k.as_str())) {
                // A signed JWT's key may be written out: never digested.
                if let Some(Value::Object(jwt)) = map.get_mut("jwt")
                    && let Some(key @ Value::String(_)) = jwt.get_mut("key")
                {
                    *key = "(literal)".into();
                }
                return;
            }
            for (k, v) in map.iter_mut().filter(|(_, v)| !v.is_null()) {
                // `response` holds paths into the reply, not values.
                if k != "response" {
                    mask_secrets(v, secret_key || is_credential_key(k));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask_secrets(v, secret_key)),
        _ => {}
    }
}

/// The digest the fingerprint uses, of any bytes (per-call overrides).
pub fn digest(bytes: &[u8]) -> String {
    fnv1a64(bytes)
}

fn fnv1a64(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawProfile {
        let file: super::super::raw::File = toml::from_str(text).unwrap();
        file.profiles.into_values().next().unwrap()
    }

    #[test]
    fn keys_of_the_first_form_are_keys_of_the_table() {
        let all = serde_json::to_value(RawProfile::default()).unwrap();
        for key in WRITTEN_WHEN_UNSET {
            assert!(all.get(key).is_some(), "`{key}` is not a profile key");
        }
        let response = serde_json::to_value(super::super::raw::RawResponse::default()).unwrap();
        for key in RESPONSE_WRITTEN_WHEN_UNSET {
            assert!(response.get(key).is_some(), "`{key}` is not a response key");
        }
    }

    #[test]
    fn an_unset_key_of_a_later_release_is_not_written() {
        let mut value = serde_json::json!({"token_url": null, "a_new_key": null, "set": 1});
        drop_unset(&mut value, WRITTEN_WHEN_UNSET);
        assert_eq!(value, serde_json::json!({"token_url": null, "set": 1}));
    }

    #[test]
    fn credentials_are_literal_secrets_and_env_or_file_sources() {
        let r = raw(r#"[profiles.p]
flavour = "oauth2"
token_url = "https://x/t"
client_id = { env = "CID" }
client_secret = "s3"
private_key = { command = ["k"] }
password = { keyring = "k" }
audience = "aud"
params = { api_key = "p4", tenant = { file = "~/t" }, plain = "x" }
headers = { Authorization = { env = "H" } }
"#);
        let found: Vec<String> = fingerprint_and_credentials(&r)
            .1
            .into_iter()
            .map(|(k, t)| format!("{k}={t:?}"))
            .collect();
        assert_eq!(
            found,
            vec![
                "client_id=From(Env(\"CID\"))",
                "client_secret=Plain((redacted))",
                "headers.Authorization=From(Env(\"H\"))",
                "params.api_key=Plain((redacted))",
                "params.tenant=From(File(\"~/t\"))",
            ],
            "{found:?}"
        );
    }
}
