//! `gettoken login PROFILE` (the profile's interactive grant, now) and
//! `gettoken logout PROFILE` (revoke at the server, then forget).

use std::path::PathBuf;

use anyhow::Context;

use super::{load_profile, ports};
use crate::config::CacheKind;
use crate::flows::token::Options;
use crate::util::clock::now;

pub fn login(flag: &Option<PathBuf>, name: &str) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let opts = Options {
        login: true,
        ..Options::default()
    };
    let token = ports::token(&profile, &opts).with_context(|| format!("profile `{name}`"))?;
    let left = token
        .seconds_left(now())
        .map(|s| {
            format!(
                "; the token is valid for {}",
                crate::util::duration::human(std::time::Duration::from_secs(s.max(0) as u64))
            )
        })
        .unwrap_or_default();
    if profile.cache == CacheKind::None {
        crate::log::warn(format!(
            "profile `{name}` has cache = \"none\": the login is not kept"
        ));
    }
    crate::log::note(format!("logged in: `{name}`{left}"));
    Ok(())
}

pub fn logout(flag: &Option<PathBuf>, name: &str) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    if !ports::revoke(&profile) {
        crate::log::debug!("no cached token of `{name}` to revoke");
    }
    super::forget::forget(&[name.to_string()], false)
}
