//! The composition root: the real adapters behind the use case's ports
//! (the profile's cache, the lock files, the network, the secret sources,
//! the wall clock), built for one run of `flows::token`.

use crate::config::{CacheKind, Profile};
use crate::flows::token::{self, Options, Ports};
use crate::http::Network;
use crate::protocol::token::Token;
use crate::secrets::resolve::Resolver;
use crate::store::StoredSecrets;
use crate::store::cache::Cache;
use crate::store::lock::FileLocks;
use crate::util::clock;

/// The profile's token, cached or fetched, through the real adapters. Only
/// the cache is opened up front; the transport is built, and the OS keyring
/// opened for secrets, only when a request is due.
pub fn token(profile: &Profile, opts: &Options) -> anyhow::Result<Token> {
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
    let mut resolver = Resolver::new(profile.timeout, &secrets);
    let ports = Ports {
        cache: cache.as_ref(),
        locks: &FileLocks,
        connect: &Network,
        resolver: &mut resolver,
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
