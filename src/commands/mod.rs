//! Running a parsed command line: one function per command.

mod cargo_credential;
mod completions;
mod config;
mod docker_credential;
mod dpop;
mod exec;
mod exec_refresh;
mod forget;
mod get;
mod git_credential;
mod init;
mod install_helpers;
mod list;
mod login;
mod man;
mod npm_token;
mod ports;
mod secret;
mod show;
mod spent;
mod terraform_credentials;

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
    set_interactive(cli.no_interactive)?;
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
            refresh,
            command,
        }) if refresh => exec_refresh::run(&cli.config, &profile, &env, &fetch, &command),
        Some(Command::Exec {
            profile,
            env,
            fetch,
            command,
            ..
        }) => exec::run(&cli.config, &profile, &env, &fetch, &command),
        Some(Command::Show {
            profile,
            reveal,
            ask,
            json,
        }) => show::run(&cli.config, &profile, reveal, &ask, json),
        Some(Command::List { json }) => list::run(&cli.config, json),
        Some(Command::Login { profile }) => login::login(&cli.config, &profile),
        Some(Command::Logout { profile }) => login::logout(&cli.config, &profile),
        Some(Command::Forget { profile, all }) => forget::run(&cli.config, profile.as_deref(), all),
        Some(Command::GitCredential { profile, operation }) => {
            git_credential::run(&cli.config, &profile, &operation)
        }
        Some(Command::DockerCredential { operation }) => {
            docker_credential::run(&cli.config, &operation)
        }
        Some(Command::CargoCredential { profile, scheme, .. }) => {
            cargo_credential::run(&cli.config, profile.as_deref(), scheme.as_deref())
        }
        Some(Command::TerraformCredentials { operation, host }) => {
            terraform_credentials::run(&cli.config, &operation, &host)
        }
        Some(Command::NpmToken { profile }) => npm_token::run(&cli.config, &profile),
        Some(Command::Dpop {
            profile,
            method,
            url,
            nonce,
            value,
        }) => dpop::run(&cli.config, &profile, &method, &url, nonce.as_deref(), value),
        Some(Command::InstallHelpers { dir, npm }) => install_helpers::run(&dir, &npm),
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

/// The interactive mode: `--no-interactive`, else `GETTOKEN_INTERACTIVE`
/// (never, auto, always; default auto).
fn set_interactive(no_interactive: bool) -> Result<(), Failure> {
    use crate::util::interactive::{CHOICES, Mode, parse_mode, set_mode};
    let mode = if no_interactive {
        Mode::Never
    } else {
        match std::env::var("GETTOKEN_INTERACTIVE") {
            Ok(text) => parse_mode(&text).ok_or_else(|| {
                Failure::usage(format!(
                    "GETTOKEN_INTERACTIVE=`{text}` is not one of {CHOICES}"
                ))
            })?,
            Err(_) => Mode::Auto,
        }
    };
    set_mode(mode);
    Ok(())
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
    ports::remember_config(&path);
    if let Some(warning) = config.exposure_warning() {
        crate::log::warn(warning);
    }
    Ok(config)
}

/// The named profile of the file, as `load(flag)?.profile(name)` gives it
/// (the exposure warning included), from only the tables it needs when the
/// file allows.
pub(super) fn load_profile(flag: &Option<PathBuf>, name: &str) -> Result<Profile, Failure> {
    let path = crate::config::locate(flag.as_deref())?;
    let reserved = crate::cli::RESERVED;
    let profile = Config::load_profile(&path, name, &reserved);
    ports::remember_config(&path);
    profile
}

/// The profile's token, cached or fetched as `options` allow.
pub(super) fn token(profile: &Profile, options: &FetchOptions) -> anyhow::Result<Token> {
    token_for(profile, options, false)
}

/// [`token`], where `no_login` says the caller cannot reach the user: a
/// device or browser login fails at once instead of starting.
pub(super) fn token_for(
    profile: &Profile,
    options: &FetchOptions,
    no_login: bool,
) -> anyhow::Result<Token> {
    let opts = Options {
        force: options.force,
        no_cache: options.no_cache,
        min_ttl: options.min_ttl,
        no_login,
        login: false,
        id_token: options.id_token || profile.id_token,
    };
    let profile = &profile.with_overrides(&options.ask.overrides())?;
    let token =
        ports::token(profile, &opts).with_context(|| format!("profile `{}`", profile.name))?;
    if opts.id_token {
        return ports::id_token(profile, &token);
    }
    Ok(token)
}

/// Writes `text` and a newline to stdout; a closed stdout ends quietly.
pub(super) fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
