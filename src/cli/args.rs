//! The command line, as one clap definition. Parsing does no I/O.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use super::candidates::profile_names;
use crate::config::Format;
use crate::output::DEFAULT_ENV;

const EXAMPLES: &str = "\
Examples:
  gettoken prod                      print the token of profile `prod`
  curl -H \"$(gettoken prod -H)\" https://api.example.com/v1/things
  TOKEN=$(gettoken ci) && ./deploy.sh
  gettoken prod --format json        token, type, expiry and scope as JSON
  gettoken exec prod -- ./deploy.sh  run a command with $GETTOKEN_TOKEN set
  curl -H \"$(gettoken api -H)\" -H \"$(gettoken dpop api GET URL)\" URL   a DPoP-bound token
  eval \"$(gettoken prod --format env)\"   export GETTOKEN_TOKEN in this shell
  gettoken show prod                 what is cached, when it expires, JWT claims
  gettoken list                      profiles and what is cached
  gettoken forget prod               drop the cached token
  gettoken config check              validate every profile, offline

Profiles live in ~/.config/gettoken/profiles.toml (see --config).";

/// The `--help` footer: the examples, then the exit statuses
/// (`crate::error::EXIT_STATUSES`, the table the man page shows too).
fn after_help() -> String {
    format!(
        "{EXAMPLES}\n{}",
        wrap(&crate::error::exit_status_summary(), 76)
    )
}

/// `text` in lines of at most `width` columns, broken between words.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

/// Fetch API access tokens by profile, cache them in the OS keyring until
/// they expire, and print the token or an Authorization header.
#[derive(Debug, Parser)]
#[command(
    name = "gettoken",
    version,
    after_help = after_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The profile whose token to print
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
    pub profile: Option<String>,

    #[command(flatten)]
    pub get: GetOptions,

    /// The profiles file [default: $GETTOKEN_CONFIG, else ~/.config/gettoken/profiles.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Show requests and replies on stderr, every secret and token redacted
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Never start a device or browser login or ask on the terminal: exit 3 instead (same as GETTOKEN_INTERACTIVE=never)
    #[arg(long, global = true)]
    pub no_interactive: bool,
    /// No warnings or notes on stderr (errors still print): for scripts that want only the exit status
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
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

    /// The variable named by --format env [default: GETTOKEN_TOKEN] (implies --format env)
    #[arg(long, value_name = "NAME", value_parser = parse_env_name, conflicts_with = "header")]
    pub env: Option<String>,

    #[command(flatten)]
    pub fetch: FetchOptions,
}

/// How a command that needs a token may use the cache.
#[derive(Debug, Clone, Default, Args)]
pub struct FetchOptions {
    /// Renew a cached token with less than this left (e.g. 5m), overriding `min_ttl`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,

    /// Fetch a new token even if a cached one is valid (and cache it)
    #[arg(long)]
    pub force: bool,

    /// Neither read nor write the cache
    #[arg(long)]
    pub no_cache: bool,

    /// Use the OpenID Connect ID token of the reply instead of the access token
    #[arg(long)]
    pub id_token: bool,

    #[command(flatten)]
    pub ask: AskOptions,
}

/// What a call asks for beyond its profile (flavour "oauth2"): a cache
/// entry of its own.
#[derive(Debug, Clone, Default, Args)]
pub struct AskOptions {
    /// Ask for this scope instead of the profile's (repeatable; space-separated values split)
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Ask for this audience instead of the profile's
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,

    /// Ask for this resource (RFC 8707) instead of the profile's
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,

    /// Send this extra field, over the profile's `params` (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

impl AskOptions {
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            scope: self
                .scope
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_string)
                .collect(),
            audience: self.audience.clone(),
            resource: self.resource.clone(),
            params: self.params.clone(),
        }
    }
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

impl GetOptions {
    /// Whether any option was given.
    pub fn any_set(&self) -> bool {
        self.header
            || self.format.is_some()
            || self.env.is_some()
            || self.fetch.min_ttl.is_some()
            || self.fetch.force
            || self.fetch.no_cache
            || self.fetch.id_token
            || !self.fetch.ask.overrides().is_empty()
    }

