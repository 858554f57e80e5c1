//! A token as gettoken keeps and prints it.

use crate::secret::Secret;

/// An access token and what is known about it. Times are UNIX seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub access_token: Secret,
    pub token_type: Option<String>,
    pub expires_at: Option<i64>,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
}

impl Token {
    /// Seconds left at `now`; `None` when the expiry is unknown.
    pub fn seconds_left(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|at| at.saturating_sub(now))
    }
}
