//! Reading a token endpoint's reply into a token, for every grant: the
//! reply's secrets registered for redaction before `--verbose` shows it,
//! and the endpoint's wish to be left alone said in the error.

use crate::config::Profile;
use crate::error::{Failure, Kind};
use crate::http::Reply;
use crate::protocol::response::map_reply;
use crate::protocol::token::Token;
use crate::secrets::redact;
use crate::util::clock::now;

/// Reads a reply into a token. Its secrets are registered for redaction
/// before the reply is shown by `--verbose`.
pub fn answer(profile: &Profile, reply: &Reply) -> Result<Token, Failure> {
    let mapped = map_reply(reply.status, &reply.body, &profile.response, now());
    match &mapped {
        Ok(token) => remember(token),
        // The message hides the text at the token's place: `-v` must too.
        Err(_) => hide_token_text(reply, &profile.response.token),
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

/// Registers the string at the token's place of a refused reply, which
/// may be a token all the same, so that no log shows it.
fn hide_token_text(reply: &Reply, pointer: &str) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
        return;
    };
    if let Some(text) = json.pointer(pointer).and_then(serde_json::Value::as_str) {
        redact::register(&crate::secrets::Secret::new(text.trim().to_string()));
    }
}

/// Shows a reply's body with `--verbose`, secrets redacted.
pub fn log_reply(reply: &Reply) {
    if !crate::log::verbose() {
        return;
    }
    let text = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(json) => redact::json_for_log(&json),
        // Scrubbed before the cut, which leaves no secret's beginning.
        Err(_) => redact::cut(&String::from_utf8_lossy(&reply.body), 300),
    };
    crate::log::debug_line(format!("<   body: {text}"));
}
