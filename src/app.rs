//! Running a parsed command line: one function per command.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cache::{Cache, is_fresh};
use crate::cli::{Cli, Command, ConfigCommand, FetchOptions, GetOptions, SecretCommand};
use crate::config::{self, CacheKind, Config, Format, Profile};
use crate::error::Failure;
use crate::fetch::{self, Options};
use crate::token::Token;
use crate::{duration, git_credential, output, store};

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
        Some(Command::Exec {
            profile,
            env,
            fetch,
            command,
        }) => exec(&cli.config, &profile, &env, &fetch, &command),
        Some(Command::Show { profile, reveal }) => show(&cli.config, &profile, reveal),
        Some(Command::List) => list(&cli.config),
        Some(Command::Forget { profile, all }) => forget(&cli.config, profile.as_deref(), all),
        Some(Command::GitCredential { profile, operation }) => {
            git_credential(&cli.config, &profile, &operation)
        }
        Some(Command::Config(ConfigCommand::Check)) => config_check(&cli.config),
        Some(Command::Config(ConfigCommand::Path)) => config_path(&cli.config),
        Some(Command::Init) => init(&cli.config),
        Some(Command::Secret(cmd)) => secret(cmd),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man { dir }) => man(dir.as_deref()),
        None => match cli.profile {
            Some(profile) => get(&cli.config, &profile, &cli.get),
            None => Err(Failure::usage(
                "no profile given: run `gettoken PROFILE`, or `gettoken list` to see the profiles (`gettoken --help` for more)",
            )
            .into()),
        },
    }
}

/// The profiles file, with a warning when others can read a secret in it.
fn load(flag: &Option<PathBuf>) -> Result<Config, Failure> {
    let path = config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let config = Config::load(&path, &reserved)?;
    if let Some(warning) = config.exposure_warning() {
        crate::log::warn(warning);
    }
    Ok(config)
}

/// The named profile of the file.
fn load_profile(flag: &Option<PathBuf>, name: &str) -> Result<Profile, Failure> {
    load(flag)?.profile(name)
}

/// The profile's token, cached or fetched as `options` allow.
fn token(profile: &Profile, options: &FetchOptions) -> anyhow::Result<Token> {
    let opts = Options {
        force: options.force,
        no_cache: options.no_cache,
        min_ttl: options.min_ttl,
    };
    fetch::token(profile, &opts).with_context(|| format!("profile `{}`", profile.name))
}

fn get(flag: &Option<PathBuf>, name: &str, options: &GetOptions) -> anyhow::Result<()> {
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
        Some(name) => print_line(&output::export_line(name, token.access_token.expose())),
        None => print_line(&output::render(&profile, &token, format, fetch::now())),
    }
}

/// Replaces gettoken with `command`, the token in `$var` (see exec.rs).
fn exec(
    flag: &Option<PathBuf>,
    name: &str,
    var: &str,
    options: &FetchOptions,
    command: &[OsString],
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let token = token(&profile, options)?;
    Err(crate::exec::run(command, var, &token.access_token))
}

/// The profile and its cached token, as they are: nothing is fetched.
fn show(flag: &Option<PathBuf>, name: &str, reveal: bool) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let cache = Cache::open(profile.cache);
    let token = cache.as_ref().and_then(|c| c.load(&profile));
    let state = match &cache {
        None => output::CacheState::Off,
        Some(c) => output::CacheState::Store {
            store: format!(
                "{} ({})",
                format!("{:?}", profile.cache).to_lowercase(),
                c.backend().describe()
            ),
            token: token.as_ref(),
        },
    };
    print_line(&output::show(&output::Shown {
        profile: &profile,
        cache: state,
        now: fetch::now(),
        reveal,
    }))
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

