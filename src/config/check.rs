//! `gettoken config check`: the whole file checked offline in one run,
//! every problem of every table found, not only the first. No secret is
//! resolved and no request is made.
//!
//! The file is read as a spanned document (`check/document.rs`), then
//! against its schema key by key (`check/schema.rs`: unknown keys, wrong
//! types, unknown values), then each profile is validated by the code
//! `gettoken PROFILE` runs (`check/validation.rs`), again after each key
//! at fault is taken out. Each finding is one line:
//!
//! ```text
//! FILE:LINE:COLUMN: WHERE: key `KEY`: MESSAGE
//! ```
//!
//! WHERE is `profile `NAME``, `[defaults]` or `[consumers.TOOL]` (left out
//! at the top of the file), `key `KEY`` is dotted below its table
//! (`response.token`), and either is left out when there is none.

mod document;
mod schema;
mod validation;

use std::path::Path;

use toml::de::DeTable;

use document::Lines;

use super::raw::File;
use crate::error::Failure;
use crate::util::text::escape_for_terminal;

/// One problem or warning, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Line and column, from 1; `None` for the file as a whole.
    pub position: Option<(usize, usize)>,
    /// `profile `NAME``, `[defaults]`, `[consumers.TOOL]`, or empty at the
    /// top of the file.
    pub table: String,
    /// The key, dotted below its table.
    pub key: Option<String>,
    pub message: String,
}

impl Finding {
    /// A finding at `path` (from the top of the file: `profiles.NAME.KEY`,
    /// `defaults.KEY`, `consumers.TOOL.HOST`).
    fn new(position: Option<(usize, usize)>, path: &[String], message: String) -> Finding {
        let (table, key): (String, &[String]) = match path {
            [top, name, rest @ ..] if top == "profiles" => {
                (format!("profile `{}`", escape_for_terminal(name)), rest)
            }
            [top, rest @ ..] if top == "defaults" => ("[defaults]".to_string(), rest),
            [top, tool, rest @ ..] if top == "consumers" && !rest.is_empty() => {
                (format!("[consumers.{}]", escape_for_terminal(tool)), rest)
            }
            [top, rest @ ..] if top == "consumers" => ("[consumers]".to_string(), rest),
            rest => (String::new(), rest),
        };
        let key = (!key.is_empty()).then(|| escape_for_terminal(&key.join(".")));
        Finding {
            position,
            table,
            key,
            message,
        }
    }

    /// The line `config check` prints.
    pub fn render(&self, file: &Path) -> String {
        let mut line = file.display().to_string();
        if let Some((l, c)) = self.position {
            line.push_str(&format!(":{l}:{c}"));
        }
        if !self.table.is_empty() {
            line.push_str(&format!(": {}", self.table));
        }
        if let Some(key) = &self.key {
            line.push_str(&format!(": key `{key}`"));
        }
        line.push_str(&format!(": {}", self.message));
        line
    }
}

/// What a check found.
#[derive(Debug)]
pub struct Report {
    /// The profiles' names, as written (valid or not).
    pub names: Vec<String>,
    /// Each problem once, in the order of the file.
    pub problems: Vec<Finding>,
    /// What works but should change (a secret written out in a file other
    /// users can read; a profile named like a command), in the order of
    /// the file.
    pub warnings: Vec<Finding>,
}

impl Report {
    /// `FILE: 12 profiles, 3 problems, 1 warning`; `no problems` only
    /// when there are none.
    pub fn summary(&self, file: &Path) -> String {
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut line = format!(
            "{}: {}, ",
            file.display(),
            count(self.names.len(), "profile")
        );
        line.push_str(&match self.problems.len() {
            0 => "no problems".to_string(),
            n => count(n, "problem"),
        });
        if !self.warnings.is_empty() {
            line.push_str(&format!(", {}", count(self.warnings.len(), "warning")));
        }
        line
    }
}

/// Checks the file at `path`. A file that cannot be read or is not TOML is
/// an error (one, with its line and column); everything else is listed in
/// the report. `reserved` are the names no profile may take; `shadowing`
/// the commands a profile may be named like, then reached only with
/// `gettoken get NAME`.
pub fn check(path: &Path, reserved: &[&str], shadowing: &[&str]) -> Result<Report, Failure> {
    let (text, shared) = super::read_text(path)?;
    check_text(path, &text, shared, reserved, shadowing)
}

