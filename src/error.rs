//! The failures gettoken distinguishes, and the exit status of each.
//!
//! Inner code returns `anyhow::Error`s whose root (or any link of the chain)
//! may be a [`Failure`]; `main` turns the chain into one message and the
//! failure's kind into the documented exit status ([`EXIT_STATUSES`], the
//! one table `--help`, the man page and README.md's "Exit status" show).

/// One documented exit status (or several that share a meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub codes: &'static [i32],
    /// A few words, for the `--help` footer.
    pub brief: &'static str,
    /// The whole meaning, for the man page and README.md (Markdown's
    /// `code` marks kept as they are).
    pub meaning: &'static str,
}

/// Every exit status gettoken documents, in the order they are shown.
pub const EXIT_STATUSES: &[ExitStatus] = &[
    ExitStatus {
        codes: &[0],
        brief: "token printed",
        meaning: "a token was printed",
    },
    ExitStatus {
        codes: &[2],
        brief: "usage or configuration error",
        meaning: "usage or configuration error: bad TOML (with line and column), unknown profile (with the nearest names), a missing or unreadable secret",
    },
    ExitStatus {
        codes: &[3],
        brief: "credentials refused",
        meaning: "the endpoint refused the credentials: a 4xx other than 408/429, or `success` not true; the message carries the endpoint's own words. Also a device or browser login that was denied, expired, or not finished within `login_timeout`, or one that may not start: no one to answer it (`--no-interactive`, `GETTOKEN_INTERACTIVE`), or within `login_cooldown` of a failed one",
    },
    ExitStatus {
        codes: &[4],
        brief: "endpoint unreachable or failing",
        meaning: "the endpoint could not be reached or failed: connection, TLS, timeout, redirect, 5xx or 429 after retries, a reply that is not JSON or has no token",
    },
    ExitStatus {
        codes: &[NOT_RUNNABLE, NOT_FOUND],
        brief: "exec: command not runnable / not found",
        meaning: "`gettoken exec`: the command cannot be run / is not found (otherwise `exec` exits as the command does)",
    },
    ExitStatus {
        codes: &[1],
        brief: "anything else",
        meaning: "anything else",
    },
];

/// `gettoken exec`: the command was found but cannot be run (as shells do).
pub const NOT_RUNNABLE: i32 = 126;
/// `gettoken exec`: the command was not found (as shells do).
pub const NOT_FOUND: i32 = 127;

/// The `--help` footer's line: "Exit status: 0 token printed, 2 ...".
pub fn exit_status_summary() -> String {
    let items: Vec<String> = EXIT_STATUSES
        .iter()
        .map(|s| format!("{} {}", codes_text(s.codes, "/"), s.brief))
        .collect();
    format!("Exit status: {}.", items.join(", "))
}

/// `126, 127` (with `", "`), `126/127` (with `"/"`).
pub fn codes_text(codes: &[i32], separator: &str) -> String {
    let codes: Vec<String> = codes.iter().map(i32::to_string).collect();
    codes.join(separator)
}

/// What kind of failure ended the run; decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Usage or configuration error: exit 2.
    Usage,
    /// The endpoint refused the credentials: exit 3.
    Refused,
    /// The endpoint could not be reached or failed: exit 4.
    Unreachable,
    /// The command of `gettoken exec` could not be started: [`NOT_FOUND`]
    /// or [`NOT_RUNNABLE`].
    Command(i32),
}

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Usage => 2,
            Kind::Refused => 3,
            Kind::Unreachable => 4,
            Kind::Command(code) => code,
        }
    }
}

/// A failure with a kind and a message that is safe to show (no secrets).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    /// What to do next, when the kind's usual advice does not fit.
    pub hint: Option<&'static str>,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            kind: Kind::Usage,
            message: message.into(),
            hint: None,
        }
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Failure {
            kind: Kind::Refused,
            message: message.into(),
            hint: None,
        }
    }
    pub fn unreachable(message: impl Into<String>) -> Self {
        Failure {
            kind: Kind::Unreachable,
            message: message.into(),
            hint: None,
        }
    }
}

impl Failure {
    pub fn with_hint(self, hint: &'static str) -> Self {
        Failure {
            hint: Some(hint),
            ..self
        }
    }
}

/// The exit status for an error chain: the first [`Failure`] in it decides,
/// anything else is 1.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(1, |f| f.kind.exit_code())
}

/// What to do next, for failures at the endpoint.
pub fn hint(err: &anyhow::Error) -> Option<&'static str> {
    let failure = err.chain().find_map(|e| e.downcast_ref::<Failure>())?;
    if failure.hint.is_some() {
        return failure.hint;
    }
    match failure.kind {
        Kind::Usage | Kind::Command(_) => None,
        Kind::Refused => Some(
            "the endpoint rejected the request: check the profile's credentials and settings; `-v` shows the exchange with secrets redacted",
        ),
        Kind::Unreachable => {
            Some("check the profile's URL, the network and any proxy; `-v` shows every try")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_documented_status() {
        let documented: Vec<i32> = EXIT_STATUSES
            .iter()
            .flat_map(|s| s.codes.iter().copied())
            .collect();
        for kind in [
            Kind::Usage,
            Kind::Refused,
            Kind::Unreachable,
            Kind::Command(NOT_FOUND),
            Kind::Command(NOT_RUNNABLE),
        ] {
            assert!(documented.contains(&kind.exit_code()), "{kind:?}");
        }
        let other = anyhow::anyhow!("plain");
        assert!(documented.contains(&exit_code(&other)));
        let mut sorted = documented.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), documented.len(), "each code once");
    }

    /// README.md's "Exit status" table is this one: the same rows, in the
    /// same order, with the same words.
    #[test]
    fn readme_table_is_the_code_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let rows: Vec<(String, String)> = readme
            .lines()
            .skip_while(|l| l.trim() != "### Exit status")
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2) // the header and the `| --- |` line
            .map(|l| {
                let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
                let (code, meaning) = inner.split_once('|').expect("two cells");
                (code.trim().to_string(), meaning.trim().to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = EXIT_STATUSES
            .iter()
            .map(|s| (codes_text(s.codes, ", "), s.meaning.to_string()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn summary_names_every_code() {
        let summary = exit_status_summary();
        assert!(
            summary.starts_with("Exit status: 0 token printed, 2 "),
            "{summary}"
        );
        assert!(summary.contains("126/127 exec"), "{summary}");
        assert!(summary.ends_with(", 1 anything else."), "{summary}");
    }
}
