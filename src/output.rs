//! What `gettoken PROFILE` prints: the token, a header line, or JSON.

use serde_json::json;

use crate::config::{Format, Profile};
use crate::token::Token;

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

/// The text to print (without the final newline).
pub fn render(profile: &Profile, token: &Token, format: Format, now: i64) -> String {
    match format {
        Format::Token => token.access_token.expose().to_string(),
        Format::Header => header_line(profile, token),
        Format::Json => {
            let expires_at = token
                .expires_at
                .and_then(|at| jiff::Timestamp::from_second(at).ok())
                .map(|ts| ts.to_string());
            json!({
                "access_token": token.access_token.expose(),
                "token_type": scheme(profile, token),
                "expires_at": expires_at,
                "expires_in": token.seconds_left(now).map(|s| s.max(0)),
                "scope": token.scope,
            })
            .to_string()
        }
    }
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
