//! What `gettoken list` prints: a table for people, or with `--json` an
//! array of objects with stable field names (docs/CONFIG.md). Pure: the
//! caller reads the profiles and the caches.

use std::time::Duration;

use serde_json::{Value, json};

use crate::util::duration;

/// One profile as `list` sees it.
pub struct Listed {
    pub profile: String,
    /// `oauth2`, `http`, or `None` when the file does not say.
    pub flavour: Option<String>,
    pub state: ListState,
}

/// A profile's cache state.
pub enum ListState {
    /// The profile does not resolve: why.
    Invalid(String),
    /// `cache = "none"`.
    Off,
    /// Kept in `cache` (`keyring`, `file`): what is there.
    Cached { cache: String, token: Cached },
}

/// What a store holds for a profile.
pub enum Cached {
    None,
    /// Fresh: its expiry (UNIX seconds) and the seconds left, when known.
    Valid {
        expires_at: Option<i64>,
        left: Option<i64>,
    },
    Expired {
        expires_at: Option<i64>,
        refresh_token: bool,
    },
}

/// The table `gettoken list` prints.
pub fn table(rows: &[Listed]) -> String {
    let mut lines = vec![[
        "PROFILE".to_string(),
        "FLAVOUR".into(),
        "CACHE".into(),
        "STATE".into(),
    ]];
    for row in rows {
        let (cache, state) = match &row.state {
            ListState::Invalid(why) => ("-".to_string(), format!("invalid: {why}")),
            ListState::Off => ("none".to_string(), "not cached".to_string()),
            ListState::Cached { cache, token } => {
                let state = match token {
                    Cached::None => "none".to_string(),
                    Cached::Valid { left, .. } => format!(
                        "valid for {}",
                        duration::human(Duration::from_secs(left.unwrap_or(0).max(0) as u64))
                    ),
                    Cached::Expired {
                        refresh_token: true,
                        ..
                    } => "expired (refresh token kept)".to_string(),
                    Cached::Expired { .. } => "expired".to_string(),
                };
                (cache.clone(), state)
            }
        };
        lines.push([
            row.profile.clone(),
            row.flavour.clone().unwrap_or_else(|| "?".into()),
            cache,
            state,
        ]);
    }
    super::table(&lines)
}

/// `gettoken list --json`: one object per profile, in the file's order:
/// `profile`, `flavour`, `cache` (`keyring`, `file`, `none`; null for an
/// invalid profile), `state` (`valid`, `expired`, `none`, `off`,
/// `invalid`), `expires_at` (RFC 3339 or null), `expires_in` (seconds or
/// null), `refresh_token` (whether one is kept), `error` (why a profile is
/// invalid, else null).
pub fn json(rows: &[Listed]) -> String {
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            let (cache, state, expires_at, left, refresh, error) = match &row.state {
                ListState::Invalid(why) => (None, "invalid", None, None, false, Some(why.clone())),
                ListState::Off => (Some("none".to_string()), "off", None, None, false, None),
                ListState::Cached { cache, token } => match token {
                    Cached::None => (Some(cache.clone()), "none", None, None, false, None),
                    Cached::Valid { expires_at, left } => (
                        Some(cache.clone()),
                        "valid",
                        *expires_at,
                        left.map(|l| l.max(0)),
                        false,
                        None,
                    ),
                    Cached::Expired {
                        expires_at,
                        refresh_token,
                    } => (
                        Some(cache.clone()),
                        "expired",
                        *expires_at,
                        Some(0),
                        *refresh_token,
                        None,
                    ),
                },
            };
            json!({
                "profile": row.profile,
                "flavour": row.flavour,
                "cache": cache,
                "state": state,
                "expires_at": super::rfc3339(expires_at),
                "expires_in": left,
                "refresh_token": refresh,
                "error": error,
            })
        })
        .collect();
    Value::Array(items).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Listed> {
        vec![
            Listed {
                profile: "a".into(),
                flavour: Some("oauth2".into()),
                state: ListState::Cached {
                    cache: "keyring".into(),
                    token: Cached::Valid {
                        expires_at: Some(1_700_000_000),
                        left: Some(90),
                    },
                },
            },
            Listed {
                profile: "b".into(),
                flavour: None,
                state: ListState::Invalid("no token_url".into()),
            },
            Listed {
                profile: "c".into(),
                flavour: Some("http".into()),
                state: ListState::Off,
            },
        ]
    }

    #[test]
    fn the_table_is_as_before() {
        let text = table(&rows());
        assert!(
            text.contains("a        oauth2   keyring  valid for 1m 30s"),
            "{text}"
        );
        assert!(
            text.contains("b        ?        -        invalid: no token_url"),
            "{text}"
        );
        assert!(
            text.contains("c        http     none     not cached"),
            "{text}"
        );
    }

    #[test]
    fn the_json_has_its_stable_fields() {
        let v: Value = serde_json::from_str(&json(&rows())).unwrap();
        assert_eq!(v[0]["profile"], "a");
        assert_eq!(v[0]["state"], "valid");
        assert_eq!(v[0]["cache"], "keyring");
        assert_eq!(v[0]["expires_in"], 90);
        assert_eq!(v[0]["expires_at"], "2023-11-14T22:13:20Z");
        assert_eq!(v[0]["refresh_token"], false);
        assert_eq!(v[1]["state"], "invalid");
        assert_eq!(v[1]["cache"], Value::Null);
        assert_eq!(v[1]["error"], "no token_url");
        assert_eq!(v[2]["state"], "off");
        assert_eq!(v[2]["cache"], "none");
    }
}