/// git's credential helper protocol: `get` answers with the token, `erase`
/// forgets it, anything else (`store`) is read and ignored.
fn git_credential(flag: &Option<PathBuf>, name: &str, operation: &str) -> anyhow::Result<()> {
    let request = read_git_request()?;
    match operation {
        "get" => {
            crate::debug!(
                "git asks for {}://{}",
                request.protocol.as_deref().unwrap_or("?"),
                request.host.as_deref().unwrap_or("?")
            );
            let profile = load_profile(flag, name)?;
            if let Some(why) = git_credential::refusal(&request, profile.insecure_http) {
                // No answer: git goes on to its other helpers, or asks.
                crate::log::warn(format!("profile `{name}`: {why}"));
                return Ok(());
            }
            let token = token(&profile, &FetchOptions::default())?;
            print_line(&git_credential::answer(&profile.git_username, &token))
        }
        "erase" => {
            let profile = load_profile(flag, name)?;
            let Some(cache) = Cache::open(profile.cache) else {
                return Ok(());
            };
            // Under the profile's lock: a token fetched meanwhile by another
            // gettoken is not the one git rejected.
            let _lock = crate::lock::acquire(&profile.name, std::time::Duration::from_secs(10))?;
            let Some(mut cached) = cache.load(&profile) else {
                return Ok(());
            };
            if let Some(rejected) = &request.password
                && *rejected != cached.access_token
            {
                crate::debug!("git rejects another password, not the cached token: kept");
                return Ok(());
            }
            if cached.refresh_token.is_some() {
                // Spent, but its refresh token kept: the next `get` refreshes
                // instead of asking for a new login.
                cached.expires_at = Some(crate::fetch::now());
                cache.save(&profile, &cached);
                crate::debug!("marked the cached token of `{name}` as expired");
            } else if cache.forget(name)? {
                crate::debug!("forgot the cached token of `{name}`");
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// git's request on stdin: lines up to a blank line or the end, at most
/// [`git_credential::MAX_REQUEST`] bytes.
fn read_git_request() -> anyhow::Result<git_credential::Request> {
    let limit = git_credential::MAX_REQUEST;
    let mut input = std::io::stdin().lock().take(limit as u64 + 1);
    let mut bytes = Vec::new();
    loop {
        let start = bytes.len();
        if input
            .read_until(b'\n', &mut bytes)
            .context("reading git's request from stdin")?
            == 0
        {
            break;
        }
        if bytes[start..].iter().all(|b| matches!(b, b'\r' | b'\n')) {
            break;
        }
    }
    if bytes.len() > limit {
        return Err(Failure::usage(format!(
            "git's request on stdin is longer than {} KiB",
            limit / 1024
        ))
        .into());
    }
    git_credential::parse(&String::from_utf8_lossy(&bytes)).map_err(|e| Failure::usage(e).into())
}

/// Every profile validated, every problem listed; exit 2 when any.
fn config_check(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let report = config::check::check(&path, &reserved)?;
    for warning in &report.warnings {
        crate::log::warn(warning);
    }
    let shadowing = crate::cli::shadowing_commands();
    for name in report.names.iter().filter(|n| shadowing.contains(n)) {
        crate::log::warn(format!(
            "profile `{name}` has the name of the command `gettoken {name}`: get its token with `gettoken get {name}`"
        ));
    }
    if report.problems.is_empty() {
        let n = report.names.len();
        let s = if n == 1 { "" } else { "s" };
        return print_line(&format!("{}: {n} profile{s}, no problems", path.display()));
    }
    for problem in &report.problems {
        eprintln!("gettoken: error: {problem}");
    }
    let n = report.problems.len();
    Err(Failure::usage(format!(
        "{}: {n} problem{}",
        path.display(),
        if n == 1 { "" } else { "s" }
    ))
    .into())
}

/// The path of the profiles file that would be used.
fn config_path(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    if !path.exists() {
        eprintln!(
            "gettoken: {} does not exist yet: `gettoken init` writes a starter file there",
            path.display()
        );
    }
    print_line(&path.display().to_string())
}

/// Writes the starter profiles file where the file is looked for.
fn init(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    config::starter::write(&path)?;
    eprintln!(
        "gettoken: wrote {}: edit it, then run `gettoken config check`",
        path.display()
    );
    Ok(())
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let script = crate::complete::script(shell).map_err(Failure::usage)?;
    print_line(&script)
}

fn man(dir: Option<&Path>) -> anyhow::Result<()> {
    match dir {
        Some(dir) => {
            let written = crate::man::write_all(dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
            for path in written {
                eprintln!("gettoken: wrote {}", path.display());
            }
            Ok(())
        }
        None => print_line(String::from_utf8_lossy(&crate::man::page()?).trim_end()),
    }
}
