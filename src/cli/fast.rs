//! The command lines scripts run on every call, `gettoken PROFILE`,
//! `gettoken PROFILE -H`, any of them with `--config PATH` or
//! `--min-ttl DURATION` (a job that needs its token to last), read without
//! building the clap definition (most of a cache hit's instructions were
//! clap's). Anything else, or anything unusual in these (a repeated
//! option, a name like a command or an option, a word that is not UTF-8),
//! goes to clap. The tests check that clap reads every accepted line into
//! the very same [`Cli`].

use std::ffi::OsString;
use std::path::PathBuf;

use super::args::{Cli, FetchOptions, GetOptions};

/// The names clap reads as a command, not a profile (every subcommand and
/// `help`); a unit test keeps it equal to the definition's.
pub const COMMANDS: [&str; 20] = [
    "get",
    "exec",
    "show",
    "list",
    "login",
    "logout",
    "forget",
    "git-credential",
    "docker-credential",
    "dpop",
    "cargo-credential",
    "terraform-credentials",
    "npm-token",
    "install-helpers",
    "config",
    "init",
    "secret",
    "completions",
    "man",
    "help",
];

/// `args` (argv, the program's name first) as clap would read them, when
/// they are one of the plain forms; `None` otherwise.
pub fn parse(args: &[OsString]) -> Option<Cli> {
    let mut profile: Option<String> = None;
    let mut config: Option<PathBuf> = None;
    let mut header = false;
    let mut min_ttl = None;
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        let word = word.to_str()?;
        match word {
            "-H" | "--header" if !header => header = true,
            "--config" if config.is_none() => {
                let value = words.next()?.to_str()?;
                if value.is_empty() || value.starts_with('-') {
                    return None;
                }
                config = Some(PathBuf::from(value));
            }
            _ if word.starts_with("--config=") && config.is_none() => {
                let value = &word["--config=".len()..];
                if value.is_empty() {
                    return None;
                }
                config = Some(PathBuf::from(value));
            }
            // A value clap would refuse goes to clap, which says why.
            "--min-ttl" if min_ttl.is_none() => {
                let value = words.next()?.to_str()?;
                if value.starts_with('-') {
                    return None;
                }
                min_ttl = Some(crate::util::duration::parse(value).ok()?);
            }
            _ if word.starts_with("--min-ttl=") && min_ttl.is_none() => {
                let value = &word["--min-ttl=".len()..];
                min_ttl = Some(crate::util::duration::parse(value).ok()?);
            }
            _ if profile.is_none() && plain_name(word) => profile = Some(word.to_string()),
            _ => return None,
        }
    }
    Some(Cli {
        command: None,
        profile: Some(profile?),
        get: GetOptions {
            header,
            fetch: FetchOptions {
                min_ttl,
                ..FetchOptions::default()
            },
            ..GetOptions::default()
        },
        config,
        verbose: false,
        no_interactive: false,
        quiet: false,
    })
}

/// A word clap takes as the profile: not empty, no option, no command.
fn plain_name(word: &str) -> bool {
    !word.is_empty() && !word.starts_with('-') && !COMMANDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    fn args(words: &[&str]) -> Vec<OsString> {
        std::iter::once("gettoken")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn the_command_names_are_the_definitions() {
        let mut defined: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .chain(std::iter::once("help".to_string()))
            .collect();
        let mut listed: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
        defined.sort();
        listed.sort();
        assert_eq!(listed, defined);
        for c in Cli::command().get_subcommands() {
            assert_eq!(c.get_all_aliases().count(), 0, "{}: an alias", c.get_name());
        }
    }

    #[test]
    fn reads_what_clap_reads() {
        for words in [
            &["prod"][..],
            &["prod", "-H"],
            &["-H", "prod"],
            &["prod", "--header"],
            &["--config", "p.toml", "prod"],
            &["prod", "--config", "p.toml", "-H"],
            &["--config=p.toml", "prod"],
            &["prod", "--config=x=y.toml"],
            &["a.b"],
            &["prod", "--config", "~/p.toml"],
            &["é"],
            &["prod", "--min-ttl", "5m"],
            &["--min-ttl=90s", "prod", "-H"],
            &["prod", "--min-ttl", "3595s", "--config", "p.toml"],
            &["prod", "--min-ttl", " 2h "],
        ] {
            let fast = parse(&args(words)).unwrap_or_else(|| panic!("{words:?}"));
            let clap = Cli::try_parse_from(args(words)).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
        }
    }

    #[test]
    fn leaves_the_rest_to_clap() {
        for words in [
            &[][..],
            &["-H"],
            &["list"],
            &["help"],
            &["get", "prod"],
            &["prod", "other"],
            &["prod", "-H", "-H"],
            &["prod", "--config", "a", "--config", "b"],
            &["prod", "--config"],
            &["prod", "--config="],
            &["prod", "--config", "-H"],
            &["prod", "-v"],
            &["prod", "-q"],
            &["prod", "--format", "json"],
            &["prod", "--"],
            &["--", "prod"],
            &["-"],
            &["prod", "-Hv"],
            &["prod", "--min-ttl"],
            &["prod", "--min-ttl="],
            &["prod", "--min-ttl", "5"],
            &["prod", "--min-ttl", "-5m"],
            &["prod", "--min-ttl", "5m", "--min-ttl", "6m"],
            &["prod", "--min-ttl", "5m", "--force"],
            &["--version"],
            &["--help"],
        ] {
            assert!(parse(&args(words)).is_none(), "{words:?}");
        }
    }
}
