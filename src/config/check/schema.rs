//! The file read against its schema (`raw::File`, the serde structs every
//! command uses), every mistake found: each failure is placed by its span,
//! reported, and the entry at fault taken out before reading again, so an
//! unknown key, a wrong type or an unknown value in one table never hides
//! the next one.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Finding;
use super::document::{self, Lines};
use crate::config::raw::{File, RawProfile};

/// More than any real file has; past it the rest is not read.
pub const MOST: usize = 500;

/// The file as far as it is right: the document without the entries at
/// fault, the `File` read from it (`None` when a failure could not be
/// placed), and a finding for each entry taken out.
pub fn clean<'i>(
    text: &Lines<'_>,
    mut doc: DeTable<'i>,
    span: Range<usize>,
    reserved: &[&str],
) -> (DeTable<'i>, Option<File>, Vec<Finding>) {
    let mut findings = Vec::new();
    refuse_own_keys_in_defaults(text, &mut doc, &mut findings);
    refuse_reserved_names(text, &doc, reserved, &mut findings);
    // Table by table first, so that a failure costs a read of its table.
    if let Some(value) = doc.get_mut("defaults") {
        let span = value.span();
        if let DeValue::Table(table) = value.get_mut() {
            let path = ["defaults".to_string()];
            if !clean_table::<RawProfile>(text, table, span, &path, &mut findings) {
                doc.remove("defaults");
            }
        }
    }
    for top in ["profiles", "consumers"] {
        let Some(DeValue::Table(tables)) = doc.get_mut(top).map(Spanned::get_mut) else {
            continue;
        };
        let mut unread = Vec::new();
        for (name, value) in tables.iter_mut() {
            let span = value.span();
            let path = [top.to_string(), name.get_ref().to_string()];
            let DeValue::Table(table) = value.get_mut() else {
                continue;
            };
            let read = if top == "profiles" {
                clean_table::<RawProfile>(text, table, span, &path, &mut findings)
            } else {
                // `[consumers.TOOL]`: host to profile name.
                clean_table::<BTreeMap<String, String>>(text, table, span, &path, &mut findings)
            };
            if !read {
                unread.push(name.get_ref().to_string());
            }
        }
        // A table that does not read at all is left out; the others are
        // still checked.
        for name in unread {
            tables.remove(name.as_str());
        }
    }
    // Then the file as a whole: its top level, tables of the wrong type.
    if findings.len() < MOST
        && clean_table::<File>(text, &mut doc, span.clone(), &[], &mut findings)
    {
        let file = document::read::<File>(&doc, span).ok();
        return (doc, file, findings);
    }
    (doc, None, findings)
}

/// Reads `T` from `table` (at `path` in the file) again and again, each
/// failure reported and its entry taken out, until it reads; `false` when a
/// failure could not be placed, or there were too many.
fn clean_table<T: DeserializeOwned>(
    text: &Lines<'_>,
    table: &mut DeTable<'_>,
    span: Range<usize>,
    path: &[String],
    findings: &mut Vec<Finding>,
) -> bool {
    while findings.len() < MOST {
        let err = match document::read::<T>(table, span.clone()) {
            Ok(_) => return true,
            Err(err) => err,
        };
        let message = message(err.message());
        let Some(at) = err.span() else {
            findings.push(Finding::new(None, path, message));
            return false;
        };
        // Not in an entry: about the table itself.
        let mut below = document::locate(table, &at).unwrap_or_default();
        let mut at = at.start;
        let mut message = message;
        if let Some(field) = duplicate(err.message())
            && let Some((key, offset)) = second_spelling(table, &below, field)
        {
            // `flavour` and `flavor` both written: the second goes.
            below.push(key);
            at = offset;
            message = format!("the same key as `{field}`, written again: keep one");
        }
        if below.is_empty() {
            findings.push(Finding::new(Some(text.position(at)), path, message));
            return false;
        }
        let message = without_key(message, below.last().map(String::as_str));
        let full: Vec<String> = path.iter().chain(&below).cloned().collect();
        findings.push(Finding::new(Some(text.position(at)), &full, message));
        let below: Vec<&str> = below.iter().map(String::as_str).collect();
        if !document::remove(table, &below) {
            return false;
        }
    }
    if !findings.iter().any(|f| f.message.starts_with("more than")) {
        findings.push(Finding::new(
            None,
            &[],
            format!("more than {MOST} problems: the rest of the file was not read"),
        ));
    }
    false
}

/// `flavour` in `[defaults]`: a key each profile sets itself.
fn refuse_own_keys_in_defaults(
    text: &Lines<'_>,
    doc: &mut DeTable<'_>,
    findings: &mut Vec<Finding>,
) {
    let Some(defaults) = document::table(doc, &["defaults"]) else {
        return;
    };
    let own: Vec<(String, usize)> = defaults
        .iter()
        .filter(|(key, _)| {
            let name = canonical(key.get_ref());
            RawProfile::KEYS
                .iter()
                .any(|k| k.name == name && !k.in_defaults)
        })
        .map(|(key, _)| (key.get_ref().to_string(), key.span().start))
        .collect();
    for (key, at) in own {
        findings.push(Finding::new(
            Some(text.position(at)),
            &["defaults".to_string(), key.clone()],
            "cannot be set in [defaults]: set it in each profile".to_string(),
        ));
        document::remove(doc, &["defaults", &key]);
    }
}

