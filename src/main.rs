//! gettoken: fetch an API access token by profile, cache it in the OS
//! keyring until it expires, print it. `main` parses, runs, and turns an
//! error into a message and an exit status, in one place.

use clap::Parser;
use gettoken::cli::{self, complete};
use gettoken::{commands, error, log};

fn main() {
    gettoken::util::no_dump::forbid_core_dumps();
    complete::answer_if_asked();
    let cli = cli::Cli::parse_from(cli::by_name::args_by_name(std::env::args_os().collect()));
    if let Err(err) = commands::run(cli) {
        log::error(format!("{err:#}"));
        if let Some(hint) = error::hint(&err) {
            log::hint(hint);
        }
        std::process::exit(error::exit_code(&err));
    }
}
