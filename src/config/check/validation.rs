//! One profile validated the way `gettoken PROFILE` validates it
//! (`Config::profile`, the same code), again and again: each failure is
//! placed at the key it names, in the profile or in `[defaults]`, and that
//! key is taken out before the next try, so every independent problem of
//! the profile is found in one run. A failure that names a key already
//! taken out follows from it and is not reported.

use std::ops::Range;

use toml::de::DeTable;

use super::Finding;
use super::document::{self, Lines};
use crate::config::Config;
use crate::config::raw::{File, RawProfile};

/// The parts of the file a profile is validated with.
pub struct Context<'a, 'i> {
    pub path: &'a std::path::Path,
    pub text: &'a Lines<'a>,
    /// `[defaults]` and its span, if the file has one.
    pub defaults: Option<(&'a DeTable<'i>, Range<usize>)>,
}

/// Where a key named by a failure is written.
#[derive(Clone, Copy)]
enum Written {
    Own,
    Defaults,
    /// Nowhere: a key the profile lacks.
    Missing,
}

/// More than any profile has keys.
const MOST: usize = 100;

/// Values tried in place of one at fault (or of one missing), so that what
/// is checked after it is still checked: one of them fits most string keys
/// (an address, a JSON Pointer, a duration, a name). None fitting, the key
/// is taken out and the checks after it are not reached when they need it.
const STAND_INS: &[&str] = &["https://check.invalid/", "/access_token", "60s", "check"];

/// How validating a profile went.
enum Outcome {
    Valid,
    /// The message, without the profile's name.
    Failed(String),
    /// A stand-in of the wrong type: the table is not a profile.
    Unreadable,
}

/// The profile's own table and its `[defaults]`, as far as they are tried.
#[derive(Clone)]
struct Tables<'i> {
    own: DeTable<'i>,
    defaults: Option<DeTable<'i>>,
}

/// Every problem of profile `name`, whose table is `own` at `span` and
/// begins at byte `header`.
pub fn check(
    cx: &Context<'_, '_>,
    name: &str,
    own: &DeTable<'_>,
    span: Range<usize>,
    header: usize,
) -> Vec<Finding> {
    let mut tables = Tables {
        own: own.clone(),
        defaults: cx.defaults.as_ref().map(|(t, _)| (*t).clone()),
    };
    let mut findings: Vec<Finding> = unreadable_ca_file(cx, name, &tables, &span)
        .into_iter()
        .collect();
    let mut taken: Vec<String> = Vec::new();
    let mut outcome = validate(cx, name, &tables, &span);
    for _ in 0..MOST {
        let Outcome::Failed(message) = outcome else {
            break;
        };
        let keys = keys_named(&message);
        if names_taken(&keys, &taken) {
            // Follows from a key already reported.
            break;
        }
        let (written, key, at) = written_at(cx, &tables, &keys, &span).unwrap_or((
            Written::Missing,
            keys.first().cloned().unwrap_or_default(),
            header,
        ));
        let mut path = match written {
            Written::Defaults => vec!["defaults".to_string()],
            _ => vec!["profiles".to_string(), name.to_string()],
        };
        path.extend(key.split('.').filter(|k| !k.is_empty()).map(str::to_string));
        let key = (!key.is_empty()).then_some(key);
        findings.push(Finding::new(
            Some(cx.text.position(at)),
            &path,
            without_key(&message, key.as_ref()),
        ));
        let Some(key) = key else {
            break;
        };
        taken.push(canonical(&key).to_string());

        // Get past it: first with a stand-in for a key it says is missing
        // ("`client_cert` needs `client_key`"), keeping what is written in
        // its context; else with a stand-in for its value; else without it.
        let mut next = None;
        if !matches!(written, Written::Missing) {
            for missing in keys
                .iter()
                .filter(|k| written_at(cx, &tables, std::slice::from_ref(*k), &span).is_none())
            {
                let mut also = taken.clone();
                also.push(canonical(missing).to_string());
                let path: Vec<&str> = missing.split('.').collect();
                if let Some(got) =
                    stand_in(cx, name, &tables, &span, Written::Missing, &path, &also)
                {
                    taken = also;
                    next = Some(got);
                    break;
                }
            }
        }
        let key: Vec<&str> = key.split('.').collect();
        if next.is_none() {
            next = stand_in(cx, name, &tables, &span, written, &key, &taken);
        }
        match next {
            Some((tried, then)) => (tables, outcome) = (tried, then),
            None => {
                let removed = match written {
                    Written::Own => document::remove(&mut tables.own, &key),
                    Written::Defaults => tables
                        .defaults
                        .as_mut()
                        .is_some_and(|d| document::remove(d, &key)),
                    Written::Missing => false,
                };
                if !removed {
                    break;
                }
                outcome = validate(cx, name, &tables, &span);
            }
        }
    }
    findings
}

