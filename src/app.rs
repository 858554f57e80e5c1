//! Running a parsed command line: one function per command.

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;

use crate::cache::{Cache, is_fresh};
use crate::cli::{Cli, Command, GetOptions, SecretCommand};
use crate::config::{self, CacheKind, Config};
use crate::error::Failure;
use crate::fetch::{self, Options};
use crate::{duration, output, store};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    crate::log::set_verbose(cli.verbose);
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
        Some(Command::Get { profile, options }) => get(&cli.config, &profile, &options),
        Some(Command::List) => list(&cli.config),
        Some(Command::Forget { profile, all }) => forget(&cli.config, profile.as_deref(), all),
        Some(Command::Secret(cmd)) => secret(cmd),
        Some(Command::Completions { shell }) => completions(shell),
        None => match cli.profile {
            Some(profile) => get(&cli.config, &profile, &cli.get),
            None => Err(Failure::usage(
                "no profile given: run `gettoken PROFILE`, or `gettoken list` to see the profiles (`gettoken --help` for more)",
            )
            .into()),
        },
    }
}

fn load(flag: &Option<std::path::PathBuf>) -> Result<Config, Failure> {
    let path = config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    Config::load(&path, &reserved)
}

fn get(flag: &Option<std::path::PathBuf>, name: &str, options: &GetOptions) -> anyhow::Result<()> {
    let config = load(flag)?;
    let profile = config.profile(name)?;
    let opts = Options {
        force: options.force,
        no_cache: options.no_cache,
        min_ttl: options.min_ttl,
    };
    let token = fetch::token(&profile, &opts).with_context(|| format!("profile `{name}`"))?;
    let format = options.format().unwrap_or(profile.output);
    print_line(&output::render(&profile, &token, format, fetch::now()))
}

/// Writes `text` and a newline to stdout; a closed stdout ends quietly.
fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn list(flag: &Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let config = load(flag)?;
    let now = fetch::now();
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
        eprintln!("gettoken: {} has no profiles", config.path.display());
        return Ok(());
    }
    print_line(&output::table(&rows))
}

fn forget(flag: &Option<std::path::PathBuf>, name: Option<&str>, all: bool) -> anyhow::Result<()> {
    let names: Vec<String> = if all {
        load(flag)?.names().map(str::to_string).collect()
    } else {
        vec![name.expect("clap: PROFILE or --all").to_string()]
    };
    let stores = [
        Cache::open(CacheKind::Keyring),
        Cache::open(CacheKind::File),
    ];
    let mut errors = Vec::new();
    for name in &names {
        let mut dropped = false;
        for cache in stores.iter().flatten() {
            match cache.forget(name) {
                Ok(d) => dropped |= d,
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        if dropped {
            eprintln!("gettoken: forgot the cached token of `{name}`");
        } else if !all {
            eprintln!("gettoken: no cached token for `{name}`");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else if errors.len() == names.len() * stores.len() {
        anyhow::bail!("cannot reach any token store: {}", errors.join("; "))
    } else {
        crate::debug!("some stores could not be reached: {}", errors.join("; "));
        Ok(())
    }
}

fn secret(cmd: SecretCommand) -> anyhow::Result<()> {
    let keyring = store::os_keyring();
    match cmd {
        SecretCommand::Set { name } => {
            let value = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("Secret `{name}`: "))
                    .context("reading the secret from the terminal")?
            } else {
                let mut text = String::new();
                std::io::stdin()
                    .take(1024 * 1024)
                    .read_to_string(&mut text)
                    .context("reading the secret from stdin")?;
                let trimmed = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                trimmed.to_string()
            };
            let value = zeroize::Zeroizing::new(value);
            if value.is_empty() {
                return Err(Failure::usage("the secret is empty: nothing stored").into());
            }
            keyring
                .set(&store::secret_key(&name), &value)
                .with_context(|| format!("cannot store secret `{name}`"))?;
            eprintln!(
                "gettoken: stored secret `{name}` in the {}",
                keyring.describe()
            );
            Ok(())
        }
        SecretCommand::Delete { name } => {
            if keyring
                .delete(&store::secret_key(&name))
                .with_context(|| format!("cannot delete secret `{name}`"))?
            {
                eprintln!("gettoken: deleted secret `{name}`");
                Ok(())
            } else {
                Err(Failure::usage(format!("no secret `{name}` is stored")).into())
            }
        }
    }
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gettoken", &mut buf);
    print_line(String::from_utf8_lossy(&buf).trim_end())
}
