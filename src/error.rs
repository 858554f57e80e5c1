//! The failures gettoken distinguishes, and the exit status of each.
//!
//! Inner code returns `anyhow::Error`s whose root (or any link of the chain)
//! may be a [`Failure`]; `main` turns the chain into one message and the
//! failure's kind into the documented exit status (CONFIG.md, "Exit status").

use std::fmt;

/// What kind of failure ended the run; decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Usage or configuration error: exit 2.
    Usage,
    /// The endpoint refused the credentials: exit 3.
    Refused,
    /// The endpoint could not be reached or failed: exit 4.
    Unreachable,
    /// The command of `gettoken exec` could not be started: 127 when it is
    /// not found, 126 when it cannot be run, as shells do.
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
#[derive(Debug)]
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

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

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