/// Whether a failure names a key already reported (or one below it).
fn names_taken(keys: &[String], taken: &[String]) -> bool {
    keys.iter()
        .any(|k| taken.iter().any(|t| same_or_below(k, t)))
}

/// The first of `keys` that is written, where and at which byte: in the
/// profile, else in the `[defaults]` that reach it.
fn written_at(
    cx: &Context<'_, '_>,
    tables: &Tables<'_>,
    keys: &[String],
    span: &Range<usize>,
) -> Option<(Written, String, usize)> {
    let inherited = inherited(cx, tables, span);
    keys.iter().find_map(|key| {
        let path: Vec<&str> = key.split('.').collect();
        spellings(&path).into_iter().find_map(|path| {
            if let Some((_, value)) = document::entry(&tables.own, &path) {
                return Some((Written::Own, path.join("."), value.span().start));
            }
            let (_, value) = tables
                .defaults
                .as_ref()
                .filter(|_| inherited.contains(&canonical(path[0])))
                .and_then(|d| document::entry(d, &path))?;
            Some((Written::Defaults, path.join("."), value.span().start))
        })
    })
}

/// The tables with a stand-in at `key` (in place of its value, or where it
/// is missing) that gets validation past it, and how validation then goes.
fn stand_in<'i>(
    cx: &Context<'_, '_>,
    name: &str,
    tables: &Tables<'i>,
    span: &Range<usize>,
    written: Written,
    key: &[&str],
    taken: &[String],
) -> Option<(Tables<'i>, Outcome)> {
    for value in STAND_INS {
        let mut tried = tables.clone();
        let placed = match written {
            Written::Own => document::replace(&mut tried.own, key, value),
            Written::Defaults => tried
                .defaults
                .as_mut()
                .is_some_and(|d| document::replace(d, key, value)),
            Written::Missing => document::insert(&mut tried.own, key, value, span.clone()),
        };
        if !placed {
            return None;
        }
        let outcome = validate(cx, name, &tried, span);
        let past = match &outcome {
            Outcome::Valid => true,
            Outcome::Failed(message) => !names_taken(&keys_named(message), taken),
            Outcome::Unreadable => false,
        };
        if past {
            return Some((tried, outcome));
        }
    }
    None
}

/// The profile with its `[defaults]` validated by `Config::profile`, the
/// code `gettoken PROFILE` runs.
fn validate(cx: &Context<'_, '_>, name: &str, tables: &Tables<'_>, span: &Range<usize>) -> Outcome {
    let Some((raw, defaults)) = read(cx, tables, span) else {
        return Outcome::Unreadable;
    };
    let config = Config {
        path: cx.path.to_path_buf(),
        file: File {
            defaults,
            profiles: [(name.to_string(), raw)].into(),
            consumers: Default::default(),
        },
        shared: false,
    };
    match config.profile(name) {
        Ok(_) => Outcome::Valid,
        Err(err) => {
            let prefix = format!("profile `{name}`: ");
            let message = err.message.strip_prefix(&prefix).unwrap_or(&err.message);
            Outcome::Failed(message.to_string())
        }
    }
}

/// The profile and its `[defaults]` as the schema reads them.
fn read(
    cx: &Context<'_, '_>,
    tables: &Tables<'_>,
    span: &Range<usize>,
) -> Option<(RawProfile, Option<RawProfile>)> {
    let raw = document::read::<RawProfile>(&tables.own, span.clone()).ok()?;
    let defaults = match (&tables.defaults, &cx.defaults) {
        (Some(d), Some((_, at))) => Some(document::read::<RawProfile>(d, at.clone()).ok()?),
        _ => None,
    };
    Some((raw, defaults))
}

