//! `gettoken list`: every profile, its flavour and its cache state.

use super::{load, print_line};
use crate::config::CacheKind;
use crate::output;
use crate::store::cache::{Cache, is_fresh};
use crate::util::clock::now;
use crate::util::duration;

pub fn run(flag: &Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let config = load(flag)?;
    let now = now();
    let mut rows = vec![[
        "PROFILE".to_string(),
        "FLAVOUR".into(),
        "CACHE".into(),
        "STATE".into(),
    ]];
    let mut caches: Vec<(CacheKind, Option<Cache>)> = Vec::new();
    for name in config.names() {
        let flavour = config.flavour_of(name).unwrap_or("?").to_string();
        let (kind, state) = match config.profile(name) {
            Err(e) => (
                "-".to_string(),
                format!(
                    "invalid: {}",
                    e.message.trim_start_matches(&format!("profile `{name}`: "))
                ),
            ),
            Ok(profile) => {
                let index = match caches.iter().position(|(k, _)| *k == profile.cache) {
                    Some(i) => i,
                    None => {
                        caches.push((profile.cache, Cache::open(profile.cache)));
                        caches.len() - 1
                    }
                };
                let kind = format!("{:?}", profile.cache).to_lowercase();
                let state = match &caches[index].1 {
                    None => "not cached".to_string(),
                    Some(cache) => match cache.load(&profile) {
                        None => "none".to_string(),
                        Some(t) if is_fresh(&t, now, std::time::Duration::ZERO) => {
                            let left = t.seconds_left(now).unwrap_or(0).max(0) as u64;
                            format!(
                                "valid for {}",
                                duration::human(std::time::Duration::from_secs(left))
                            )
                        }
                        Some(t) if t.refresh_token.is_some() => {
                            "expired (refresh token kept)".to_string()
                        }
                        Some(_) => "expired".to_string(),
                    },
                };
                (kind, state)
            }
        };
        rows.push([name.to_string(), flavour, kind, state]);
    }
    if rows.len() == 1 {
        crate::log::note(format!("{} has no profiles", config.path.display()));
        return Ok(());
    }
    print_line(&output::table(&rows))
}