/// A profile named like a command of the first release.
fn refuse_reserved_names(
    text: &Lines<'_>,
    doc: &DeTable<'_>,
    reserved: &[&str],
    findings: &mut Vec<Finding>,
) {
    let Some(profiles) = document::table(doc, &["profiles"]) else {
        return;
    };
    for (key, value) in profiles.iter() {
        let name = key.get_ref();
        if reserved.contains(&name.as_ref()) {
            findings.push(Finding::new(
                Some(text.position(document::start(key, value))),
                &["profiles".to_string(), name.to_string()],
                format!(
                    "the name is a gettoken command: rename [profiles.{}]",
                    crate::util::text::escape_for_terminal(name)
                ),
            ));
        }
    }
}

/// A key as the schema knows it (`flavor` is `flavour`).
fn canonical(key: &str) -> &str {
    if key == "flavor" { "flavour" } else { key }
}

/// serde's message in the words `gettoken PROFILE` uses: no values quoted
/// (they may be secrets), "did you mean" for an unknown key or value, no
/// Rust type names.
fn message(raw: &str) -> String {
    let message = crate::config::without_values(raw.trim_end());
    let message = crate::config::explain_unknown(&message).unwrap_or(message);
    let message = match message.split_once("expected struct ") {
        Some((before, _)) => format!("{before}expected a table"),
        None => message,
    };
    // An untagged enum's whole message is what it expects.
    let message = if message.starts_with("a ") || message.starts_with("an ") {
        format!("expected {message}")
    } else {
        message
    };
    message
        .replace("missing field `", "missing key `")
        .replace("duplicate field `", "duplicate key `")
}

/// "unknown key `x`; ..." under key `x` says "unknown key; ...".
fn without_key(message: String, key: Option<&str>) -> String {
    match key {
        Some(key) => message.replacen(&format!("unknown key `{key}`"), "unknown key", 1),
        None => message,
    }
}

/// The field of serde's "duplicate field `x`".
fn duplicate(message: &str) -> Option<&str> {
    message
        .strip_prefix("duplicate field `")?
        .split_once('`')
        .map(|(field, _)| field)
}

/// In the table at `path`, the later of two spellings of `field`.
fn second_spelling(doc: &DeTable<'_>, path: &[String], field: &str) -> Option<(String, usize)> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let table = document::table(doc, &path)?;
    table
        .iter()
        .filter(|(key, _)| canonical(key.get_ref()) == field)
        .nth(1)
        .map(|(key, _)| (key.get_ref().to_string(), key.span().start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(text: &str) -> (Option<File>, Vec<String>) {
        let doc = DeTable::parse(text).unwrap();
        let span = doc.span();
        let lines = Lines::new(text);
        let (_, file, findings) = clean(&lines, doc.into_inner(), span, &["list"]);
        let lines = findings
            .iter()
            .map(|f| f.render(Path::new("p.toml")))
            .collect();
        (file, lines)
    }

    #[test]
    fn every_schema_mistake_is_placed_and_named() {
        let text = r#"[defaults]
flavour = "oauth2"
scope = 5

[profiles.a]
cache = "keyrnig"
tokn_url = "https://a.example/t"
retries = -1

[profiles.b]
flavour = "http"
flavor = "http"
response.tokne = "/x"

[profiles.list]
flavour = "oauth2"

[profile.c]
"#;
        let (file, lines) = run(text);
        assert_eq!(
            lines,
            [
                "p.toml:2:1: [defaults]: key `flavour`: cannot be set in [defaults]: set it in each profile",
                "p.toml:15:1: profile `list`: the name is a gettoken command: rename [profiles.list]",
                "p.toml:3:9: [defaults]: key `scope`: expected a string or a list of strings",
                "p.toml:6:9: profile `a`: key `cache`: unknown value `keyrnig`; did you mean `keyring`?",
                "p.toml:7:1: profile `a`: key `tokn_url`: unknown key; did you mean `token_url`?",
                "p.toml:8:11: profile `a`: key `retries`: invalid value: expected u32",
                "p.toml:12:1: profile `b`: key `flavor`: the same key as `flavour`, written again: keep one",
                "p.toml:13:10: profile `b`: key `response.tokne`: unknown key; did you mean one of `token`, `token_type`?",
                "p.toml:18:2: key `profile`: unknown key; did you mean `profiles`?",
            ]
        );
        let file = file.unwrap();
        assert_eq!(file.profiles.len(), 3);
        assert_eq!(file.profiles["b"].flavour.as_deref(), Some("http"));
    }

    #[test]
    fn a_value_is_never_quoted() {
        let (_, lines) =
            run("[profiles.a]\nclient_secret = [\"hunter2\"]\nretries = \"hunter3\"\n");
        let all = lines.join("\n");
        assert!(!all.contains("hunter"), "{all}");
        assert_eq!(lines.len(), 2, "{all}");
    }
}
