//! `gettoken PROFILE` and `gettoken get PROFILE`: the token, printed in
//! the profile's (or the call's) format.

use std::path::PathBuf;

use super::{load_profile, print_line, token, token_for};
use crate::cli::GetOptions;
use crate::config::Format;
use crate::config::Profile;
use crate::error::Failure;
use crate::output;
use crate::protocol::exec_info;
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
    if format == Format::ExecCredential {
        return exec_credential(&profile, options);
    }
    let token = token(&profile, &options.fetch)?;
    match &options.env {
        Some(name) => print_line(&output::env_lines(name, &token)),
        None => print_line(&output::render(&profile, &token, format, now())),
    }
}

/// kubectl's exec plugin: the ExecCredential in the apiVersion kubectl
/// asked for in `KUBERNETES_EXEC_INFO`; with `interactive: false` no
/// device or browser login starts.
fn exec_credential(profile: &Profile, options: &GetOptions) -> anyhow::Result<()> {
    let info = std::env::var("KUBERNETES_EXEC_INFO").ok();
    let info = exec_info::parse(info.as_deref()).map_err(Failure::usage)?;
    crate::log::debug!(
        "kubectl asks for {} (interactive: {})",
        info.api_version,
        info.interactive
            .map_or("not said".to_string(), |i| i.to_string())
    );
    let token = token_for(profile, &options.fetch, info.interactive == Some(false))?;
    print_line(&output::exec_credential(&token, info.api_version))
}
