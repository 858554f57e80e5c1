//! The cached form of a token: a versioned JSON record holding the token,
//! its expiry and refresh token, and the fingerprint of the profile that
//! fetched it. Pure: encoding, decoding, freshness.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::protocol::token::Token;
use crate::secrets::Secret;

/// Bumped whenever the record's meaning changes; other versions are
/// ignored (and replaced on the next fetch).
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Record {
    v: u32,
    fingerprint: String,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_type: Option<String>,
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// The salted digest of the credentials the token was fetched with
    /// (`secrets::identity`); absent when the profile has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credentials: Option<String>,
    /// The reply fields the profile maps (`response.extra`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    extra: Vec<(String, String)>,
    /// The reply's OpenID Connect ID token; absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// The thumbprint of the DPoP key the token is bound to; absent for
    /// tokens bound to none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<String>,
}

/// A record read back: the token, and the digest of the credentials it
/// was fetched with, for the caller to compare.
pub struct Decoded {
    pub token: Token,
    pub credentials: Option<String>,
}

/// The record for `token`, or `None` when it cannot be cached (no known
/// expiry). `credentials`: the sealed digest of its credentials, if any.
pub fn encode(token: &Token, fingerprint: &str, credentials: Option<String>) -> Option<String> {
    let record = Record {
        v: VERSION,
        fingerprint: fingerprint.to_string(),
        access_token: token.access_token.expose().to_string(),
        token_type: token.token_type.clone(),
        expires_at: token.expires_at?,
        refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_string()),
        scope: token.scope.clone(),
        credentials,
        extra: token.extra.clone(),
        id_token: token.id_token.as_ref().map(|s| s.expose().to_string()),
        dpop_jkt: token.dpop_jkt.clone(),
    };
    serde_json::to_string(&record).ok()
}

/// The token in `text` when it is a current-version record written for the
/// same profile settings; anything else is `None`.
pub fn decode(text: &str, fingerprint: &str) -> Option<Decoded> {
    let record: Record = serde_json::from_str(text).ok()?;
    // Years beyond any token's life mean a damaged record.
    let plausible = 0..=4_102_444_800; // 2100-01-01
    if record.v != VERSION
        || record.fingerprint != fingerprint
        || record.access_token.is_empty()
        || !plausible.contains(&record.expires_at)
    {
        return None;
    }
    let token = Token {
        dpop_jkt: record.dpop_jkt,
        access_token: Secret::new(record.access_token),
        token_type: record.token_type,
        expires_at: Some(record.expires_at),
        refresh_token: record
            .refresh_token
            .filter(|r| !r.is_empty())
            .map(Secret::new),
        scope: record.scope,
        extra: record.extra,
        id_token: record
            .id_token
            .filter(|t| crate::protocol::token::printable_token(t))
            .map(Secret::new),
    };
    // Checked again as a reply is: an altered record must not put a line
    // break in a header or drive the terminal.
    let extra_ok = token.extra.iter().all(|(_, v)| {
        !v.chars()
            .any(|c| c == '\r' || c == '\n' || crate::util::text::is_unsafe_char(c))
    });
    (token.is_printable() && extra_ok).then_some(Decoded {
        token,
        credentials: record.credentials,
    })
}

/// Whether `token` has at least `min_ttl` left at `now`.
pub fn is_fresh(token: &Token, now: i64, min_ttl: Duration) -> bool {
    let min = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
    token
        .seconds_left(now)
        .is_some_and(|left| left >= min && left > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token of a record, as the cache serves it.
    fn decode(text: &str, fingerprint: &str) -> Option<Token> {
        super::decode(text, fingerprint).map(|d| d.token)
    }

    fn encode(token: &Token, fingerprint: &str) -> Option<String> {
        super::encode(token, fingerprint, None)
    }

    #[test]
    fn credentials_round_trip_and_are_left_out_when_none() {
        let t = Token {
            dpop_jkt: None,
            access_token: Secret::new("a"),
            token_type: None,
            expires_at: Some(100),
            refresh_token: None,
            scope: None,
            extra: vec![],
            id_token: None,
        };
        let with = super::encode(&t, "fp", Some("salt:sum".into())).unwrap();
        assert_eq!(
            super::decode(&with, "fp").unwrap().credentials.as_deref(),
            Some("salt:sum")
        );
        let without = super::encode(&t, "fp", None).unwrap();
        assert!(!without.contains("credentials"), "{without}");
        assert_eq!(super::decode(&without, "fp").unwrap().credentials, None);
    }

    fn token(expires_at: Option<i64>) -> Token {
        Token {
            dpop_jkt: None,
            access_token: Secret::new("at"),
            token_type: Some("bearer".into()),
            expires_at,
            refresh_token: Some(Secret::new("rt")),
            scope: Some("read".into()),
            extra: vec![],
            id_token: None,
        }
    }

    #[test]
    fn round_trips_for_the_same_fingerprint_only() {
        let text = encode(&token(Some(100)), "fp1").unwrap();
        assert_eq!(decode(&text, "fp1"), Some(token(Some(100))));
        assert_eq!(decode(&text, "fp2"), None);
    }

    #[test]
    fn no_expiry_is_not_cached() {
        assert_eq!(encode(&token(None), "fp"), None);
    }

    #[test]
    fn corrupt_or_other_versions_are_ignored() {
        assert_eq!(decode("", "fp"), None);
        assert_eq!(decode("{not json", "fp"), None);
        assert_eq!(
            decode(
                r#"{"v":0,"fingerprint":"fp","access_token":"a","expires_at":1}"#,
                "fp"
            ),
            None
        );
        assert_eq!(
            decode(
                r#"{"v":1,"fingerprint":"fp","access_token":"","expires_at":1}"#,
                "fp"
            ),
            None
        );
        assert_eq!(
            decode(
                r#"{"v":1,"fingerprint":"fp","access_token":7,"expires_at":1}"#,
                "fp"
            ),
            None
        );
    }

    #[test]
    fn implausible_expiry_is_a_damaged_record() {
        let extreme =
            r#"{"v":1,"fingerprint":"fp","access_token":"a","expires_at":-9223372036854775808}"#;
        assert_eq!(decode(extreme, "fp"), None);
        let far =
            r#"{"v":1,"fingerprint":"fp","access_token":"a","expires_at":9223372036854775807}"#;
        assert_eq!(decode(far, "fp"), None);
    }

    #[test]
    fn a_record_that_could_not_be_printed_is_damaged() {
        for (key, value) in [
            ("token_type", r#""Bearer\r\nX-Injected: 1""#),
            ("token_type", r#""Bearer x""#),
            ("access_token", r#""at\r\nX-Injected: 1""#),
            ("access_token", r#""at\u202e""#),
            ("access_token", r#""a t""#),
        ] {
            let mut record: serde_json::Value =
                serde_json::from_str(&encode(&token(Some(100)), "fp").unwrap()).unwrap();
            record[key] = serde_json::from_str(value).unwrap();
            assert_eq!(decode(&record.to_string(), "fp"), None, "{key} = {value}");
        }
    }

    #[test]
    fn freshness_honours_min_ttl() {
        let t = token(Some(1000));
        assert!(is_fresh(&t, 900, Duration::from_secs(60)));
        assert!(!is_fresh(&t, 950, Duration::from_secs(60)));
        assert!(is_fresh(&t, 950, Duration::ZERO));
        assert!(!is_fresh(&t, 1000, Duration::ZERO));
        assert!(!is_fresh(&token(None), 0, Duration::ZERO));
    }
}