/// [`check`] of `text`; `shared`: whether other users can read the file.
pub fn check_text(
    path: &Path,
    text: &str,
    shared: bool,
    reserved: &[&str],
    shadowing: &[&str],
) -> Result<Report, Failure> {
    let doc = DeTable::parse(text).map_err(|e| super::parse_error(path, text, &e))?;
    let text = &Lines::new(text);
    let span = doc.span();
    let doc = doc.into_inner();
    let names: Vec<String> = document::table(&doc, &["profiles"])
        .map(|p| p.keys().map(|k| k.get_ref().to_string()).collect())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    for (key, value) in document::table(&doc, &["profiles"]).into_iter().flatten() {
        let name = key.get_ref();
        if shadowing.contains(&name.as_ref()) {
            warnings.push(Finding::new(
                Some(text.position(document::start(key, value))),
                &["profiles".to_string(), name.to_string()],
                format!(
                    "the profile has the name of the command `gettoken {n}`: get its token with `gettoken get {n}`",
                    n = escape_for_terminal(name)
                ),
            ));
        }
    }

    let (doc, file, mut problems) = schema::clean(text, doc, span, reserved);
    if names.is_empty() {
        problems.push(Finding::new(
            None,
            &[],
            "no profiles: add a [profiles.NAME] table".to_string(),
        ));
    }
    if let Some(file) = &file {
        problems.extend(profile_problems(path, text, &doc));
        problems.extend(unknown_profile_names(text, &doc, file, &names));
        if shared {
            warnings.extend(written_out_secrets(path, text, &doc, file));
        }
    }
    problems.sort();
    problems.dedup();
    warnings.sort();
    warnings.dedup();
    Ok(Report {
        names,
        problems,
        warnings,
    })
}

/// Every profile validated, each on its own.
fn profile_problems(path: &Path, text: &Lines<'_>, doc: &DeTable<'_>) -> Vec<Finding> {
    let defaults = doc
        .get("defaults")
        .and_then(|d| Some((d.get_ref().as_table()?, d.span())));
    let cx = validation::Context {
        path,
        text,
        defaults,
    };
    let mut found = Vec::new();
    for (key, value) in document::table(doc, &["profiles"]).into_iter().flatten() {
        if let Some(own) = value.get_ref().as_table() {
            found.extend(validation::check(
                &cx,
                key.get_ref(),
                own,
                value.span(),
                document::start(key, value),
            ));
        }
    }
    found
}

/// Names of profiles that are not in the file: `[consumers.TOOL]` entries
/// (placed at their key) and `refresh_from` (placed at its value; empty
/// or naming itself is validation's to say).
fn unknown_profile_names(
    text: &Lines<'_>,
    doc: &DeTable<'_>,
    file: &File,
    names: &[String],
) -> Vec<Finding> {
    let consumers = file.consumers.entries().into_iter().map(
        |(tool, host, profile)| -> ([&str; 3], &str, bool) {
            (["consumers", tool, host], profile, true)
        },
    );
    let lenders = file.profiles.iter().filter_map(|(name, raw)| {
        let from = raw.refresh_from.as_deref()?;
        let path: [&str; 3] = ["profiles", name, "refresh_from"];
        (!from.is_empty() && from != name).then_some((path, from, false))
    });
    consumers
        .chain(lenders)
        .filter(|(_, named, _)| !names.iter().any(|n| n == named))
        .map(|(path, named, at_key)| {
            let position = document::entry(doc, &path).map(|(key, value)| {
                text.position(if at_key { key.span() } else { value.span() }.start)
            });
            Finding::new(
                position,
                &path.map(str::to_string),
                format!(
                    "names no profile of the file: `{}`{}",
                    escape_for_terminal(named),
                    crate::util::suggest::hint(named, names.iter().map(String::as_str))
                ),
            )
        })
        .collect()
}

