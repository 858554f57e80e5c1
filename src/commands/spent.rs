//! A credential helper's `erase` (git, docker, terraform's `forget`,
//! cargo's `logout`): the consumer says the token failed, so the cached one
//! is dropped, or only marked expired when a refresh token can renew it.

use crate::config::Profile;
use crate::secrets::Secret;
use crate::store::cache::Cache;

/// Drops the profile's cached token, unless `rejected` is given and is
/// another value (the consumer rejects a password gettoken did not give).
/// A token with a refresh token is marked expired instead, so the next
/// `get` refreshes rather than asking for a new login.
pub(super) fn drop_token(profile: &Profile, rejected: Option<&Secret>) -> anyhow::Result<()> {
    let name = &profile.name;
    let Some(cache) = Cache::open(profile.cache) else {
        return Ok(());
    };
    // Under the profile's lock: a token fetched meanwhile by another
    // gettoken is not the one the consumer rejected.
    let _lock = crate::store::lock::acquire(name, std::time::Duration::from_secs(10))?;
    let Some(mut cached) = cache.load(profile) else {
        return Ok(());
    };
    if let Some(rejected) = rejected
        && *rejected != cached.access_token
    {
        crate::log::debug!("the caller rejects another password, not the cached token: kept");
        return Ok(());
    }
    if cached.refresh_token.is_some() {
        cached.expires_at = Some(crate::util::clock::now());
        cache.save(profile, &cached);
        crate::log::debug!("marked the cached token of `{name}` as expired");
    } else if cache.forget(name)? {
        crate::log::debug!("forgot the cached token of `{name}`");
    }
    Ok(())
}

/// stdin as text, at most `limit` bytes (`what` names it in the error).
pub(super) fn read_stdin(limit: usize, what: &str) -> anyhow::Result<String> {
    use anyhow::Context as _;
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} from stdin"))?;
    if bytes.len() > limit {
        return Err(crate::error::Failure::usage(format!(
            "{what} on stdin is longer than {} KiB",
            limit / 1024
        ))
        .into());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
