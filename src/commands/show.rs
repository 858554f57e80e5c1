//! `gettoken show PROFILE`: the profile's settings and its cached token,
//! as they are (for people, or `--json` for scripts); nothing is fetched.

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
    as_json: bool,
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?.with_overrides(&ask.overrides())?;
    let cache = Cache::open(profile.cache);
    let token = cache.as_ref().and_then(|c| c.load(&profile));
    let state = match &cache {
        None => output::CacheState::Off,
        Some(c) => output::CacheState::Store {
            kind: format!("{:?}", profile.cache).to_lowercase(),
            backend: c.backend().describe(),
            lifetime: c.backend().lifetime(),
            token: token.as_ref(),
        },
    };
    let shown = output::Shown {
        profile: &profile,
        cache: state,
        now: now(),
        reveal,
    };
    if as_json {
        print_line(&output::show_json(&shown))
    } else {
        print_line(&output::show(&shown))
    }
}
