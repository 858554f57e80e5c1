//! Secrets written out in the profiles file (`client_secret = "..."`
//! rather than `{ env = ... }`), and the warning to give when other users
//! may read the file. Pure: whether the file is shared is the caller's to
//! find out.

use std::path::Path;

use serde_json::Value;

use super::raw::{File, RawProfile};
use crate::secrets::Source;
use crate::secrets::keys::is_public_key;
use crate::secrets::keys::{is_address_key, is_credential_key};

/// One secret value written out in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// `profile `NAME`` or `[defaults]`.
    pub table: String,
    /// The key, dotted below its table: `client_secret`,
    /// `headers.Authorization`, `fields.auth.password`.
    pub key: String,
}

/// Every secret value written out in `file`: a string (or number) under a
/// credential key (`client_secret`, `password`, `refresh_token`,
/// `private_key`, a header, param or field named like a credential or a
/// token), not a secret source table.
pub fn find(file: &File) -> Vec<Literal> {
    let tables = file
        .defaults
        .iter()
        .map(|d| ("[defaults]".to_string(), d))
        .chain(
            file.profiles
                .iter()
                .map(|(name, p)| (format!("profile `{name}`"), p)),
        );
    let mut found = Vec::new();
    for (table, raw) in tables {
        for key in in_profile(raw) {
            found.push(Literal {
                table: table.clone(),
                key,
            });
        }
    }
    found
}

/// The keys of `raw` that hold a written-out secret.
pub(super) fn in_profile(raw: &RawProfile) -> Vec<String> {
    let mut keys = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(raw) {
        for (key, value) in &map {
            // `response` holds paths into the reply, not values.
            if key != "response" {
                walk(value, key, is_credential(key), &mut keys);
            }
        }
    }
    keys.sort();
    keys
}

/// A profile key, or a header, param or field name, naming a credential.
fn is_credential(key: &str) -> bool {
    is_credential_key(key) && !is_public_key(key)
}

/// A header, param or field name naming a credential or a token
/// (`X-Auth-Token`, `accessToken`), not a token's type.
fn is_secret_field(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    is_credential(key)
        || (k.contains("token")
            && !k.contains("type")
            && !is_public_key(key)
            && !is_address_key(key))
}

fn walk(value: &Value, path: &str, secret: bool, keys: &mut Vec<String>) {
    match value {
        Value::String(s) if secret && !s.is_empty() => keys.push(path.to_string()),
        Value::Number(_) if secret => keys.push(path.to_string()),
        Value::Object(map) => {
            // A secret source ({ env = ... }) names where the value is.
            if map.len() == 1 && map.keys().all(|k| Source::KEYS.contains(&k.as_str())) {
                return;
            }
            for (k, v) in map {
                walk(
                    v,
                    &format!("{path}.{k}"),
                    secret || is_secret_field(k),
                    keys,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), secret, keys);
            }
        }
        _ => {}
    }
}

/// The one warning line for a file that others may read and that holds
/// the secrets `found`; `None` when it holds none.
pub fn warning(path: &Path, found: &[Literal]) -> Option<String> {
    let first = found.first()?;
    let more = match found.len() {
        1 => String::new(),
        n => format!(", and {} more", n - 1),
    };
    let path = path.display();
    Some(format!(
        "{path} holds a secret written out (`{}` of {}{more}) and other users can read it: \
         run `chmod 600 {path}`, or take the value from {{ env = \"...\" }} or {{ keyring = \"...\" }}",
        first.key, first.table
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let file: File = toml::from_str(text).unwrap();
        find(&file)
            .into_iter()
            .map(|l| format!("{}: {}", l.table, l.key))
            .collect()
    }

    #[test]
    fn written_out_secrets_are_found_sources_are_not() {
        let text = r#"
[defaults]
client_secret = "d"

[profiles.a]
flavour = "oauth2"
client_id = "public-id"
client_secret = { env = "A_SECRET" }
password = "p"
refresh_token = { keyring = "rt" }
private_key = { file = "~/k.pem" }
headers = { Authorization = "Basic eHl6", X-Tenant = "t1", Cookie = { command = ["c"] }, X-Auth-Token = "t" }
params = { client_assertion_type = "urn:x", api_key = "k", token_type_hint = "x" }

[profiles.b]
flavour = "http"
fields = { user = "u", auth = { password = "p2", pin = 1234 }, apikey = 99, accessToken = "at" }

[profiles.b.response]
token = "/token"
refresh_token = "/refresh"
"#;
        assert_eq!(
            found(text),
            [
                "[defaults]: client_secret",
                "profile `a`: headers.Authorization",
                "profile `a`: headers.X-Auth-Token",
                "profile `a`: params.api_key",
                "profile `a`: password",
                "profile `b`: fields.accessToken",
                "profile `b`: fields.apikey",
                "profile `b`: fields.auth.password",
            ]
        );
    }

    #[test]
    fn no_secret_no_warning() {
        let text = "[profiles.a]\nflavour = \"oauth2\"\nclient_secret = { env = \"S\" }\n";
        assert!(found(text).is_empty());
        assert_eq!(warning(Path::new("p.toml"), &[]), None);
    }

    #[test]
    fn the_warning_names_the_file_the_first_key_and_the_fix() {
        let list = [
            Literal {
                table: "profile `prod`".into(),
                key: "client_secret".into(),
            },
            Literal {
                table: "profile `ci`".into(),
                key: "password".into(),
            },
        ];
        let text = warning(Path::new("/h/p.toml"), &list).unwrap();
        assert!(text.starts_with("/h/p.toml holds a secret"), "{text}");
        assert!(
            text.contains("`client_secret` of profile `prod`, and 1 more"),
            "{text}"
        );
        assert!(text.contains("chmod 600 /h/p.toml"), "{text}");
        assert!(text.contains("{ env = \"...\" }"), "{text}");
    }
}
