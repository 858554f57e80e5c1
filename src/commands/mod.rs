//! Running a parsed command line: one function per command.

mod completions;
mod config;
mod exec;
mod forget;
mod get;
mod git_credential;
mod init;
mod list;
mod man;
mod ports;
mod secret;
mod show;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::cli::{Cli, Command, ConfigCommand, FetchOptions};
use crate::config::{Config, Profile};
use crate::error::Failure;
use crate::flows::token::Options;
use crate::protocol::token::Token;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    crate::log::set_verbose(cli.verbose);
    crate::log::set_quiet(cli.quiet);
    if let (Some(profile), Some(_)) = (&cli.profile, &cli.command) {
        return Err(Failure::usage(format!(
            "`{profile}` and a command were both given: run `gettoken {profile}` or the command alone"
        ))
        .into());
    }
    if cli.command.is_some() && cli.get.any_set() {
        return Err(Failure::usage(
            "options for printing a token go after the profile: `gettoken get PROFILE -H`, not `gettoken -H get PROFILE`",
        )
        .into());
    }
    match cli.command {
        Some(Command::Get { profile, options }) => get::run(&cli.config, &profile, &options),
        Some(Command::Exec {
            profile,
            env,
            fetch,
            command,
        }) => exec::run(&cli.config, &profile, &env, &fetch, &command),
        Some(Command::Show {
            profile,
            reveal,
            json,
        }) => show::run(&cli.config, &profile, reveal, json),
        Some(Command::List { json }) => list::run(&cli.config, json),
        Some(Command::Forget { profile, all }) => forget::run(&cli.config, profile.as_deref(), all),
        Some(Command::GitCredential { profile, operation }) => {
            git_credential::run(&cli.config, &profile, &operation)
        }
        Some(Command::Config(ConfigCommand::Check)) => config::check(&cli.config),
        Some(Command::Config(ConfigCommand::Path)) => config::path(&cli.config),
        Some(Command::Init) => init::run(&cli.config),
        Some(Command::Secret(cmd)) => secret::run(cmd),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Man { dir }) => man::run(dir.as_deref()),
        None => match cli.profile {
            Some(profile) => {
                get::run(&cli.config, &profile, &cli.get).map_err(|e| misspelt_command(e, &profile))
            }
            None => Err(Failure::usage(
                "no profile given: run `gettoken PROFILE`, or `gettoken list` to see the profiles (`gettoken --help` for more)",
            )
            .into()),
        },
    }
}

/// `gettoken lsit`: when `name` is no profile and is close to a command's
/// name, the "no profile" error also asks "did you mean `list`?".
fn misspelt_command(mut err: anyhow::Error, name: &str) -> anyhow::Error {
    if let Some(failure) = err.downcast_mut::<Failure>()
        && failure.message.starts_with(&format!("no profile `{name}`"))
    {
        use clap::CommandFactory;
        let cli = Cli::command();
        let commands = cli.get_subcommands().map(|c| c.get_name());
        if let Some(command) = crate::util::suggest::nearest(name, commands).first() {
            failure
                .message
                .push_str(&format!("; did you mean `{command}` (the command)?"));
        }
    }
    err
}

/// The profiles file, with a warning when others can read a secret in it.
pub(super) fn load(flag: &Option<PathBuf>) -> Result<Config, Failure> {
    let path = crate::config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let config = Config::load(&path, &reserved)?;
    if let Some(warning) = config.exposure_warning() {
        crate::log::warn(warning);
    }
    Ok(config)
}

/// The named profile of the file.
pub(super) fn load_profile(flag: &Option<PathBuf>, name: &str) -> Result<Profile, Failure> {
    load(flag)?.profile(name)
}

/// The profile's token, cached or fetched as `options` allow.
pub(super) fn token(profile: &Profile, options: &FetchOptions) -> anyhow::Result<Token> {
    let opts = Options {
        force: options.force,
        no_cache: options.no_cache,
        min_ttl: options.min_ttl,
    };
    ports::token(profile, &opts).with_context(|| format!("profile `{}`", profile.name))
}

/// Writes `text` and a newline to stdout; a closed stdout ends quietly.
pub(super) fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
