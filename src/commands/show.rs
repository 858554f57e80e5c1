//! `gettoken show PROFILE`: the profile's settings and its cached token,
//! as they are; nothing is fetched.

use std::path::PathBuf;

use super::{load_profile, print_line};
use crate::output;
use crate::store::cache::Cache;
use crate::util::clock::now;

/// The profile and its cached token, as they are: nothing is fetched.
pub fn run(
    flag: &Option<PathBuf>,
    name: &str,
    reveal: bool,
    ask: &crate::cli::AskOptions,
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?.with_overrides(&ask.overrides())?;
    let cache = Cache::open(profile.cache);
    let token = cache.as_ref().and_then(|c| c.load(&profile));
    let state = match &cache {
        None => output::CacheState::Off,
        Some(c) => output::CacheState::Store {
            store: format!(
                "{} ({})",
                format!("{:?}", profile.cache).to_lowercase(),
                c.backend().describe()
            ),
            token: token.as_ref(),
        },
    };
    print_line(&output::show(&output::Shown {
        profile: &profile,
        cache: state,
        now: now(),
        reveal,
    }))
}
