//! A token as gettoken keeps and prints it, and what it must be to be
//! printed.

use crate::secrets::Secret;
use crate::util::text::{is_http_token, is_unsafe_char};

/// An access token and what is known about it. Times are UNIX seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub access_token: Secret,
    pub token_type: Option<String>,
    pub expires_at: Option<i64>,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
    /// Reply fields the profile maps (`response.extra`): name, value.
    pub extra: Vec<(String, String)>,
    /// The OpenID Connect ID token of the reply (a JWT), when it had one.
    pub id_token: Option<Secret>,
    /// The thumbprint (RFC 7638) of the DPoP key the token is bound to,
    /// when the endpoint bound it (`token_type` DPoP).
    pub dpop_jkt: Option<String>,
}

/// The usual spelling of a token type that is an HTTP auth scheme a token
/// is sent with; `None` for any other (`N_A`, `user`, `Basic`).
pub fn token_scheme(token_type: &str) -> Option<&'static str> {
    const SCHEMES: [&str; 5] = ["Bearer", "DPoP", "MAC", "PoP", "GNAP"];
    SCHEMES
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(token_type.trim()))
}

/// Whether `token` may be printed: no space (a word of its own in a
/// header), no control character (a CR/LF would add a header), no
/// invisible or bidi formatting character (it would hide or reorder what
/// the terminal shows).
pub fn printable_token(token: &str) -> bool {
    !token.is_empty()
        && !token
            .chars()
            .any(|c| c.is_whitespace() || is_unsafe_char(c))
}

impl Token {
    /// Whether the token and its type may go into a header line as they
    /// are: checked on every reply, and again on a cached record (which
    /// may have been altered).
    pub fn is_printable(&self) -> bool {
        printable_token(self.access_token.expose())
            && self.token_type.as_deref().is_none_or(is_http_token)
    }

    /// The ID token's expiry, its `exp`; `None` without an ID token or
    /// without a readable `exp`.
    pub fn id_token_expiry(&self) -> Option<i64> {
        self.id_token
            .as_ref()
            .and_then(|t| super::jwt::expiry(t.expose()))
    }

    /// The ID token as the token to print (`id_token = true`,
    /// `--id-token`): its expiry its `exp`, sent as `Bearer`, the reply's
    /// extra fields kept; `None` when the reply carried none.
    pub fn as_id_token(&self) -> Option<Token> {
        let id = self.id_token.clone()?;
        Some(Token {
            dpop_jkt: None,
            expires_at: self.id_token_expiry(),
            access_token: id,
            token_type: None,
            refresh_token: None,
            scope: self.scope.clone(),
            extra: self.extra.clone(),
            id_token: None,
        })
    }

    /// Seconds left at `now`; `None` when the expiry is unknown.
    pub fn seconds_left(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|at| at.saturating_sub(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_tokens_and_types() {
        let token = |at: &str, tt: Option<&str>| Token {
            dpop_jkt: None,
            access_token: Secret::new(at),
            token_type: tt.map(str::to_string),
            expires_at: None,
            refresh_token: None,
            scope: None,
            extra: vec![],
            id_token: None,
        };
        assert!(token("abc.def-_~+/=", Some("Bearer")).is_printable());
        assert!(token("abc", None).is_printable());
        for bad in [
            "a b",
            "a\r\nX: 1",
            "a\u{7f}",
            "a\u{85}",
            "a\u{202E}",
            "\u{FEFF}a",
            "a\u{200B}",
            "",
        ] {
            assert!(!token(bad, None).is_printable(), "{bad:?}");
        }
        for bad in ["Bearer x", "Bearer\r\nX: 1", "a:b", ""] {
            assert!(!token("abc", Some(bad)).is_printable(), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_tokens() {
        let token = Token {
            dpop_jkt: None,
            access_token: Secret::new("at-value-1"),
            token_type: Some("Bearer".into()),
            expires_at: Some(1),
            refresh_token: Some(Secret::new("rt-value-2")),
            scope: Some("read".into()),
            extra: vec![],
            id_token: None,
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