/// The keys of `[defaults]` that reach the profile (those of its flavour).
fn inherited(cx: &Context<'_, '_>, tables: &Tables<'_>, span: &Range<usize>) -> Vec<&'static str> {
    match read(cx, tables, span) {
        Some((raw, Some(d))) => d.for_flavour(raw.flavour.as_deref()).set_keys(),
        _ => Vec::new(),
    }
}

/// `ca_file` set (in the profile or its `[defaults]`) to a file that
/// cannot be read: what a fetch would fail on.
fn unreadable_ca_file(
    cx: &Context<'_, '_>,
    name: &str,
    tables: &Tables<'_>,
    span: &Range<usize>,
) -> Option<Finding> {
    let (raw, defaults) = read(cx, tables, span)?;
    let (value, table, mut path) = match (raw.ca_file, defaults.and_then(|d| d.ca_file)) {
        (Some(value), _) => (
            value,
            &tables.own,
            vec!["profiles".to_string(), name.to_string()],
        ),
        (None, Some(value)) => (
            value,
            tables.defaults.as_ref()?,
            vec!["defaults".to_string()],
        ),
        (None, None) => return None,
    };
    let file = crate::util::fs::expand_home(&value);
    let err = crate::util::fs::open_regular(&file, crate::util::fs::Links::Follow).err()?;
    let (_, at) = document::entry(table, &["ca_file"])?;
    path.push("ca_file".to_string());
    Some(Finding::new(
        Some(cx.text.position(at.span().start)),
        &path,
        format!("{} cannot be read: {err}", file.display()),
    ))
}

/// The keys a validation message names, most telling first: each
/// `` `key` `` (or `` `key = ...` ``) that is a profile key, and
/// `` response `x` `` as `response.x`.
pub fn keys_named(message: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if message.starts_with("unknown flavour") {
        keys.push("flavour".to_string());
    }
    let pieces: Vec<&str> = message.split('`').collect();
    for (i, piece) in pieces.iter().enumerate().skip(1).step_by(2) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect();
        let name = name.trim_end_matches('.');
        let before = pieces[i - 1];
        let key = if before.ends_with("response ") && !name.contains('.') {
            format!("response.{name}")
        } else if before.ends_with("response.extra ") {
            "response.extra".to_string()
        } else {
            name.to_string()
        };
        let top = key.split('.').next().unwrap_or("");
        if RawProfile::KEYS.iter().any(|k| k.name == canonical(top)) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    // Keys named outside quotes, as in "only used with grant = \"jwt_bearer\"".
    for piece in pieces.iter().step_by(2) {
        for (at, _) in piece.match_indices(" = \"") {
            let word: String = piece[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if RawProfile::KEYS.iter().any(|k| k.name == word) && !keys.contains(&word) {
                keys.push(word);
            }
        }
    }
    keys
}

/// A message under its key says what it says without repeating the key
/// first: "`timeout`: invalid duration" under key `timeout` is
/// "invalid duration".
fn without_key(message: &str, key: Option<&String>) -> String {
    let Some(key) = key else {
        return message.to_string();
    };
    let quoted = format!("`{key}`");
    match message.strip_prefix(&quoted) {
        Some(rest) if rest.starts_with(": ") => rest[2..].to_string(),
        Some(rest) if rest.starts_with(' ') && !rest.starts_with(" =") => rest[1..].to_string(),
        _ => message.to_string(),
    }
}

/// `flavour` may be written `flavor`.
fn spellings<'a>(path: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut all = vec![path.to_vec()];
    if path == ["flavour"] {
        all.push(vec!["flavor"]);
    }
    all
}

fn canonical(key: &str) -> &str {
    if key == "flavor" { "flavour" } else { key }
}

/// Whether `key` is `taken` or a key below it (`response.token` below
/// `response`), or the other way round.
fn same_or_below(key: &str, taken: &str) -> bool {
    let key = canonical(key);
    key == taken || key.starts_with(&format!("{taken}.")) || taken.starts_with(&format!("{key}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_their_keys() {
        for (message, keys) in [
            ("`min_ttl`: invalid duration \"5\"", vec!["min_ttl"]),
            ("grant \"password\" needs `username`", vec!["username"]),
            (
                "flavour \"oauth2\" needs `token_url` or `issuer`",
                vec!["token_url", "issuer"],
            ),
            (
                "unknown flavour \"x\": use \"oauth2\", \"http\" or \"jwt\"",
                vec!["flavour"],
            ),
            (
                "response `scope` = \"s\" is not a JSON Pointer: write \"/s\"",
                vec!["response.scope"],
            ),
            (
                "flavour \"http\" needs `response.token`, the JSON Pointer",
                vec!["response.token"],
            ),
            (
                "response.extra `a-b` is not a variable name",
                vec!["response.extra"],
            ),
            (
                "flavour \"jwt\" needs `jwt = { key = ..., claims = { ... } }`",
                vec!["jwt"],
            ),
            (
                "`url` has a fragment (`#...`), which is never sent",
                vec!["url"],
            ),
            ("`fields.a.b` is not a finite number", vec!["fields.a.b"]),
            ("no such thing as `nonsense`", vec![]),
            (
                "`signing_alg` is only used with client_auth = \"private_key_jwt\" or grant = \"jwt_bearer\"",
                vec!["signing_alg", "client_auth", "grant"],
            ),
            ("`body` is \"x\" (key = \"y\")", vec!["body"]),
        ] {
            assert_eq!(keys_named(message), keys, "{message}");
        }
    }

    #[test]
    fn the_key_is_not_said_twice() {
        let key = "timeout".to_string();
        assert_eq!(without_key("`timeout`: too large", Some(&key)), "too large");
        assert_eq!(
            without_key("`timeout` must be more than 0s", Some(&key)),
            "must be more than 0s"
        );
        assert_eq!(
            without_key("grant needs `timeout`", Some(&key)),
            "grant needs `timeout`"
        );
        assert_eq!(
            without_key("`timeout` = \"x\" is bad", Some(&key)),
            "`timeout` = \"x\" is bad"
        );
        assert_eq!(without_key("`timeout`: x", None), "`timeout`: x");
    }
}