/// A warning for each secret written out in a file that other users can
/// read.
fn written_out_secrets(
    path: &Path,
    text: &Lines<'_>,
    doc: &DeTable<'_>,
    file: &File,
) -> Vec<Finding> {
    let tables = file
        .defaults
        .iter()
        .map(|d| (vec!["defaults".to_string()], d))
        .chain(
            file.profiles
                .iter()
                .map(|(name, p)| (vec!["profiles".to_string(), name.clone()], p)),
        );
    let mut found = Vec::new();
    for (table, raw) in tables {
        for key in super::literal::in_profile(raw) {
            // `fields.list[0]` is written at `fields.list`.
            let written = key.split('[').next().unwrap_or(&key);
            let mut full = table.clone();
            full.extend(written.split('.').map(str::to_string));
            let lookup: Vec<&str> = full.iter().map(String::as_str).collect();
            let position =
                document::entry(doc, &lookup).map(|(_, value)| text.position(value.span().start));
            let mut at = table.clone();
            at.push(key);
            found.push(Finding::new(
                position,
                &at,
                format!(
                    "a secret written out, and other users can read the file: run `chmod 600 {}`, or take the value from {{ env = \"...\" }} or {{ keyring = \"...\" }}",
                    path.display()
                ),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_shared(text: &str, shared: bool) -> Report {
        check_text(
            Path::new("p.toml"),
            text,
            shared,
            &["list", "show"],
            &["exec"],
        )
        .unwrap()
    }

    fn run(text: &str) -> Report {
        run_shared(text, false)
    }

    fn lines(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| f.render(Path::new("p.toml")))
            .collect()
    }

    #[test]
    fn the_starter_file_passes() {
        let report = run(super::super::starter::TEXT);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.names.len(), 1);
        assert_eq!(
            report.summary(Path::new("p.toml")),
            "p.toml: 1 profile, no problems"
        );
    }

    #[test]
    fn every_problem_of_every_profile_is_listed_once_where_it_is_written() {
        let text = r#"[defaults]
min_ttl = "60"
timeout = "0s"

[profiles.ok]
flavour = "oauth2"
token_url = "https://a.example/t"
min_ttl = "1m"
timeout = "5s"

[profiles.noflavour]
url = "https://a.example/t"
min_ttl = "1m"
timeout = "5s"

[profiles.list]
flavour = "oauth2"
token_url = "https://a.example/t"

[profiles.many]
flavour = "oauth2"
token_url = "not a url"
scheme = "Bad Scheme"
client_cert = { file = "c.pem" }
tokne = 1
min_ttl = "1m"
timeout = "5s"

[profiles.noca]
flavour = "oauth2"
token_url = "https://a.example/t"
ca_file = "/nonexistent/ca.pem"
"#;
        let report = run(text);
        assert_eq!(report.names.len(), 5);
        // The OS's own words for a missing file differ (Windows).
        let all: Vec<String> = lines(&report.problems)
            .into_iter()
            .map(|l| match l.split_once(" cannot be read: ") {
                Some((before, _)) => format!("{before} cannot be read: (the OS's error)"),
                None => l,
            })
            .collect();
        assert_eq!(
            all,
            [
                "p.toml:2:11: [defaults]: key `min_ttl`: duration `60` has no unit: write e.g. \"90s\", \"15m\", \"12h\" or \"30d\"",
                "p.toml:3:11: [defaults]: key `timeout`: must be more than 0s",
                "p.toml:11:1: profile `noflavour`: key `flavour`: no `flavour`: add flavour = \"oauth2\" or flavour = \"http\"",
                "p.toml:16:1: profile `list`: the name is a gettoken command: rename [profiles.list]",
                "p.toml:22:13: profile `many`: key `token_url`: is not a URL: relative URL without a base",
                "p.toml:23:10: profile `many`: key `scheme`: \"Bad Scheme\" is not an HTTP auth scheme (letters, digits and !#$%&'*+-.^_`|~ only, as in \"Bearer\"), or \"\" for none",
                "p.toml:24:15: profile `many`: key `client_cert`: needs `client_key`, the certificate's PEM private key",
                "p.toml:25:1: profile `many`: key `tokne`: unknown key; did you mean `token_url`?",
                "p.toml:32:11: profile `noca`: key `ca_file`: /nonexistent/ca.pem cannot be read: (the OS's error)",
            ]
        );
        assert!(report.warnings.is_empty());
        assert_eq!(
            report.summary(Path::new("p.toml")),
            "p.toml: 5 profiles, 9 problems"
        );
    }

    #[test]
    fn a_value_at_fault_hides_neither_the_next_nor_its_consequences_show() {
        let text = r#"[profiles.b]
flavour = "http"
url = "http://remote.example/t"
method = "FETCH X"
[profiles.b.response]
expires_in = "expires"

[profiles.o]
flavour = "oauth2"
issuer = "not a url"
grant = "password"
signing_alg = "RS1"
"#;
        let all = lines(&run(text).problems);
        let keys: Vec<&str> = all
            .iter()
            .map(|l| l.split("key `").nth(1).unwrap().split('`').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "response.token",
                "url",
                "method",
                "response.expires_in",
                "password",
                "username",
                "issuer",
                "signing_alg"
            ],
            "{all:#?}"
        );
        assert!(
            all[0].starts_with(
                "p.toml:1:1: profile `b`: key `response.token`: flavour \"http\" needs"
            ),
            "{all:#?}"
        );
        assert!(
            all[6].starts_with("p.toml:10:10: profile `o`: key `issuer`: is not a URL"),
            "{all:#?}"
        );
        assert!(
            !all.iter()
                .any(|l| l.contains("needs `token_url` or `issuer`")),
            "{all:#?}"
        );
    }

    #[test]
    fn what_a_key_needs_is_stood_in_so_the_keys_after_it_are_checked_in_context() {
        let text = r#"[profiles.a]
flavour = "oauth2"
token_url = "https://a.example/t"
client_id = "c"
client_auth = "private_key_jwt"
signing_alg = "XX"
client_cert = "x"
basic_username = "u"
"#;
        let all = lines(&run(text).problems);
        assert_eq!(all.len(), 4, "{all:#?}");
        assert!(all[0].starts_with("p.toml:5:15: profile `a`: key `client_auth`: \"private_key_jwt\" needs `private_key`"), "{all:#?}");
        assert!(
            all[1].starts_with(
                "p.toml:6:15: profile `a`: key `signing_alg`: is \"XX\"; it must be one of"
            ),
            "{all:#?}"
        );
        assert!(
            all[2].starts_with("p.toml:7:15: profile `a`: key `client_cert`: needs `client_key`"),
            "{all:#?}"
        );
        assert!(
            all[3].starts_with(
                "p.toml:8:18: profile `a`: key `basic_username`: is a key of flavour \"http\""
            ),
            "{all:#?}"
        );
    }

    #[test]
    fn both_spellings_of_flavour_leave_the_rest_checked() {
        let text = "[profiles.a]\nflavour = \"oauth2\"\nflavor = \"http\"\ntimeout = \"0s\"\n[profiles.b]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"c\"\nmin_ttl = \"x\"\n";
        assert_eq!(
            lines(&run(text).problems),
            [
                "p.toml:1:1: profile `a`: key `token_url`: flavour \"oauth2\" needs `token_url` or `issuer`",
                "p.toml:3:1: profile `a`: key `flavor`: the same key as `flavour`, written again: keep one",
                "p.toml:4:11: profile `a`: key `timeout`: must be more than 0s",
                "p.toml:9:11: profile `b`: key `min_ttl`: duration `x` must start with a whole number, as in \"90s\"",
            ]
        );
    }

    #[test]
    fn warnings_are_counted_apart_and_placed() {
        let text = "[profiles.exec]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"c\"\nclient_secret = \"s3cr3t\"\n";
        let report = run_shared(text, true);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let all = lines(&report.warnings);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[0].starts_with("p.toml:1:1: profile `exec`: the profile has the name of the command `gettoken exec`"), "{all:?}");
        assert!(
            all[1].starts_with(
                "p.toml:5:17: profile `exec`: key `client_secret`: a secret written out"
            ),
            "{all:?}"
        );
        assert!(all[1].contains("chmod 600 p.toml"), "{all:?}");
        assert!(!all.join("\n").contains("s3cr3t"));
        assert_eq!(
            report.summary(Path::new("p.toml")),
            "p.toml: 1 profile, no problems, 2 warnings"
        );
        assert_eq!(run_shared(text, false).warnings.len(), 1);
    }

    #[test]
    fn consumers_naming_no_profile_are_placed() {
        let text = "[consumers.docker]\n\"r.example\" = \"regg\"\n[consumers.dokcer]\n\n[profiles.reg]\nflavour = \"http\"\nurl = \"https://a.example/t\"\nresponse.token = \"/t\"\n";
        assert_eq!(
            lines(&run(text).problems),
            [
                "p.toml:2:1: [consumers.docker]: key `r.example`: names no profile of the file: `regg`; did you mean `reg`?",
                "p.toml:3:12: [consumers]: key `dokcer`: unknown key; did you mean `docker`?",
            ]
        );
    }

    #[test]
    fn a_refresh_from_naming_no_profile_is_placed() {
        let text = "[profiles.login]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\n[profiles.api]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nrefresh_from = \"logn\"\n";
        assert_eq!(
            lines(&run(text).problems),
            [
                "p.toml:7:16: profile `api`: key `refresh_from`: names no profile of the file: `logn`; did you mean `login`?"
            ]
        );
        assert!(
            run(&text.replace("\"logn\"", "\"login\""))
                .problems
                .is_empty()
        );
    }

    #[test]
    fn no_profiles_is_a_problem_and_bad_toml_an_error() {
        assert_eq!(
            lines(&run("[defaults]\nmin_ttl = \"1m\"\n").problems),
            ["p.toml: no profiles: add a [profiles.NAME] table"]
        );
        let err = check_text(Path::new("p.toml"), "[profiles.a\n", false, &[], &[]).unwrap_err();
        assert!(err.message.starts_with("p.toml:1:"), "{}", err.message);
    }
}
