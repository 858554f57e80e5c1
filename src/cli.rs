//! The command line, as one clap definition. Parsing does no I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::Format;

const EXAMPLES: &str = "\
Examples:
  gettoken prod                      print the token of profile `prod`
  curl -H \"$(gettoken prod -H)\" https://api.example.com/v1/things
  TOKEN=$(gettoken ci) && ./deploy.sh
  gettoken prod --format json        token, type, expiry and scope as JSON
  gettoken list                      profiles and what is cached
  gettoken forget prod               drop the cached token

Profiles live in ~/.config/gettoken/profiles.toml (see --config).
Exit status: 0 token printed, 2 usage or configuration error,
3 credentials refused, 4 endpoint unreachable or failing, 1 anything else.";

/// Fetch API access tokens by profile, cache them in the OS keyring until
/// they expire, and print the token or an Authorization header.
#[derive(Debug, Parser)]
#[command(
    name = "gettoken",
    version,
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The profile whose token to print
    #[arg(value_name = "PROFILE")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub get: GetOptions,

    /// The profiles file [default: $GETTOKEN_CONFIG, else ~/.config/gettoken/profiles.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Show requests and replies on stderr, every secret and token redacted
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Options for printing a profile's token.
#[derive(Debug, Clone, Default, Args)]
pub struct GetOptions {
    /// Print an `Authorization: Bearer <token>` line (same as --format header)
    #[arg(short = 'H', long, conflicts_with = "format")]
    pub header: bool,

    /// What to print, overriding the profile's `output`
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Renew a cached token with less than this left (e.g. 5m), overriding `min_ttl`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,

    /// Fetch a new token even if a cached one is valid (and cache it)
    #[arg(long)]
    pub force: bool,

    /// Neither read nor write the cache
    #[arg(long)]
    pub no_cache: bool,
}

impl GetOptions {
    /// Whether any option was given.
    pub fn any_set(&self) -> bool {
        self.header
            || self.format.is_some()
            || self.min_ttl.is_some()
            || self.force
            || self.no_cache
    }

    /// The output format asked for on the command line, if any.
    pub fn format(&self) -> Option<Format> {
        if self.header {
            Some(Format::Header)
        } else {
            self.format
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a profile's token (the same as `gettoken PROFILE`)
    Get {
        #[arg(value_name = "PROFILE")]
        profile: String,
        #[command(flatten)]
        options: GetOptions,
    },
    /// List the profiles, their flavour and what is cached
    List,
    /// Drop cached tokens
    Forget {
        /// The profile whose cached token to drop
        #[arg(value_name = "PROFILE", required_unless_present = "all")]
        profile: Option<String>,
        /// Drop the cached tokens of every profile in the file
        #[arg(long, conflicts_with = "profile")]
        all: bool,
    },
    /// Keep a secret in the OS keyring, for `{ keyring = "NAME" }` values
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret, read from the terminal without echo (or from stdin when it is not a terminal)
    Set { name: String },
    /// Delete a stored secret
    Delete { name: String },
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::duration::parse(text)
}

/// Names no profile may take: every subcommand, and `help`.
pub fn reserved_names() -> Vec<String> {
    use clap::CommandFactory;
    let mut names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    names.push("help".into());
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("gettoken").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn profile_and_get_are_the_same() {
        let a = parse(&["prod", "-H"]).unwrap();
        assert_eq!(a.profile.as_deref(), Some("prod"));
        assert_eq!(a.get.format(), Some(Format::Header));
        let b = parse(&["get", "prod", "--format", "json"]).unwrap();
        match b.command {
            Some(Command::Get { profile, options }) => {
                assert_eq!(profile, "prod");
                assert_eq!(options.format(), Some(Format::Json));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn subcommands_win_over_profiles() {
        assert!(matches!(
            parse(&["list"]).unwrap().command,
            Some(Command::List)
        ));
        assert!(reserved_names().contains(&"list".to_string()));
        assert!(reserved_names().contains(&"help".to_string()));
    }

    #[test]
    fn options_are_checked() {
        assert!(parse(&["prod", "-H", "--format", "json"]).is_err());
        assert!(parse(&["prod", "--min-ttl", "5"]).is_err());
        assert_eq!(
            parse(&["prod", "--min-ttl", "5m"]).unwrap().get.min_ttl,
            Some(Duration::from_secs(300))
        );
        assert!(parse(&["forget"]).is_err());
        assert!(parse(&["forget", "--all"]).is_ok());
        assert!(
            parse(&["-v", "prod", "--config", "x.toml"])
                .unwrap()
                .verbose
        );
    }
}