    /// The output format asked for on the command line, if any.
    pub fn format(&self) -> Option<Format> {
        if self.header {
            Some(Format::Header)
        } else if self.format.is_none() && self.env.is_some() {
            Some(Format::Env)
        } else {
            self.format
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a profile's token (the same as `gettoken PROFILE`)
    Get {
        /// The profile whose token to print
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
        #[command(flatten)]
        options: GetOptions,
    },
    /// Run a command with the profile's token in an environment variable
    ///
    /// The token goes in $GETTOKEN_TOKEN (or --env NAME), never on a command
    /// line. On Unix gettoken replaces itself with CMD (exec), so CMD's exit
    /// status and signals are its own. CMD not found: exit 127; found but not
    /// runnable: exit 126.
    #[command(
        after_help = "Example:\n  gettoken exec prod -- sh -c 'curl -H \"Authorization: Bearer $GETTOKEN_TOKEN\" https://api.example.com/'"
    )]
    Exec {
        /// The profile whose token the command gets
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// The environment variable to put the token in
        #[arg(long, value_name = "NAME", default_value = DEFAULT_ENV, value_parser = parse_env_name)]
        env: String,
        #[command(flatten)]
        fetch: FetchOptions,
        /// Keep CMD supplied past the token's lifetime: the token in a 0600 file named by $GETTOKEN_TOKEN_FILE, renewed before it expires; signals passed on; the file removed at the end
        #[arg(long)]
        refresh: bool,
        /// The command and its arguments (after `--`)
        #[arg(
            value_name = "CMD",
            required = true,
            num_args = 1..,
            trailing_var_arg = true
        )]
        command: Vec<OsString>,
    },
    /// Show what is known of a profile and its cached token, without fetching
    ///
    /// Flavour, endpoint, cache store, expiry and time left, scope, token
    /// type, and for a JWT its decoded header and claims (not verified). The
    /// token itself only with --reveal.
    Show {
        /// The profile to describe
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// Print the token itself too
        #[arg(long)]
        reveal: bool,
        #[command(flatten)]
        ask: AskOptions,
        /// Print JSON (stable field names: docs/CONFIG.md)
        #[arg(long)]
        json: bool,
    },
    /// List the profiles, their flavour and what is cached
    List {
        /// Print JSON, one object per profile (stable field names: docs/CONFIG.md)
        #[arg(long)]
        json: bool,
    },
    /// Log in now: run the profile's interactive grant whatever is cached, and cache the result
    ///
    /// Also ends a login cool-down (`login_cooldown`). Prints nothing on
    /// stdout; for scripts that need the token, `gettoken PROFILE` after it.
    ///
    /// One login for many APIs: profiles with `refresh_from = "me"` take the
    /// refresh token of `me`'s login, each with its own scope or resource;
    /// `gettoken login me` once, then `gettoken graph`, `gettoken storage`...
    Login {
        /// The profile to log in
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
    },
    /// Log out: revoke the cached refresh and access tokens at the server, then forget them
    ///
    /// RFC 7009, at the discovered `revocation_endpoint` or the profile's
    /// `revocation_url`, with the profile's client authentication; a refusal
    /// is a warning, and the tokens are forgotten locally whatever happens.
    Logout {
        /// The profile to log out
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
    },
    /// Drop cached tokens
    Forget {
        /// The profile whose cached token to drop
        #[arg(
            value_name = "PROFILE",
            required_unless_present = "all",
            add = ArgValueCandidates::new(profile_names)
        )]
        profile: Option<String>,
        /// Drop the cached tokens of every profile in the file
        #[arg(long, conflicts_with = "profile")]
        all: bool,
    },
    /// A git credential helper: answers git with the profile's token
    ///
    /// In git's config: credential.helper = "!gettoken git-credential PROFILE".
    /// `get` answers a username (the profile's `git_username`, default
    /// "oauth2") and the token as password, with password_expiry_utc; `erase`
    /// forgets the cached token; `store` and anything else is ignored.
    #[command(name = "git-credential")]
    GitCredential {
        /// The profile whose token git gets
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// What git asks: get, store or erase
        #[arg(value_name = "OPERATION")]
        operation: String,
    },
    /// A docker credential helper: the token of the profile
    /// `[consumers.docker]` names for the registry
    ///
    /// docker runs `docker-credential-gettoken` (a link to gettoken that
    /// `gettoken install-helpers DIR` makes) for registries listed under
    /// `credHelpers` in its config.json. `get` answers the profile's
    /// `docker_username` (default "oauth2accesstoken") and the token;
    /// `erase` forgets the cached token; `store` is ignored; `list` names
    /// the registries of [consumers.docker].
    #[command(name = "docker-credential")]
    DockerCredential {
        /// What docker asks: get, store, erase or list
        #[arg(value_name = "OPERATION")]
        operation: String,
    },
    /// cargo's credential provider: the token of the profile named, or of
    /// the one `[consumers.cargo]` names for the registry
    ///
    /// In cargo's config: `credential-provider = ["gettoken",
    /// "cargo-credential"]` under `[registries.NAME]` (or
    /// `["gettoken", "cargo-credential", "PROFILE"]`). cargo adds
    /// `--cargo-plugin` and speaks its JSON-lines protocol on stdin and
    /// stdout: `get` answers the token (cached by cargo until it expires),
    /// `login` runs the profile's login, `logout` forgets the cached token.
    #[command(name = "cargo-credential")]
    CargoCredential {
        /// The profile (default: from [consumers.cargo] by the registry's host or name)
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: Option<String>,
        /// Put SCHEME and a space before the token (`--scheme Bearer`), for
        /// registries that want `Authorization: Bearer TOKEN`
        #[arg(long, value_name = "SCHEME")]
        scheme: Option<String>,
        /// Set by cargo when it runs a credential provider
        #[arg(long = "cargo-plugin", hide = true)]
        cargo_plugin: bool,
    },
    /// terraform's credentials helper: the token of the profile
    /// `[consumers.terraform]` names for the host
    ///
    /// terraform runs `terraform-credentials-gettoken` (a link to gettoken
    /// that `gettoken install-helpers DIR` makes, in its plugins directory
    /// ~/.terraform.d/plugins) when its CLI config says
    /// `credentials_helper "gettoken" {}`. `get` prints `{"token": ...}`
    /// (`{}` for a host no profile serves); `forget` forgets the cached
    /// token; `store` is ignored.
    #[command(name = "terraform-credentials")]
    TerraformCredentials {
        /// What terraform asks: get, store or forget
        #[arg(value_name = "OPERATION")]
        operation: String,
        /// The host terraform asks about (app.terraform.io, registry.example:8443)
        #[arg(value_name = "HOST")]
        host: String,
    },
    /// pnpm's tokenHelper: prints `Bearer TOKEN` for the profile
    ///
    /// pnpm runs the helper by an absolute path without arguments: in the
    /// user's ~/.npmrc, `//registry.example/:tokenHelper=DIR/gettoken-npm-PROFILE`,
    /// a link `gettoken install-helpers DIR --npm PROFILE` makes. pnpm
    /// hides the helper's stderr, so no login is started: run
    /// `gettoken login PROFILE` first when the profile needs one.
    #[command(name = "npm-token")]
    NpmToken {
        /// The profile whose token pnpm sends
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
    },
    /// Print a DPoP proof (RFC 9449) for one request to a DPoP-protected API
    ///
    /// For a profile with `dpop = true`: a `DPoP: <proof>` header line for
    /// METHOD and URL, signed with the profile's DPoP key, with `ath` (the
    /// hash of the profile's token, cached or fetched now as `gettoken
    /// PROFILE` would) and a fresh `jti` and `iat`. A proof is good for one
    /// request: make a new one for each. Send it with the token's own
    /// header line (`Authorization: DPoP <token>`, from `gettoken PROFILE -H`).
    #[command(
        after_help = "Example:\n  curl -H \"$(gettoken api -H)\" -H \"$(gettoken dpop api GET https://api.example/x)\" https://api.example/x"
    )]
    Dpop {
        /// The profile (with `dpop = true`) whose key signs and whose token the proof is for
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// The request's HTTP method (GET, POST, ...)
        #[arg(value_name = "METHOD")]
        method: String,
        /// The request's URL (its query and fragment are left out of `htu`)
        #[arg(value_name = "URL")]
        url: String,
        /// The resource server's `DPoP-Nonce`, when it asked for one (401 with error="use_dpop_nonce")
        #[arg(long, value_name = "NONCE")]
        nonce: Option<String>,
        /// Print the proof alone, without `DPoP: ` before it
        #[arg(long)]
        value: bool,
    },
    /// Link the helper names tools look for to this binary, in DIR
    ///
    /// Makes DIR/docker-credential-gettoken, DIR/cargo-credential-gettoken and
    /// DIR/terraform-credentials-gettoken, symbolic links to gettoken; an
    /// existing link to gettoken is replaced, any other file is left alone.
    #[command(name = "install-helpers")]
    InstallHelpers {
        /// The directory (on docker's PATH; terraform's plugins directory)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Also make DIR/gettoken-npm-PROFILE, pnpm's tokenHelper for the
        /// profile (repeatable)
        #[arg(long = "npm", value_name = "PROFILE", add = ArgValueCandidates::new(profile_names))]
        npm: Vec<String>,
    },
    /// The profiles file: check it, or say where it is
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write a commented starter profiles file (never over an existing one)
    Init,
    /// Keep a secret in the OS keyring, for `{ keyring = "NAME" }` values
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Print a shell completion script (it completes profile names too)
    ///
    /// bash: `source <(gettoken completions bash)` in ~/.bashrc;
    /// zsh: `source <(gettoken completions zsh)` in ~/.zshrc;
    /// fish: `gettoken completions fish | source` in ~/.config/fish/config.fish;
    /// PowerShell: `gettoken completions powershell | Out-String | Invoke-Expression` in $PROFILE.
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff; `gettoken man | man -l -`), or write one page per command into DIR
    Man {
        /// Write gettoken.1 and a page per command into this directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate every profile offline; list every problem; exit 2 if there is any
    ///
    /// Every problem of every table in one run, one line each, as
    /// FILE:LINE:COL: profile `NAME`: key `KEY`: MESSAGE; warnings (a secret
    /// written out in a file others can read) counted apart, exit 0 when
    /// they are all there is. Example: `gettoken config check && gettoken prod`
    Check,
    /// Print the path of the profiles file that would be used
    Path,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret, read from the terminal without echo (or from stdin when it is not a terminal)
    ///
    /// A refresh token stored so (`refresh_token = { keyring = "NAME" }`,
    /// grant "refresh_token") is the live one: when the endpoint rotates
    /// it, the new one is written back here.
    ///
    /// Example: `gettoken secret set jira-refresh-token < token.txt`
    Set { name: String },
    /// Delete a stored secret
    Delete { name: String },
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::util::duration::parse(text)
}

