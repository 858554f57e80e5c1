//! A token as gettoken keeps and prints it.

use crate::secrets::Secret;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_tokens() {
        let token = Token {
            access_token: Secret::new("at-value-1"),
            token_type: Some("Bearer".into()),
            expires_at: Some(1),
            refresh_token: Some(Secret::new("rt-value-2")),
            scope: Some("read".into()),
        };
        for shown in [format!("{token:?}"), format!("{token:#?}")] {
            assert!(!shown.contains("value-"), "{shown}");
            assert!(
                shown.contains("Bearer") && shown.contains("read"),
                "{shown}"
            );
        }
    }
}
