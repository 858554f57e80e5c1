//! Reading a token endpoint's reply into a token, for every grant: the
//! reply's secrets registered for redaction before `--verbose` shows it,
//! and the endpoint's wish to be left alone said in the error.

use crate::config::Profile;
use crate::error::{Failure, Kind};
use crate::http::Reply;
use crate::protocol::response::map_typed_reply;
use crate::protocol::token::Token;
use crate::secrets::redact;

/// Reads a reply into a token; `now` (UNIX seconds) dates its expiry. Its
/// secrets are registered for redaction before the reply is shown by
/// `--verbose`.
pub fn answer(profile: &Profile, reply: &Reply, now: i64) -> Result<Token, Failure> {
    let mapped = map_typed_reply(
        reply.status,
        reply.content_type.as_deref(),
        &reply.headers,
        &reply.body,
        &profile.response,
        now,
    );
    match &mapped {
        Ok(token) => remember(token),
        // The message hides the text at the token's place: `-v` must too.
        Err(_) => hide_token_text(reply, &profile.response.token),
    }
    log_reply(reply, mapped.is_ok());
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
    if let Some(id) = &token.id_token {
        redact::register(id);
    }
}

/// Registers the string at the token's place of a refused reply, which
/// may be a token all the same, so that no log shows it.
fn hide_token_text(reply: &Reply, pointer: &str) {
    if let Some(name) = pointer.strip_prefix(crate::config::HEADER_PATH) {
        for (n, v) in &reply.headers {
            if n.eq_ignore_ascii_case(name.trim()) {
                redact::register(&crate::secrets::Secret::new(v.trim().to_string()));
            }
        }
        return;
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
        return;
    };
    if let Some(text) = json.pointer(pointer).and_then(serde_json::Value::as_str) {
        redact::register(&crate::secrets::Secret::new(text.trim().to_string()));
    }
}

/// Shows a reply's body with `--verbose`, secrets redacted and what would
/// drive the terminal escaped. A 2xx body that was not `understood` (gave
/// no token, or not the answer expected) is not quoted:
/// it may hold the token where the profile does not look, which no
/// redaction knows. Its JSON is shown with every string replaced by its
/// length; anything else by its length alone.
pub fn log_reply(reply: &Reply, understood: bool) {
    if !crate::log::verbose() {
        return;
    }
    let success = (200..300).contains(&reply.status);
    let text = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(json) if !success || understood => redact::json_for_log(&json),
        Ok(mut json) => {
            hide_strings(&mut json);
            format!("{json} (strings not shown: the reply gave no token)")
        }
        // Scrubbed before the cut, which leaves no secret's beginning.
        Err(_) if !success => redact::cut(&String::from_utf8_lossy(&reply.body), 300),
        _ => format!(
            "({} bytes, not shown: a reply that gave no token may be the token itself)",
            reply.body.len()
        ),
    };
    crate::log::debug_line(format!(
        "<   body: {}",
        crate::util::text::escape_for_terminal(&text)
    ));
}

/// Every string in `v` (keys kept) replaced by its length in characters.
fn hide_strings(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => *v = Value::String(format!("({} characters)", s.chars().count())),
        Value::Array(items) => items.iter_mut().for_each(hide_strings),
        Value::Object(map) => map.values_mut().for_each(hide_strings),
        _ => {}
    }
}
