//! What `gettoken PROFILE` prints: the token, a header line, JSON, a
//! kubectl ExecCredential or a shell `export` line; and tables.

pub mod list;
mod show;

pub use show::{CacheState, Shown, show, show_json};

use serde_json::json;

use crate::config::{Format, Profile};
use crate::protocol::exec_info;
use crate::protocol::token::Token;

/// The scheme before the token in a header: the profile's `scheme` (which
/// may be empty), else the reply's `token_type` in its usual spelling,
/// else `Bearer`.
pub fn scheme(profile: &Profile, token: &Token) -> String {
    if let Some(s) = &profile.scheme {
        return s.clone();
    }
    // Only a scheme a token is sent with; a cached record from before
    // that rule may hold another.
    token
        .token_type
        .as_deref()
        .and_then(crate::protocol::token::token_scheme)
        .unwrap_or("Bearer")
        .to_string()
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
        Format::Json => {
            let mut shown = json!({
                "access_token": token.access_token.expose(),
                "token_type": scheme(profile, token),
                "expires_at": rfc3339(token.expires_at),
                "expires_in": token.seconds_left(now).map(|s| s.max(0)),
                "scope": token.scope,
            });
            // The profile's `response.extra`, only when it maps some.
            if !token.extra.is_empty() {
                shown["extra"] = token
                    .extra
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            shown.to_string()
        }
        Format::ExecCredential => exec_credential(token, exec_info::API_VERSIONS[0]),
        Format::Env => env_lines(DEFAULT_ENV, token),
    }
}

/// UNIX seconds as an RFC 3339 time in UTC (`2025-01-02T03:04:05Z`).
pub fn rfc3339(at: Option<i64>) -> Option<String> {
    at.and_then(|at| jiff::Timestamp::from_second(at).ok())
        .map(|ts| ts.to_string())
}

/// The ExecCredential of `api_version` (`client.authentication.k8s.io/v1`
/// or `/v1beta1`: the one kubectl asked for) that kubectl reads from a
/// credential plugin: `status.token`, and `status.expirationTimestamp`
/// when the expiry is known (kubectl reuses the token until then; without
/// one, until the API server refuses it).
pub fn exec_credential(token: &Token, api_version: &str) -> String {
    let mut status = json!({ "token": token.access_token.expose() });
    if let Some(at) = rfc3339(token.expires_at) {
        status["expirationTimestamp"] = at.into();
    }
    json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "status": status,
    })
    .to_string()
}

/// The token's `export` line under `name`, then one for each of the
/// profile's `response.extra` fields under its own name.
pub fn env_lines(name: &str, token: &Token) -> String {
    let mut lines = vec![export_line(name, token.access_token.expose())];
    for (key, value) in &token.extra {
        lines.push(export_line(key, value));
    }
    lines.join("\n")
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
