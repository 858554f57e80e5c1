//! `gettoken forget PROFILE` and `forget --all`: dropping cached tokens
//! from every store.

use super::load;
use crate::config::CacheKind;
use crate::store::cache::Cache;

pub fn run(flag: &Option<std::path::PathBuf>, name: Option<&str>, all: bool) -> anyhow::Result<()> {
    let config = load(flag)?;
    let names: Vec<String> = if all {
        config.names().map(str::to_string).collect()
    } else {
        let name = name.expect("clap: PROFILE or --all");
        // An unknown profile is an error, as for every command that takes one.
        config.require(name)?;
        vec![name.to_string()]
    };
    forget(&names, all)
}

/// Drops the cached tokens of `names` from every store.
pub(super) fn forget(names: &[String], all: bool) -> anyhow::Result<()> {
    let stores = [
        Cache::open(CacheKind::Keyring),
        Cache::open(CacheKind::File),
    ];
    let mut errors = Vec::new();
    for name in names {
        let mut dropped = false;
        for cache in stores.iter().flatten() {
            match cache.forget(name) {
                Ok(d) => dropped |= d,
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        if dropped {
            crate::log::note(format!("forgot the cached token of `{name}`"));
        } else if !all {
            crate::log::note(format!("no cached token for `{name}`"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else if errors.len() == names.len() * stores.len() {
        anyhow::bail!("cannot reach any token store: {}", errors.join("; "))
    } else {
        crate::log::debug!("some stores could not be reached: {}", errors.join("; "));
        Ok(())
    }
}
