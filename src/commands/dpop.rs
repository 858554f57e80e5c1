//! `gettoken dpop PROFILE METHOD URL`: a DPoP proof (RFC 9449) for one
//! request to a resource server, with `ath` of the profile's token, as a
//! `DPoP:` header line for curl.

use std::path::PathBuf;

use super::{load_profile, print_line, token};
use crate::cli::FetchOptions;
use crate::config::Endpoint;
use crate::error::Failure;
use crate::protocol::dpop;

pub fn run(
    flag: &Option<PathBuf>,
    name: &str,
    method: &str,
    url: &str,
    nonce: Option<&str>,
    value_only: bool,
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let Endpoint::OAuth2(o) = &profile.endpoint else {
        return Err(no_dpop(name).into());
    };
    let Some(settings) = &o.dpop else {
        return Err(no_dpop(name).into());
    };
    if method.is_empty() || !crate::util::text::is_http_token(method) {
        return Err(Failure::usage(format!(
            "`{method}` is not an HTTP method (GET, POST, PUT, ...)"
        ))
        .into());
    }
    let htu = dpop::htu(url).map_err(|e| Failure::usage(format!("URL `{url}`: {e}")))?;
    if let Some(n) = nonce.filter(|n| !dpop::valid_nonce(n)) {
        return Err(Failure::usage(format!(
            "--nonce `{n}` is not a DPoP nonce (printable ASCII without space, quote or backslash)"
        ))
        .into());
    }
    let mut token = token(&profile, &FetchOptions::default())?;
    let key = super::ports::dpop_key(&profile, settings)
        .map_err(|e| e.context(format!("profile `{name}`")))?;
    // Never a proof for a token bound to another key: a new token first.
    if token.dpop_jkt.as_deref().is_some_and(|jkt| jkt != key.jkt) {
        crate::log::debug!(
            "the cached token of `{name}` is bound to another DPoP key; fetching a new one"
        );
        let force = FetchOptions {
            force: true,
            ..FetchOptions::default()
        };
        token = super::token(&profile, &force)?;
    }
    if token.dpop_jkt.is_none() {
        crate::log::debug!(
            "the token of `{name}` is not bound to its DPoP key (the endpoint sent token_type {:?})",
            token.token_type.as_deref().unwrap_or("(none)")
        );
    }
    let proof = dpop::proof(
        &key,
        &dpop::Request {
            method,
            url: &htu,
            nonce,
            access_token: Some(token.access_token.expose()),
        },
        crate::util::clock::now(),
        crate::util::random::token(),
    )
    .map_err(|e| Failure::usage(format!("profile `{name}`: {e}")))?;
    if value_only {
        print_line(&proof)
    } else {
        print_line(&format!("DPoP: {proof}"))
    }
}

fn no_dpop(name: &str) -> Failure {
    Failure::usage(format!(
        "profile `{name}` has no DPoP key: set `dpop = true` in it (flavour \"oauth2\") to have its tokens bound to one"
    ))
}
