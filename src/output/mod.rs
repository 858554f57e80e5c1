//! What `gettoken PROFILE` prints: the token, a header line, JSON, a
//! kubectl ExecCredential or a shell `export` line; and tables.

pub mod list;
mod show;

pub use show::{CacheState, Shown, show, show_json};

use serde_json::json;

use crate::config::{Format, Profile};
use crate::protocol::token::Token;

/// The scheme before the token in a header: the profile's `scheme` (which
/// may be empty), else the reply's `token_type` in its usual spelling,
/// else `Bearer`.
pub fn scheme(profile: &Profile, token: &Token) -> String {
    if let Some(s) = &profile.scheme {
        return s.clone();
    }
    match token.token_type.as_deref().map(str::trim) {
        None | Some("") => "Bearer".into(),
        Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".into(),
        Some(t) if t.eq_ignore_ascii_case("dpop") => "DPoP".into(),
        Some(t) if t.eq_ignore_ascii_case("mac") => "MAC".into(),
        Some(t) => t.to_string(),
    }
}

/// `Authorization: Bearer <token>`, or `Name: <token>` with an empty scheme.
pub fn header_line(profile: &Profile, token: &Token) -> String {
    let scheme = scheme(profile, token);
    let value = token.access_token.expose();
    if scheme.is_empty() {
        format!("{}: {value}", profile.header)
    } else {
        format!("{}: {scheme} {value}", profile.header)
    }
}

/// The variable `--format env` and `gettoken exec` put the token in when
/// no `--env NAME` is given.
pub const DEFAULT_ENV: &str = "GETTOKEN_TOKEN";

/// The text to print (without the final newline). [`Format::Env`] names
/// [`DEFAULT_ENV`]; [`export_line`] takes another name.
pub fn render(profile: &Profile, token: &Token, format: Format, now: i64) -> String {
    match format {
        Format::Token => token.access_token.expose().to_string(),
        Format::Header => header_line(profile, token),
        Format::Json => json!({
            "access_token": token.access_token.expose(),
            "token_type": scheme(profile, token),
            "expires_at": rfc3339(token.expires_at),
            "expires_in": token.seconds_left(now).map(|s| s.max(0)),
            "scope": token.scope,
        })
        .to_string(),
        Format::ExecCredential => exec_credential(token),
        Format::Env => export_line(DEFAULT_ENV, token.access_token.expose()),
    }
}

/// UNIX seconds as an RFC 3339 time in UTC (`2025-01-02T03:04:05Z`).
pub fn rfc3339(at: Option<i64>) -> Option<String> {
    at.and_then(|at| jiff::Timestamp::from_second(at).ok())
        .map(|ts| ts.to_string())
}

/// The `client.authentication.k8s.io/v1` ExecCredential kubectl reads from
/// a credential plugin: `status.token`, and `status.expirationTimestamp`
/// when the expiry is known (kubectl reuses the token until then; without
/// one, until the API server refuses it).
pub fn exec_credential(token: &Token) -> String {
    let mut status = json!({ "token": token.access_token.expose() });
    if let Some(at) = rfc3339(token.expires_at) {
        status["expirationTimestamp"] = at.into();
    }
    json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": status,
    })
    .to_string()
}

/// `export NAME='value'`: the value single-quoted, so a shell takes it
/// literally whatever it holds. `name` is checked by the command line.
pub fn export_line(name: &str, value: &str) -> String {
    format!("export {name}={}", shell_quote(value))
}

/// `value` in single quotes for a POSIX shell (`'` written as `'\''`).
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Rows as aligned columns (two spaces apart), no trailing blanks.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests;
