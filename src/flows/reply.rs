//! Reading a token endpoint's reply into a token, for every grant: the
//! reply's secrets registered for redaction before `--verbose` shows it,
//! and the endpoint's wish to be left alone said in the error.

use crate::config::Profile;
use crate::error::{Failure, Kind};
use crate::http::Reply;
use crate::protocol::response::map_reply;
use crate::protocol::token::Token;
use crate::secrets::redact;

/// Reads a reply into a token; `now` (UNIX seconds) dates its expiry. Its
/// secrets are registered for redaction before the reply is shown by
/// `--verbose`.
pub fn answer(profile: &Profile, reply: &Reply, now: i64) -> Result<Token, Failure> {
    let mapped = map_reply(reply.status, &reply.body, &profile.response, now);
    if let Ok(token) = &mapped {
        remember(token);
    }
    log_reply(reply);
    mapped.map_err(|f| match reply.retry_after {
        // Say when it is worth trying again, as the endpoint asked.
        Some(wait) if f.kind == Kind::Unreachable && !wait.is_zero() => Failure {
            message: format!(
                "{}; the endpoint asks to wait {} before trying again",
                f.message,
                crate::util::duration::human(wait)
            ),
            ..f
        },
        _ => f,
    })
}

/// Registers a token's secrets for redaction.
pub fn remember(token: &Token) {
    redact::register(&token.access_token);
    if let Some(r) = &token.refresh_token {
        redact::register(r);
    }
}

/// Shows a reply's body with `--verbose`, secrets redacted.
pub fn log_reply(reply: &Reply) {
    if !crate::log::verbose() {
        return;
    }
    let text = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(json) => redact::json_for_log(&json),
        Err(_) => {
            let lossy = String::from_utf8_lossy(&reply.body);
            let cut: String = lossy.chars().take(300).collect();
            redact::scrub(&cut)
        }
    };
    crate::log::debug_line(format!("<   body: {text}"));
}
