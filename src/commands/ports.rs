//! The composition root: the real adapters behind the use case's ports
//! (the profile's cache, the lock files, the network, the secret sources,
//! the wall clock), built for one run of `flows::token`; and other
//! profiles' tokens for `{ profile = "NAME" }` sources, each through the
//! same use case with its own cache, lock and refresh.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;

use crate::config::{CacheKind, Config, Endpoint, Profile};
use crate::error::Failure;
use crate::flows::refresh::{Login, Logins};
use crate::flows::token::{self, Options, Ports};
use crate::http::Network;
use crate::protocol::token::Token;
use crate::secrets::resolve::Resolver;
use crate::secrets::{ProfileTokens, Secret};
use crate::store::StoredSecrets;
use crate::store::cache::Cache;
use crate::store::lock::FileLocks;
use crate::util::clock;

/// The profile's token, cached or fetched, through the real adapters. Only
/// the cache is opened up front; the transport is built, and the OS keyring
/// opened for secrets, only when a request is due.
pub fn token(profile: &Profile, opts: &Options) -> anyhow::Result<Token> {
    chained(profile, opts, vec![profile.name.clone()])
}

/// The ID token of `token` as the token to print, or why there is none.
pub(super) fn id_token(profile: &Profile, token: &Token) -> anyhow::Result<Token> {
    token.as_id_token().ok_or_else(|| {
        Failure::refused(format!(
            "profile `{}`: the endpoint's reply carries no `id_token`",
            profile.name
        ))
        .with_hint("an OpenID Connect provider issues one when `openid` is in `scope`")
        .into()
    })
}

/// The profiles file of this run, for `{ profile = "NAME" }` sources.
static CONFIG_PATH: OnceLock<PathBuf> = OnceLock::new();

/// Remembers where the profiles file of this run is.
pub(super) fn remember_config(path: &std::path::Path) {
    let _ = CONFIG_PATH.set(path.to_path_buf());
}

/// Other profiles' tokens for the profile last in `chain` (the profiles
/// whose token is being fetched, outermost first).
struct Chain {
    chain: Vec<String>,
    opts: Options,
}

impl ProfileTokens for Chain {
    fn profile_token(&self, name: &str, key: &str) -> anyhow::Result<Secret> {
        let of = self.chain.last().map_or("", String::as_str);
        if self.chain.iter().any(|n| n == name) {
            let mut names = self.chain.clone();
            names.push(name.to_string());
            return Err(Failure::usage(format!(
                "`{key}` of profile `{of}` is the token of profile `{name}`, which needs its own token again: {}",
                names.join(" -> ")
            ))
            .with_hint("a profile may use another's token only when that one does not lead back to it")
            .into());
        }
        let mut chain = self.chain.clone();
        chain.push(name.to_string());
        let context = || format!("profile `{name}` (for `{key}` of `{of}`)");
        let profile = loaded(&format!("`{key}`"), name)
            .and_then(|c| c.profile(name))
            .with_context(context)?;
        let opts = Options {
            no_login: self.opts.no_login,
            id_token: profile.id_token,
            ..Options::default()
        };
        let token = chained(&profile, &opts, chain).with_context(context)?;
        if profile.id_token {
            return Ok(id_token(&profile, &token)
                .with_context(context)?
                .access_token);
        }
        Ok(token.access_token)
    }
}

/// The profiles file of this run, loaded again to find profile `name`
/// (`what` asks for it, for the message).
fn loaded(what: &str, name: &str) -> Result<Config, Failure> {
    let path = CONFIG_PATH.get().ok_or_else(|| {
        Failure::usage(format!(
            "{what}: no profiles file is loaded to find profile `{name}` in"
        ))
    })?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    Config::load(path, &reserved)
}

impl Logins for Chain {
    /// Follows `refresh_from` from `from` to the profile that has none (the
    /// login), refusing a chain that comes back to a profile in it.
    fn login(&self, of: &str, from: &str) -> anyhow::Result<Login> {
        let config = loaded(&format!("`refresh_from` of profile `{of}`"), from)?;
        let mut chain = self.chain.clone();
        if chain.last().map(String::as_str) != Some(of) {
            chain.push(of.to_string());
        }
        let mut name = from.to_string();
        loop {
            if chain.contains(&name) {
                chain.push(name);
                return Err(Failure::usage(format!(
                    "profile `{of}`: `refresh_from` leads back to a profile on the way: {}",
                    chain.join(" -> ")
                ))
                .with_hint("`refresh_from` names the profile you log in with, one that has no `refresh_from` of its own")
                .into());
            }
            chain.push(name.clone());
            let profile = config.profile(&name).with_context(|| {
                format!(
                    "profile `{name}` (`refresh_from` of `{of}`: {})",
                    chain.join(" -> ")
                )
            })?;
            let next = match &profile.endpoint {
                Endpoint::OAuth2(o) => o.refresh_from.clone(),
                _ => {
                    return Err(Failure::usage(format!(
                        "profile `{of}`: `refresh_from` names profile `{name}`, which is not flavour \"oauth2\" and has no login to lend ({})",
                        chain.join(" -> ")
                    ))
                    .into());
                }
            };
            match next {
                Some(next) => name = next,
                None => {
                    let cache = Cache::open(profile.cache);
                    return Ok(Login {
                        profile,
                        cache,
                        chain,
                    });
                }
            }
        }
    }
}

/// [`token`] for the profile last in `chain`.
fn chained(profile: &Profile, opts: &Options, chain: Vec<String>) -> anyhow::Result<Token> {
    let cache = if opts.no_cache {
        None
    } else {
        Cache::open(profile.cache)
    };
    // `{ keyring = ... }` secrets are read through the keyring already open
    // for the cache, if it is one: a keyring that failed once is not waited
    // on again in the same run.
    let shared = cache
        .as_ref()
        .filter(|_| profile.cache == CacheKind::Keyring)
        .map(Cache::backend);
    let secrets = StoredSecrets::new(shared);
    let others = Chain {
        chain,
        opts: opts.clone(),
    };
    let mut resolver = Resolver::new(profile.timeout, &secrets).with_profiles(&others);
    let ports = Ports {
        cache: cache.as_ref(),
        locks: &FileLocks,
        connect: &Network,
        resolver: &mut resolver,
        logins: &others,
        clock: clock::now,
    };
    token::token(profile, opts, ports)
}

/// `gettoken logout`: the profile's cached token revoked at the server
/// (best effort); returns whether one was cached.
pub fn revoke(profile: &Profile) -> bool {
    let Some(cache) = Cache::open(profile.cache) else {
        return false;
    };
    let Some(cached) = cache.load(profile) else {
        return false;
    };
    let shared = Some(cache.backend()).filter(|_| profile.cache == CacheKind::Keyring);
    let secrets = StoredSecrets::new(shared);
    let mut resolver = Resolver::new(profile.timeout, &secrets);
    crate::flows::logout::revoke(profile, &cached, &Network, &mut resolver);
    true
}

/// The DPoP key of `profile` (`flows::dpop::key`), read through the real
/// secret sources and the OS keyring (or the store of its cache).
pub fn dpop_key(
    profile: &Profile,
    dpop: &crate::config::Dpop,
) -> anyhow::Result<crate::protocol::dpop::Key> {
    let cache = Cache::open(profile.cache);
    let shared = cache
        .as_ref()
        .filter(|_| profile.cache == CacheKind::Keyring)
        .map(Cache::backend);
    let secrets = StoredSecrets::new(shared);
    let mut resolver = Resolver::new(profile.timeout, &secrets);
    crate::flows::dpop::key(profile, dpop, &mut resolver)
}
