//! `gettoken docker-credential get|store|erase|list` (also reached as
//! `docker-credential-gettoken`): docker's credential helper, the profile
//! found in `[consumers.docker]` by the registry's host (the protocol is
//! `protocol::docker_credential`).

use std::path::PathBuf;

use super::{load, print_line, spent, token};
use crate::cli::FetchOptions;
use crate::config::consumers::Consumer;
use crate::error::Failure;
use crate::protocol::docker_credential as docker;
use crate::util::text::escape_for_terminal;

pub fn run(flag: &Option<PathBuf>, operation: &str) -> anyhow::Result<()> {
    let input = spent::read_stdin(docker::MAX_REQUEST, "docker's request")?;
    match operation {
        "get" => {
            let url = docker::server_url(&input).map_err(Failure::usage)?;
            crate::log::debug!("docker asks for {}", escape_for_terminal(&url));
            let Some(profile) = load(flag)?.profile_for(Consumer::Docker, &url)? else {
                // The exact words docker looks for: it goes on without.
                print_line(docker::NOT_FOUND)?;
                return Err(anyhow::anyhow!(
                    "no profile for {} in [consumers.docker]",
                    escape_for_terminal(&url)
                ));
            };
            let token = token(&profile, &FetchOptions::default())?;
            print_line(&docker::answer(&url, &profile.docker_username, &token))
        }
        "erase" => {
            let url = docker::server_url(&input).map_err(Failure::usage)?;
            match load(flag)?.profile_for(Consumer::Docker, &url)? {
                Some(profile) => spent::drop_token(&profile, None),
                None => Ok(()),
            }
        }
        "list" => {
            let config = load(flag)?;
            let mut entries = Vec::new();
            for (tool, host, name) in config.consumer_entries() {
                if tool == Consumer::Docker.key()
                    && host != crate::config::consumers::ANY_HOST
                    && let Ok(profile) = config.profile(name)
                {
                    entries.push((host.to_string(), profile.docker_username));
                }
            }
            print_line(&docker::list(&entries))
        }
        // `store`: docker offers the credentials it was given; the token
        // lives in gettoken's cache, so they are read and dropped.
        "store" => Ok(()),
        other => Err(Failure::usage(format!(
            "docker-credential: unknown operation `{}`: get, store, erase or list",
            escape_for_terminal(other)
        ))
        .into()),
    }
}
