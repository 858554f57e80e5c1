//! Secret values and the places a profile may take them from.
//!
//! [`Secret`] holds a value that must never be shown: its `Debug` and
//! `Display` print `(redacted)` and it is zeroized on drop. [`Text`] is a
//! string value of the profiles file that may instead name a source (an
//! environment variable, a file, a command, the keyring, a prompt); reading
//! the source is `resolve.rs`'s job, done only when a request is made.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A value that must not appear in output, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The value itself, for the one place that must send or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Where a secret value comes from, as written in the profiles file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    /// `{ env = "NAME" }`: an environment variable.
    Env(String),
    /// `{ file = "~/path" }`: a file's content, trailing newline dropped.
    File(String),
    /// `{ command = ["prog", "arg"] }`: a command's stdout, trimmed; no shell.
    Command(Vec<String>),
    /// `{ keyring = "name" }`: stored by `gettoken secret set name`.
    Keyring(String),
    /// `{ prompt = "Password for prod" }`: asked on the terminal.
    Prompt(String),
    /// `{ json = { file = "key.json", pointer = "/private_key" } }`: one
    /// field of the JSON document another source gives.
    Json(super::json_field::JsonField),
    /// `{ jwt = { key = ..., claims = { ... } } }`: a JWT signed when a
    /// request is made.
    Jwt(Box<super::jwt::JwtSpec>),
    /// `{ join = ["Bearer ", { env = "T" }] }`: literal text and sources
    /// put together; a secret when any part comes from a source.
    Join(Vec<Text>),
    /// `{ profile = "NAME" }`: the token of another profile, through its
    /// cache, lock and refresh (`ProfileTokens`).
    Profile(String),
}

impl Source {
    /// The keys that make a TOML table a secret source.
    pub const KEYS: [&'static str; 9] = [
        "env", "file", "command", "keyring", "prompt", "json", "jwt", "join", "profile",
    ];

    /// How the source is named in messages: never its value.
    pub fn describe(&self) -> String {
        match self {
            Source::Env(name) => format!("environment variable `{name}`"),
            Source::File(path) => format!("file `{path}`"),
            Source::Command(argv) => {
                format!("command `{}`", argv.first().map_or("", String::as_str))
            }
            Source::Keyring(name) => format!("keyring secret `{name}`"),
            Source::Prompt(_) => "prompt".to_string(),
            Source::Json(field) => {
                format!("field `{}` of {}", field.pointer, field.from.describe())
            }
            Source::Jwt(_) => "a signed JWT".to_string(),
            Source::Join(parts) => format!("`join` of {} parts", parts.len()),
            Source::Profile(name) => format!("the token of profile `{name}`"),
        }
    }
}

/// A string value of the profiles file: written out, or taken from a source.
/// Its `Debug` hides a written-out value (it may be a password) and shows a
/// source, which is only a reference.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    From(Source),
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Plain(_) => f
                .debug_tuple("Plain")
                .field(&format_args!("(redacted)"))
                .finish(),
            Text::From(source) => f.debug_tuple("From").field(source).finish(),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_string())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, or a table such as { env = \"NAME\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Plain(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text::Plain(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text::Plain(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text::Plain(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                let table = toml::Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if table.len() != 1 {
                    return Err(de::Error::custom(format!(
                        "a secret source is a table with one key of: {}",
                        Source::KEYS.join(", ")
                    )));
                }
                Source::deserialize(toml::Value::Table(table))
                    .map(Text::From)
                    .map_err(|e| de::Error::custom(e.message()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "(redacted) (redacted)");
        assert_eq!(
            format!("{s:#?} {s:>20} {s:x<12}"),
            "(redacted) (redacted) (redacted)"
        );
        let held = (Some(s.clone()), vec![s.clone()]);
        for shown in [format!("{held:?}"), format!("{held:#?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn a_written_out_text_is_hidden_and_a_source_shown() {
        let plain = Text::Plain("hunter2".into());
        for shown in [format!("{plain:?}"), format!("{plain:#?}")] {
            assert!(
                !shown.contains("hunter2") && shown.contains("(redacted)"),
                "{shown}"
            );
        }
        let source = Text::From(Source::Env("PASSWORD_VAR".into()));
        assert_eq!(format!("{source:?}"), r#"From(Env("PASSWORD_VAR"))"#);
    }

    #[test]
    fn text_takes_a_string_or_a_source() {
        #[derive(Deserialize)]
        struct T {
            a: Text,
            b: Text,
            c: Text,
            d: Text,
        }
        let t: T = toml::from_str(
            r#"a = "x"
b = { env = "E" }
c = { command = ["pass", "show", "x"] }
d = 1234"#,
        )
        .unwrap();
        assert_eq!(t.a, Text::Plain("x".into()));
        assert_eq!(t.b, Text::From(Source::Env("E".into())));
        assert_eq!(
            t.c,
            Text::From(Source::Command(vec![
                "pass".into(),
                "show".into(),
                "x".into()
            ]))
        );
        assert_eq!(t.d, Text::Plain("1234".into()));
    }

    #[test]
    fn unknown_source_is_an_error_naming_the_valid_ones() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: Text,
        }
        let err = toml::from_str::<T>(r#"a = { envv = "E" }"#).unwrap_err();
        assert!(err.message().contains("unknown variant `envv`"), "{err}");
    }
}
