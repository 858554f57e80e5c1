//! `gettoken cargo-credential [PROFILE] [--scheme S] --cargo-plugin` (also
//! reached as `cargo-credential-gettoken`, and as `gettoken --cargo-plugin`,
//! which is how cargo runs `credential-provider = ["gettoken", ...]`: the
//! words after the program come in each request's `args`): cargo's
//! credential provider.
//! The profile is the one named, else the one `[consumers.cargo]` names
//! for the registry's index URL host, else for its name. `get` answers the
//! token, `login` runs the profile's login, `logout` forgets the cached
//! token. The protocol is `protocol::cargo_credential`.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use anyhow::Context;

use super::{load, ports, print_line, spent, token};
use crate::cli::FetchOptions;
use crate::config::Profile;
use crate::config::consumers::Consumer;
use crate::flows::token::Options;
use crate::protocol::cargo_credential::{self as cargo, Action, Request};
use crate::util::text::escape_for_terminal;

pub fn run(flag: &Option<PathBuf>, name: Option<&str>, scheme: Option<&str>) -> anyhow::Result<()> {
    print_line(cargo::HELLO)?;
    let mut input = std::io::stdin().lock();
    loop {
        let mut line = String::new();
        let read = (&mut input)
            .take(cargo::MAX_REQUEST as u64 + 1)
            .read_line(&mut line)
            .context("reading cargo's request from stdin")?;
        if read == 0 {
            return Ok(());
        }
        if line.trim().is_empty() {
            continue;
        }
        let answer = match cargo::parse_request(line.trim()) {
            Ok(request) => answer(flag, name, scheme, &request),
            Err(why) => cargo::other(&why),
        };
        print_line(&answer)?;
    }
}

/// The answer line to one request; failures are answers too.
fn answer(
    flag: &Option<PathBuf>,
    name: Option<&str>,
    scheme: Option<&str>,
    request: &Request,
) -> String {
    crate::log::debug!(
        "cargo asks {:?} for {}",
        request.action,
        escape_for_terminal(&request.index_url)
    );
    if let Action::Other(_) = request.action {
        return cargo::not_supported();
    }
    let (from_args, scheme_from_args) = match cargo::options(&request.args) {
        Ok(options) => options,
        Err(why) => return cargo::other(&why),
    };
    let name = name.or(from_args.as_deref());
    let scheme = scheme.or(scheme_from_args.as_deref());
    let profile = match profile(flag, name, request) {
        Ok(Some(profile)) => profile,
        Ok(None) => {
            crate::log::debug!("no profile in [consumers.cargo] for this registry");
            return cargo::not_found();
        }
        Err(e) => return cargo::other(&format!("{e:#}")),
    };
    let done = match request.action {
        Action::Get => {
            token(&profile, &FetchOptions::default()).map(|token| cargo::get_answer(&token, scheme))
        }
        Action::Login => {
            let opts = Options {
                login: true,
                ..Options::default()
            };
            ports::token(&profile, &opts)
                .with_context(|| format!("profile `{}`", profile.name))
                .map(|_| cargo::done("login"))
        }
        Action::Logout => spent::drop_token(&profile, None).map(|()| cargo::done("logout")),
        Action::Other(_) => Ok(cargo::not_supported()),
    };
    done.unwrap_or_else(|e| cargo::other(&format!("{e:#}")))
}

/// The profile named on the command line, else `[consumers.cargo]`'s for
/// the index URL's host, else for the registry's name.
fn profile(
    flag: &Option<PathBuf>,
    name: Option<&str>,
    request: &Request,
) -> anyhow::Result<Option<Profile>> {
    let config = load(flag)?;
    if let Some(name) = name {
        return Ok(Some(config.profile(name)?));
    }
    if let Some(profile) = config.profile_for(Consumer::Cargo, &request.index_url)? {
        return Ok(Some(profile));
    }
    match &request.name {
        Some(registry) => Ok(config.profile_for(Consumer::Cargo, registry)?),
        None => Ok(None),
    }
}
