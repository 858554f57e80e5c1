//! The profile as written, merged with `[defaults]`, turned into a
//! [`Profile`]: every value checked, defaults filled in, the keys of each
//! flavour sorted out. Pure: no I/O, secrets stay references.

mod http;
mod oauth2;
mod redirect;
mod response;

use std::time::Duration;

use reqwest::Url;

use super::fingerprint::fingerprint_and_credentials;
use super::model::{
    CacheKind, ClientAuth, DEFAULT_DOCKER_USERNAME, DEFAULT_GIT_USERNAME, Endpoint, Format, Profile,
};
use super::raw::RawProfile;
use super::urls::check_transport;
use crate::error::Failure;
use crate::secrets::Text;
use crate::util::duration;
use crate::util::fs::expand_home;

pub(super) type Result<T> = std::result::Result<T, Failure>;

pub(super) fn bad(name: &str, msg: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("profile `{name}`: {msg}"))
}

pub(super) fn one_of<T: Copy>(
    name: &str,
    key: &str,
    value: &str,
    choices: &[(&str, T)],
) -> Result<T> {
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            bad(
                name,
                format!(
                    "`{key}` is \"{value}\"; it must be one of {}",
                    names.join(", ")
                ),
            )
        })
}

pub(super) fn parse_duration(name: &str, key: &str, value: &str) -> Result<Duration> {
    duration::parse(value).map_err(|e| bad(name, format!("`{key}`: {e}")))
}

pub(in crate::config) fn parse_url(
    name: &str,
    key: &str,
    value: &str,
    insecure_http: bool,
) -> Result<Url> {
    let url = Url::parse(value).map_err(|e| bad(name, format!("`{key}` is not a URL: {e}")))?;
    check_transport(&url, insecure_http).map_err(|e| bad(name, format!("`{key}`: {e}")))?;
    if url.fragment().is_some() {
        // Never sent; a query added after it (`body = "query"`) would be lost.
        return Err(bad(
            name,
            format!("`{key}` has a fragment (`#...`), which is never sent: remove it"),
        ));
    }
    Ok(url)
}

pub(super) fn check_pointer(name: &str, key: &str, value: &str) -> Result<String> {
    if let Some(header) = value.strip_prefix(super::model::HEADER_PATH) {
        // A reply header, by name.
        return if reqwest::header::HeaderName::from_bytes(header.trim().as_bytes()).is_ok() {
            Ok(value.to_string())
        } else {
            Err(bad(
                name,
                format!("response `{key}` = \"{value}\": \"{header}\" is not a header name"),
            ))
        };
    }
    if value.is_empty() || value.starts_with('/') {
        Ok(value.to_string())
    } else {
        Err(bad(
            name,
            format!("response `{key}` = \"{value}\" is not a JSON Pointer: write \"/{value}\""),
        ))
    }
}

