//! `gettoken PROFILE` and `gettoken get PROFILE`: the token, printed in
//! the profile's (or the call's) format.

use std::path::PathBuf;

use super::{load_profile, print_line, token};
use crate::cli::GetOptions;
use crate::config::Format;
use crate::error::Failure;
use crate::output;
use crate::util::clock::now;

pub fn run(flag: &Option<PathBuf>, name: &str, options: &GetOptions) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let format = options.format().unwrap_or(profile.output);
    if options.env.is_some() && format != Format::Env {
        return Err(Failure::usage(
            "--env NAME goes with --format env (or `gettoken exec --env NAME`)",
        )
        .into());
    }
    let token = token(&profile, &options.fetch)?;
    match &options.env {
        Some(name) => print_line(&output::env_lines(name, &token)),
        None => print_line(&output::render(&profile, &token, format, now())),
    }
}
