//! gettoken: fetch an API access token by profile, cache it in the OS
//! keyring until it expires, print it. `main` parses, runs, and turns an
//! error into a message and an exit status, in one place.

use clap::Parser;
use gettoken::cli::{self, complete};
use gettoken::{commands, error, log};

fn main() {
    gettoken::util::no_dump::forbid_core_dumps();
    complete::answer_if_asked();
    let args = cli::by_name::args_by_name(std::env::args_os().collect());
    let cli = cli::fast::parse(&args).unwrap_or_else(|| cli::Cli::parse_from(args));
    if let Err(err) = commands::run(cli) {
        log::error(format!("{err:#}"));
        if let Some(hint) = error::hint(&err) {
            log::hint(hint);
        }
        std::process::exit(error::exit_code(&err));
    }
}
