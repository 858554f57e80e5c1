//! `gettoken list`: every profile, its flavour and its cache state, as a
//! table or (`--json`) for scripts.

use super::{load, print_line};
use crate::config::CacheKind;
use crate::output::list::{Cached, ListState, Listed};
use crate::store::cache::{Cache, is_fresh};
use crate::util::clock::now;

pub fn run(flag: &Option<std::path::PathBuf>, as_json: bool) -> anyhow::Result<()> {
    let config = load(flag)?;
    let now = now();
    let mut rows = Vec::new();
    let mut caches: Vec<(CacheKind, Option<Cache>)> = Vec::new();
    for name in config.names() {
        let flavour = config.flavour_of(name).map(str::to_string);
        let state = match config.profile(name) {
            Err(e) => ListState::Invalid(
                e.message
                    .trim_start_matches(&format!("profile `{name}`: "))
                    .to_string(),
            ),
            Ok(profile) => {
                let index = match caches.iter().position(|(k, _)| *k == profile.cache) {
                    Some(i) => i,
                    None => {
                        caches.push((profile.cache, Cache::open(profile.cache)));
                        caches.len() - 1
                    }
                };
                match &caches[index].1 {
                    None => ListState::Off,
                    Some(cache) => ListState::Cached {
                        cache: format!("{:?}", profile.cache).to_lowercase(),
                        token: match cache.load(&profile) {
                            None => Cached::None,
                            Some(t) if is_fresh(&t, now, std::time::Duration::ZERO) => {
                                Cached::Valid {
                                    expires_at: t.expires_at,
                                    left: t.seconds_left(now),
                                }
                            }
                            Some(t) => Cached::Expired {
                                expires_at: t.expires_at,
                                refresh_token: t.refresh_token.is_some(),
                            },
                        },
                    },
                }
            }
        };
        rows.push(Listed {
            profile: name.to_string(),
            flavour,
            state,
        });
    }
    if as_json {
        return print_line(&crate::output::list::json(&rows));
    }
    if rows.is_empty() {
        crate::log::note(format!("{} has no profiles", config.path.display()));
        return Ok(());
    }
    print_line(&crate::output::list::table(&rows))
}
