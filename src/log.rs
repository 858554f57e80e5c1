//! `--verbose` diagnostics on stderr, always scrubbed of secrets.

use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Writes one diagnostic line when `--verbose` is on (what [`debug!`]
/// calls once it has formatted the line).
pub fn debug_line(message: impl AsRef<str>) {
    if verbose() {
        eprintln!(
            "gettoken: {}",
            crate::secrets::redact::scrub(message.as_ref())
        );
    }
}

/// Writes one line for the user, verbose or not: an interactive login's
/// instructions. Not scrubbed, so the URL and code stay usable even when a
/// public value (a `client_id` from the environment, say) is also kept
/// hidden elsewhere; callers pass only public values (no secret-sourced
/// `params` reach the authorization URL).
pub fn info(message: impl AsRef<str>) {
    eprintln!("gettoken: {}", message.as_ref());
}

/// Writes one warning line, verbose or not.
pub fn warn(message: impl AsRef<str>) {
    eprintln!(
        "gettoken: warning: {}",
        crate::secrets::redact::scrub(message.as_ref())
    );
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
