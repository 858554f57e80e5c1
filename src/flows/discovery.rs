//! The authorization server's endpoints: as configured, or from the
//! issuer's OpenID configuration (OpenID Connect Discovery 1.0, RFC 8414),
//! fetched only when a needed one is not configured.

use reqwest::Url;
use serde_json::Value;

use crate::config::{Grant, OAuth2, Profile, check_transport, url_for_humans};
use crate::error::Failure;
use crate::http::Transport;

/// The endpoints a profile's grant uses.
#[derive(Debug, Default)]
pub struct Endpoints {
    pub token: String,
    /// For `grant = "device_code"`.
    pub device: Option<String>,
    /// For `grant = "authorization_code"`.
    pub authorization: Option<String>,
}

pub fn endpoints(
    profile: &Profile,
    o: &OAuth2,
    transport: &dyn Transport,
) -> anyhow::Result<Endpoints> {
    let device_wanted = o.grant == Grant::DeviceCode;
    let authorization_wanted = o.grant == Grant::AuthorizationCode;
    let configured = Endpoints {
        token: o.token_url.as_ref().map(Url::to_string).unwrap_or_default(),
        device: o.device_url.as_ref().map(Url::to_string),
        authorization: o.authorization_url.as_ref().map(Url::to_string),
    };
    let complete = !configured.token.is_empty()
        && (!device_wanted || configured.device.is_some())
        && (!authorization_wanted || configured.authorization.is_some());
    if complete {
        return Ok(configured);
    }
    let issuer = o
        .issuer
        .as_ref()
        .expect("validated: an issuer where a URL is missing");
    let doc = document(issuer, transport)?;
    let pick = |configured: Option<String>,
                (key, setting): (&str, &str),
                wanted: bool|
     -> anyhow::Result<Option<String>> {
        if configured.is_some() || !wanted {
            return Ok(configured);
        }
        // RFC 8705 5: with a client certificate, the mTLS alias if named.
        let url = match doc
            .json
            .pointer(&format!("/mtls_endpoint_aliases/{key}"))
            .and_then(Value::as_str)
            .filter(|_| profile.client_cert.is_some())
        {
            Some(alias) => {
                crate::log::debug!("using the mTLS alias of `{key}`");
                Url::parse(alias).map_err(|e| {
                    doc.failed(format!("`mtls_endpoint_aliases.{key}` is not a URL: {e}"))
                })?
            }
            None => endpoint_in(&doc, key, setting)?,
        };
        check_transport(&url, profile.insecure_http).map_err(|why| doc.failed(why))?;
        Ok(Some(url.to_string()))
    };
    let token = pick(
        Some(configured.token).filter(|t| !t.is_empty()),
        ("token_endpoint", "token_url"),
        true,
    )?
    .expect("wanted");
    Ok(Endpoints {
        token,
        device: pick(
            configured.device,
            ("device_authorization_endpoint", "device_url"),
            device_wanted,
        )?,
        authorization: pick(
            configured.authorization,
            ("authorization_endpoint", "authorization_url"),
            authorization_wanted,
        )?,
    })
}

/// The revocation endpoint (RFC 7009) and the token endpoint (a signed
/// client assertion's audience): `revocation_url` as configured, else the
/// issuer's `revocation_endpoint`; `None` when neither names one.
pub fn revocation(
    profile: &Profile,
    o: &OAuth2,
    transport: &dyn Transport,
) -> anyhow::Result<(Option<String>, String)> {
    let configured_token = o.token_url.as_ref().map(Url::to_string);
    if let (Some(url), Some(token)) = (&o.revocation_url, &configured_token) {
        return Ok((Some(url.to_string()), token.clone()));
    }
    let Some(issuer) = &o.issuer else {
        return Ok((
            o.revocation_url.as_ref().map(Url::to_string),
            configured_token.unwrap_or_default(),
        ));
    };
    let doc = document(issuer, transport)?;
    let token = match configured_token {
        Some(t) => t,
        None => endpoint_in(&doc, "token_endpoint", "token_url")?.to_string(),
    };
    let revocation = match &o.revocation_url {
        Some(url) => Some(url.to_string()),
        None => match doc.json.get("revocation_endpoint").and_then(Value::as_str) {
            Some(_) => {
                let url = endpoint_in(&doc, "revocation_endpoint", "revocation_url")?;
                check_transport(&url, profile.insecure_http).map_err(|why| doc.failed(why))?;
                Some(url.to_string())
            }
            None => None,
        },
    };
    Ok((revocation, token))
}