/// An environment variable name a shell can `export`: a letter or `_`,
/// then letters, digits and `_`.
pub fn parse_env_name(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a shell variable name: use letters, digits and _, not starting with a digit"
        ))
    }
}

/// Names no profile may take: the commands of the original contract
/// (docs/CONFIG.md) and `help`. Commands added since reserve nothing, so a
/// profiles file that worked keeps working: a profile named like one
/// (`show`, say) is reached with `gettoken get show`, and `config check`
/// says so.
pub const RESERVED: [&str; 6] = ["get", "list", "forget", "secret", "completions", "help"];

pub fn reserved_names() -> Vec<String> {
    RESERVED.iter().map(|s| s.to_string()).collect()
}

/// Commands whose names a profile may take, but then reaches only through
/// `gettoken get NAME`.
pub fn shadowing_commands() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| !RESERVED.contains(&n.as_str()))
        .collect()
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
            Some(Command::List { json: false })
        ));
        assert!(reserved_names().contains(&"list".to_string()));
        assert!(reserved_names().contains(&"help".to_string()));
    }

    #[test]
    fn options_are_checked() {
        assert!(parse(&["prod", "-H", "--format", "json"]).is_err());
        assert!(parse(&["prod", "--min-ttl", "5"]).is_err());
        assert_eq!(
            parse(&["prod", "--min-ttl", "5m"])
                .unwrap()
                .get
                .fetch
                .min_ttl,
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

    #[test]
    fn exec_takes_everything_after_the_profile() {
        match parse(&["exec", "prod", "--env", "T", "--", "curl", "-v", "--env"])
            .unwrap()
            .command
        {
            Some(Command::Exec {
                profile,
                env,
                command,
                ..
            }) => {
                assert_eq!(profile, "prod");
                assert_eq!(env, "T");
                assert_eq!(command, ["curl", "-v", "--env"]);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["exec", "prod", "env"]).unwrap().command {
            Some(Command::Exec { env, command, .. }) => {
                assert_eq!(env, DEFAULT_ENV);
                assert_eq!(command, ["env"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["exec", "prod"]).is_err());
        assert!(parse(&["exec", "prod", "--env", "9x", "--", "env"]).is_err());
    }

    #[test]
    fn env_names_are_shell_identifiers() {
        for good in ["A", "_", "API_TOKEN", "x9"] {
            assert!(parse_env_name(good).is_ok(), "{good}");
        }
        for bad in ["", "9x", "A-B", "A=B", "A B", "É"] {
            assert!(parse_env_name(bad).is_err(), "{bad}");
        }
        let cli = parse(&["prod", "--env", "API"]).unwrap();
        assert_eq!(cli.get.format(), Some(Format::Env));
        assert!(parse(&["prod", "--env", "API", "-H"]).is_err());
    }

    #[test]
    fn the_new_commands_parse_and_reserve_no_names() {
        assert!(matches!(
            parse(&["git-credential", "p", "get"]).unwrap().command,
            Some(Command::GitCredential { .. })
        ));
        assert!(matches!(
            parse(&["config", "check"]).unwrap().command,
            Some(Command::Config(ConfigCommand::Check))
        ));
        assert!(matches!(
            parse(&["show", "p", "--reveal"]).unwrap().command,
            Some(Command::Show { reveal: true, .. })
        ));
        let reserved = reserved_names();
        let shadowing = shadowing_commands();
        for name in ["exec", "show", "config", "init", "git-credential", "man"] {
            assert!(!reserved.contains(&name.to_string()), "{name}");
            assert!(shadowing.contains(&name.to_string()), "{name}");
        }
        for name in ["get", "list", "forget", "secret", "completions"] {
            assert!(reserved.contains(&name.to_string()), "{name}");
            assert!(!shadowing.contains(&name.to_string()), "{name}");
        }
    }
}
