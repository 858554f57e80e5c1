//! `[profiles.NAME.response]`: where the token, its type, its expiry and
//! the error words are in the reply, with the defaults of each flavour.

use super::{Result, check_pointer, one_of, parse_duration};
use crate::config::model::{DEFAULT_ERROR_PATHS, Endpoint, ReplyFormat, ResponseMap};
use crate::config::raw::RawResponse;

pub(super) fn map(name: &str, raw: RawResponse, endpoint: &Endpoint) -> Result<ResponseMap> {
    let oauth2 = matches!(endpoint, Endpoint::OAuth2(_));
    let ptr = |key: &str, value: Option<String>, default: Option<&str>| -> Result<Option<String>> {
        value
            .or(default.map(str::to_string))
            .map(|v| check_pointer(name, key, &v))
            .transpose()
    };
    let expiry_ms = match raw.expiry_unit.as_deref() {
        Some(v) => one_of(
            name,
            "response.expiry_unit",
            v,
            &[("s", false), ("ms", true)],
        )?,
        None => false,
    };
    let format = match raw.format.as_deref() {
        Some(v) => one_of(
            name,
            "response.format",
            v,
            &[
                ("json", ReplyFormat::Json),
                ("text", ReplyFormat::Text),
                ("form", ReplyFormat::Form),
            ],
        )?,
        None => ReplyFormat::Json,
    };
    // A plain-text body is the token itself.
    let token_default = if format == ReplyFormat::Text {
        ""
    } else {
        "/access_token"
    };
    let mut extra = Vec::new();
    for (key, path) in raw.extra.clone().unwrap_or_default() {
        let shell_name = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !shell_name {
            return Err(super::bad(
                name,
                format!(
                    "response.extra `{key}` is not a variable name (letters, digits and _, as in INSTANCE_URL)"
                ),
            ));
        }
        extra.push((
            key.clone(),
            check_pointer(name, &format!("extra.{key}"), &path)?,
        ));
    }
    let lifetime = raw
        .lifetime
        .as_deref()
        .map(|v| parse_duration(name, "response.lifetime", v))
        .transpose()?;
    Ok(ResponseMap {
        token: ptr("token", raw.token, Some(token_default))?.unwrap_or_default(),
        token_type: ptr("token_type", raw.token_type, Some("/token_type"))?,
        expires_in: ptr("expires_in", raw.expires_in, Some("/expires_in"))?,
        expires_at: ptr("expires_at", raw.expires_at, None)?,
        lifetime,
        refresh_token: ptr(
            "refresh_token",
            raw.refresh_token,
            oauth2.then_some("/refresh_token"),
        )?,
        scope: ptr("scope", raw.scope, Some("/scope"))?,
        success: ptr("success", raw.success, None)?,
        error: match raw.error {
            Some(list) => list
                .into_vec()
                .into_iter()
                .map(|p| check_pointer(name, "error", &p))
                .collect::<Result<_>>()?,
            None => DEFAULT_ERROR_PATHS.iter().map(|s| s.to_string()).collect(),
        },
        expiry_ms,
        format,
        refusal: ptr("refusal", raw.refusal, None)?,
        extra,
    })
}
