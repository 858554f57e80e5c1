//! The wall clock, in whole seconds since the Unix epoch: the one place
//! that reads it. Pure code takes the time as an argument instead.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the time, as [`now`] gives it: code that must not read the
/// wall clock itself (the use case, the grants) takes one, and tests a
/// fixed one.
pub type Clock = fn() -> i64;

/// Seconds since the Unix epoch (0 before it, `i64::MAX` past its range).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
