//! `gettoken logout`: the cached refresh token, then the access token,
//! revoked at the authorization server (RFC 7009) with the profile's client
//! authentication, best effort: a refusal or an unreachable server is a
//! warning, and the caller forgets the tokens locally whatever happens.

use super::discovery;
use crate::config::{Endpoint, Profile};
use crate::http::Connect;
use crate::protocol::request;
use crate::protocol::token::Token;
use crate::secrets::{Resolve, Secret, redact};

/// Revokes what `cached` holds; returns how many tokens the server
/// accepted to revoke. Every failure is a warning.
pub fn revoke(
    profile: &Profile,
    cached: &Token,
    connect: &dyn Connect,
    resolver: &mut dyn Resolve,
) -> usize {
    let Endpoint::OAuth2(o) = &profile.endpoint else {
        crate::log::debug!("flavour \"http\" has no revocation: forgetting locally only");
        return 0;
    };
    match try_revoke(profile, o, cached, connect, resolver) {
        Ok(n) => n,
        Err(e) => {
            crate::log::warn(format!(
                "could not revoke the tokens of `{}` ({e:#}); forgetting them locally anyway",
                profile.name
            ));
            0
        }
    }
}

fn try_revoke(
    profile: &Profile,
    o: &crate::config::OAuth2,
    cached: &Token,
    connect: &dyn Connect,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<usize> {
    // Addresses from a source are read now, as for a fetch.
    let resolved = profile.with_addresses(resolver)?;
    let profile = &resolved;
    let transport = connect.connect(profile, resolver)?;
    let transport = transport.as_ref();
    let (url, token_url) = discovery::revocation(profile, o, transport)?;
    let Some(url) = url else {
        crate::log::warn(format!(
            "no revocation endpoint is known for `{}` (the server names none; set `revocation_url`): the tokens stay valid at the server until they expire; forgetting them locally",
            profile.name
        ));
        return Ok(0);
    };
    let mut tokens: Vec<(&Secret, &str)> = Vec::new();
    if let Some(refresh) = &cached.refresh_token {
        tokens.push((refresh, "refresh_token"));
    }
    tokens.push((&cached.access_token, "access_token"));
    let mut revoked = 0;
    for (token, hint) in tokens {
        redact::register(token);
        let req = request::revocation(profile, o, &url, &token_url, token, hint, resolver)?;
        let what = hint.replace('_', " ");
        match transport.send(&req) {
            Ok(reply) if reply.status == 200 => {
                crate::log::debug!("revoked the {what} at {url}");
                revoked += 1;
            }
            Ok(reply) => {
                let text = String::from_utf8_lossy(&reply.body);
                let error = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                    .map(|e| format!(": {}", crate::util::text::escape_for_terminal(&e)))
                    .unwrap_or_default();
                crate::log::warn(format!(
                    "the server refused to revoke the {what} of `{}` (HTTP {}{error}); forgetting it locally anyway",
                    profile.name, reply.status
                ));
            }
            Err(e) => crate::log::warn(format!(
                "could not revoke the {what} of `{}` ({e:#}); forgetting it locally anyway",
                profile.name
            )),
        }
    }
    Ok(revoked)
}