impl Profile {
    /// Validates `raw` (already merged with `[defaults]`).
    pub fn resolve(name: &str, raw: RawProfile) -> Result<Profile> {
        let flavour = raw.flavour.clone().ok_or_else(|| {
            bad(
                name,
                "no `flavour`: add flavour = \"oauth2\" or flavour = \"http\"",
            )
        })?;
        let insecure_http = raw.insecure_http.unwrap_or(false);
        let mut addresses = Vec::new();
        let endpoint = match flavour.as_str() {
            "oauth2" => {
                refuse_keys(name, &raw, "oauth2", "http")?;
                Endpoint::OAuth2(Box::new(oauth2::endpoint(
                    name,
                    &raw,
                    insecure_http,
                    &mut addresses,
                )?))
            }
            "http" => {
                refuse_keys(name, &raw, "http", "oauth2")?;
                Endpoint::Http(http::endpoint(name, &raw, insecure_http, &mut addresses)?)
            }
            "jwt" => {
                refuse_keys(name, &raw, "jwt", "oauth2\" or \"http")?;
                jwt_endpoint(name, &raw)?
            }
            other => {
                return Err(bad(
                    name,
                    format!("unknown flavour \"{other}\": use \"oauth2\", \"http\" or \"jwt\""),
                ));
            }
        };
        let response = response::map(name, raw.response.clone().unwrap_or_default(), &endpoint)?;

        let output = raw.output.as_ref().map_or(Format::Token, |v| v.value);
        let cache = raw.cache.as_ref().map_or(CacheKind::Keyring, |v| v.value);
        if let Some(s) = raw.scheme.as_deref().filter(|s| !s.is_empty())
            && !crate::util::text::is_http_token(s)
        {
            return Err(bad(
                name,
                format!(
                    "`scheme` \"{}\" is not an HTTP auth scheme (letters, digits and !#$%&'*+-.^_`|~ only, as in \"Bearer\"), or \"\" for none",
                    crate::util::text::escape_for_terminal(s)
                ),
            ));
        }
        let header = raw.header.clone().unwrap_or_else(|| "Authorization".into());
        if header.is_empty() || reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return Err(bad(
                name,
                format!("`header` \"{header}\" is not a valid header name"),
            ));
        }
        let headers: Vec<(String, Text)> = raw
            .headers
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        for (h, _) in &headers {
            if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(bad(
                    name,
                    format!("`headers`: \"{h}\" is not a valid header name"),
                ));
            }
        }
        let git_username = raw
            .git_username
            .clone()
            .unwrap_or_else(|| DEFAULT_GIT_USERNAME.into());
        if git_username.is_empty() || git_username.chars().any(char::is_control) {
            return Err(bad(name, "`git_username` must be a non-empty line of text"));
        }
        let docker_username = raw
            .docker_username
            .clone()
            .unwrap_or_else(|| DEFAULT_DOCKER_USERNAME.into());
        if docker_username.is_empty() || docker_username.chars().any(char::is_control) {
            return Err(bad(
                name,
                "`docker_username` must be a non-empty line of text",
            ));
        }
        let timeout = parse_duration(name, "timeout", raw.timeout.as_deref().unwrap_or("30s"))?;
        if timeout.is_zero() {
            return Err(bad(name, "`timeout` must be more than 0s"));
        }
        let client_cert = match (raw.client_cert.clone(), raw.client_key.clone()) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    name,
                    "`client_cert` needs `client_key`, the certificate's PEM private key",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    name,
                    "`client_key` needs `client_cert`, the PEM client certificate",
                ));
            }
        };
        if let Endpoint::OAuth2(o) = &endpoint
            && matches!(
                o.client_auth,
                ClientAuth::TlsClientAuth | ClientAuth::SelfSignedTlsClientAuth
            )
            && client_cert.is_none()
        {
            return Err(bad(
                name,
                "`client_auth` \"tls_client_auth\" or \"self_signed_tls_client_auth\" needs `client_cert` and `client_key`",
            ));
        }
        let (fingerprint, credentials) = fingerprint_and_credentials(&raw);
        Ok(Profile {
            name: name.to_string(),
            client_cert,
            fingerprint,
            credentials,
            variant: None,
            id_token: raw.id_token.unwrap_or(false),
            endpoint,
            response,
            output,
            min_ttl: parse_duration(name, "min_ttl", raw.min_ttl.as_deref().unwrap_or("60s"))?,
            cache,
            header,
            scheme: raw.scheme.clone(),
            timeout,
            retries: raw.retries.unwrap_or(2).min(10),
            ca_file: raw.ca_file.as_deref().map(expand_home),
            insecure_http,
            headers,
            git_username,
            docker_username,
            addresses,
        })
    }
}

/// `flavour = "jwt"`: the `jwt` table is the whole endpoint; nothing is
/// sent, so keys about a request or its reply are refused.
fn jwt_endpoint(name: &str, raw: &RawProfile) -> Result<Endpoint> {
    let spec = raw.jwt.clone().ok_or_else(|| {
        bad(
            name,
            "flavour \"jwt\" needs `jwt = { key = ..., claims = { ... } }`",
        )
    })?;
    if spec.prefix.is_some() {
        return Err(bad(
            name,
            "`jwt.prefix` does not apply to flavour \"jwt\": `scheme` and `output = \"header\"` make the header line",
        ));
    }
    for (key, set) in [
        ("response", raw.response.is_some()),
        ("headers", raw.headers.is_some()),
        ("body", raw.body.is_some()),
    ] {
        if set {
            return Err(bad(
                name,
                format!("`{key}` does not apply to flavour \"jwt\": no request is made"),
            ));
        }
    }
    Ok(Endpoint::Jwt(Box::new(spec)))
}

/// Refuses keys of the other flavour: those that `for_flavour` (from the
/// table of keys, `config/raw.rs`) would drop. The first by name is named.
fn refuse_keys(name: &str, raw: &RawProfile, flavour: &str, other: &str) -> Result<()> {
    let kept = raw.for_flavour(Some(flavour)).set_keys();
    let stray = raw
        .set_keys()
        .into_iter()
        .filter(|key| !kept.contains(key))
        .min();
    match stray {
        Some(key) => Err(bad(
            name,
            format!("`{key}` is a key of flavour \"{other}\", not \"{flavour}\""),
        )),
        None => Ok(()),
    }
}