struct Document {
    at: String,
    json: Value,
}

impl Document {
    fn failed(&self, why: String) -> Failure {
        Failure::unreachable(format!("OpenID discovery at {} failed: {why}", self.at))
    }
}

fn document(issuer: &Url, transport: &dyn Transport) -> anyhow::Result<Document> {
    let url = discovery_url(issuer);
    let mut doc = Document {
        at: url_for_humans(&url),
        json: Value::Null,
    };
    crate::log::debug!("discovering the endpoints at {}", doc.at);
    let reply = transport.get_json(url.as_str())?;
    if reply.status != 200 {
        return Err(doc.failed(format!("HTTP {}", reply.status)).into());
    }
    doc.json = serde_json::from_slice(&reply.body)
        .map_err(|e| doc.failed(format!("the document is not JSON ({e})")))?;
    // RFC 8414 3.3: the document must be the issuer's own.
    let named = doc.json.get("issuer").and_then(Value::as_str).unwrap_or("");
    if !issuer_matches(named, issuer.as_str()) {
        return Err(doc
            .failed(format!(
                "the document names issuer `{named}`, not the configured `{}`",
                url_for_humans(issuer)
            ))
            .into());
    }
    Ok(doc)
}

/// Whether the issuer a discovery document names is the configured one.
/// A multi-tenant endpoint (`/common/v2.0`, `/organizations/v2.0`,
/// `/consumers/v2.0`) names its issuer with a `{tenantid}` placeholder:
/// that matches the configured URL with one of those words in its place,
/// and nothing else.
fn issuer_matches(named: &str, configured: &str) -> bool {
    let (named, configured) = (
        named.trim_end_matches('/'),
        configured.trim_end_matches('/'),
    );
    if named == configured {
        return true;
    }
    let Some((before, after)) = named.split_once("{tenantid}") else {
        return false;
    };
    configured
        .strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .is_some_and(|word| matches!(word, "common" | "organizations" | "consumers"))
}

/// The issuer's discovery document: `/.well-known/openid-configuration`
/// appended to the issuer's path (OpenID Connect Discovery 4), never after
/// its query.
fn discovery_url(issuer: &Url) -> Url {
    let mut url = issuer.clone();
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url.set_fragment(None);
    url
}

/// `key` of the document; `setting` is the profile key that would replace
/// it. A missing one is the profile's to fix (exit 2): this server does not
/// offer that grant, or names the endpoint only in its documentation.
fn endpoint_in(doc: &Document, key: &str, setting: &str) -> Result<Url, Failure> {
    let text = doc.json.get(key).and_then(Value::as_str).ok_or_else(|| {
        Failure::usage(format!(
            "OpenID discovery at {}: the document names no {key}; set `{setting}` in the profile",
            doc.at
        ))
    })?;
    Url::parse(text).map_err(|e| doc.failed(format!("{key} is not a URL ({e})")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_multi_tenant_issuer_with_a_placeholder_matches_its_own_words_only() {
        let named = "https://login.microsoftonline.com/{tenantid}/v2.0";
        for word in ["organizations", "common", "consumers"] {
            let configured = format!("https://login.microsoftonline.com/{word}/v2.0/");
            assert!(super::issuer_matches(named, &configured), "{word}");
        }
        for other in [
            "https://login.microsoftonline.com/72f988bf/v2.0",
            "https://evil.example/common/v2.0",
            "https://login.microsoftonline.com/common/x/v2.0",
            "https://login.microsoftonline.com/common",
        ] {
            assert!(!super::issuer_matches(named, other), "{other}");
        }
        assert!(super::issuer_matches("https://a/", "https://a"));
        assert!(!super::issuer_matches("https://a/x", "https://a/y"));
    }

    use super::*;

    #[test]
    fn the_well_known_path_goes_after_the_issuer_s_path() {
        let at = |issuer: &str| discovery_url(&Url::parse(issuer).unwrap()).to_string();
        assert_eq!(
            at("https://id.example.com"),
            "https://id.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            at("https://id.example.com/realms/r1/"),
            "https://id.example.com/realms/r1/.well-known/openid-configuration"
        );
        assert_eq!(
            at("https://id.example.com/tenant?api-version=2"),
            "https://id.example.com/tenant/.well-known/openid-configuration?api-version=2"
        );
    }
}
