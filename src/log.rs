//! The one writer of stderr lines: `gettoken: ...` for the user, and
//! `--verbose` diagnostics. Every line is scrubbed of secrets except
//! [`info`]'s (an interactive login's URL and code, which must stay usable).
//!
//! Writing never panics: with stderr full (`2>/dev/full`) or closed, a line
//! is dropped and the run goes on to its exit status.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::secrets::redact::scrub;

static VERBOSE: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q`: no warnings and no notes; errors, their hints and an interactive
/// login's instructions still print.
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Writes `gettoken: {label}{text}` as one line; a failed write is ignored.
fn line(label: &str, text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "gettoken: {label}{text}");
}

/// Writes one diagnostic line when `--verbose` is on (what [`debug!`]
/// calls once it has formatted the line).
pub fn debug_line(message: impl AsRef<str>) {
    if verbose() {
        line("", &scrub(message.as_ref()));
    }
}

/// Writes one line for the user, verbose or not: an interactive login's
/// instructions. Deliberately not scrubbed, so the URL and code stay usable
/// even when a public value (a `client_id` from the environment, say) is
/// also kept hidden elsewhere; callers pass only public values (no
/// secret-sourced `params` reach the authorization URL).
pub fn info(message: impl AsRef<str>) {
    line("", message.as_ref());
}

/// Writes one status line, verbose or not (none with `-q`): what a command did ("wrote
/// ...", "forgot the cached token of `x`").
pub fn note(message: impl AsRef<str>) {
    if !quiet() {
        line("", &scrub(message.as_ref()));
    }
}

/// Whether [`waiting`] lines are shown: on a terminal, or with `--verbose`;
/// never with `-q`.
pub fn shows_waiting() -> bool {
    use std::io::IsTerminal;
    !quiet() && (verbose() || std::io::stderr().is_terminal())
}

/// Writes one "waiting for ..." line, when [`shows_waiting`]: a fetch is
/// slow or tried again, and the person at the terminal should know why
/// nothing happens. A script reading stderr gets nothing extra.
pub fn waiting(message: impl AsRef<str>) {
    if shows_waiting() {
        line("", &scrub(message.as_ref()));
    }
}

/// Writes one warning line, verbose or not; none with `-q`.
pub fn warn(message: impl AsRef<str>) {
    if !quiet() {
        line("warning: ", &scrub(message.as_ref()));
    }
}

/// Writes one error line: the error that ends the run, or one of several
/// problems found.
pub fn error(message: impl AsRef<str>) {
    line("error: ", &scrub(message.as_ref()));
}

/// Writes one line of advice after an error.
pub fn hint(message: impl AsRef<str>) {
    line("hint: ", &scrub(message.as_ref()));
}

/// `log::debug!("...", args)`: formats only when `--verbose` is on.
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::verbose() {
            $crate::log::debug_line(format!($($arg)*));
        }
    };
}
pub(crate) use debug;
