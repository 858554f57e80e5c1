//! Getting a profile's token: from the cache while it is fresh, else from
//! the endpoint under the profile's lock (refresh token first, then the
//! profile's own grant), then stored.

use std::time::Duration;

use crate::util::clock::now;

use super::reply::answer;
use super::{browser, device, discovery};
use crate::config::{CacheKind, Endpoint, Grant, OAuth2, Profile};
use crate::error::Kind;
use crate::http::Transport;
use crate::protocol::request::{self, GrantKind};
use crate::protocol::token::Token;
use crate::secrets::redact;
use crate::secrets::resolve::Resolver;
use crate::store;
use crate::store::cache::{Cache, is_fresh};
use crate::store::lock;

/// How `gettoken PROFILE` may use the cache.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Fetch even when the cache holds a fresh token (and cache the result).
    pub force: bool,
    /// Neither read nor write the cache.
    pub no_cache: bool,
    /// Overrides the profile's `min_ttl`.
    pub min_ttl: Option<Duration>,
}

/// The profile's token, cached or fetched.
pub fn token(profile: &Profile, opts: &Options) -> anyhow::Result<Token> {
    let min_ttl = opts.min_ttl.unwrap_or(profile.min_ttl);
    let cache = if opts.no_cache {
        None
    } else {
        Cache::open(profile.cache)
    };
    let Some(cache) = cache else {
        return fetch(profile, None, None);
    };
    let usable = |t: &Token| !opts.force && is_fresh(t, now(), min_ttl);
    if let Some(token) = cache.load(profile).filter(usable) {
        crate::log::debug!("cache hit for `{}`", profile.name);
        return Ok(token);
    }
    let _lock = lock::acquire(&profile.name, lock_wait(profile))?;
    // Another process may have fetched while this one waited for the lock.
    let cached = cache.load(profile);
    if let Some(token) = cached.as_ref().filter(|t| usable(t)) {
        crate::log::debug!(
            "cache hit for `{}` (fetched by another gettoken)",
            profile.name
        );
        return Ok(token.clone());
    }
    let keyring = (profile.cache == CacheKind::Keyring).then(|| cache.backend());
    let token = fetch(profile, cached.as_ref(), keyring)?;
    cache.save(profile, &token);
    Ok(token)
}

/// How long to wait for another process fetching the same profile: its
/// worst case (a refresh and a grant, each with every retry, and the
/// user's login for an interactive grant), plus slack.
fn lock_wait(profile: &Profile) -> Duration {
    let tries = profile.retries + 1;
    let login = match &profile.endpoint {
        Endpoint::OAuth2(o) if o.grant.is_interactive() => o.login_timeout,
        _ => Duration::ZERO,
    };
    profile
        .timeout
        .saturating_mul(2 * tries)
        .saturating_add(login)
        .saturating_add(Duration::from_secs(30))
}

/// Fetches a token from the endpoint; `cached` may hold a refresh token.
/// `keyring` is the OS keyring already open for the cache, if it is one:
/// `{ keyring = ... }` secrets are read through it, so a keyring that
/// failed once is not waited on again in the same run.
pub fn fetch(
    profile: &Profile,
    cached: Option<&Token>,
    keyring: Option<&dyn store::Backend>,
) -> anyhow::Result<Token> {
    let transport = Transport::new(profile)?;
    let own_keyring;
    let secrets = match keyring {
        Some(k) => k,
        None => {
            own_keyring = store::os_keyring();
            own_keyring.as_ref()
        }
    };
    let stored = store::StoredSecrets(secrets);
    let mut resolver = Resolver::new(profile.timeout, &stored);
    let token = match &profile.endpoint {
        Endpoint::Http(h) => {
            let req = request::http(profile, h, &mut resolver)?;
            let reply = transport.send(&req)?;
            answer(profile, &reply)?
        }
        Endpoint::OAuth2(o) => {
            let urls = discovery::endpoints(profile, o, &transport)?;
            let refreshed = match cached.and_then(|t| t.refresh_token.as_ref()) {
                Some(refresh) => {
                    try_refresh(profile, o, &urls.token, refresh, &transport, &mut resolver)?
                }
                None => None,
            };
            match (refreshed, &o.grant) {
                (Some(token), _) => token,
                (None, Grant::DeviceCode) => {
                    device::login(profile, o, &urls, &transport, &mut resolver)?
                }
                (None, Grant::AuthorizationCode) => {
                    browser::login(profile, o, &urls, &transport, &mut resolver)?
                }
                (None, _) => {
                    let req = request::oauth2(
                        profile,
                        o,
                        &urls.token,
                        GrantKind::Profile,
                        &mut resolver,
                    )?;
                    let reply = transport.send(&req)?;
                    answer(profile, &reply)?
                }
            }
        }
    };
    match token.seconds_left(now()) {
        Some(left) => crate::log::debug!("token for `{}` expires in {left}s", profile.name),
        None => crate::log::debug!("the reply states no expiry for `{}`", profile.name),
    }
    Ok(token)
}

/// The refresh grant with a stored refresh token. `Ok(None)` when the
/// endpoint refused it (expired, revoked): the caller runs the profile's
/// own grant. A kept refresh token survives a reply that rotates none.
fn try_refresh(
    profile: &Profile,
    o: &OAuth2,
    token_url: &str,
    refresh: &crate::secrets::Secret,
    transport: &Transport,
    resolver: &mut Resolver<'_>,
) -> anyhow::Result<Option<Token>> {
    redact::register(refresh);
    crate::log::debug!("using the stored refresh token for `{}`", profile.name);
    let req = request::oauth2(profile, o, token_url, GrantKind::Refresh(refresh), resolver)?;
    let reply = transport.send(&req)?;
    match answer(profile, &reply) {
        Ok(mut token) => {
            if token.refresh_token.is_none() {
                token.refresh_token = Some(refresh.clone());
            }
            Ok(Some(token))
        }
        Err(f) if f.kind == Kind::Refused => {
            crate::log::debug!(
                "the refresh token was refused ({}); running grant \"{}\"",
                f.message,
                o.grant.grant_type()
            );
            Ok(None)
        }
        Err(f) => Err(f.into()),
    }
}
