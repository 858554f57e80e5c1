//! gettoken: fetch an API access token by profile, cache it in the OS
//! keyring until it expires, print it. `main` parses, runs, and turns an
//! error into a message and an exit status, in one place.

use clap::Parser;
use gettoken::cli::{self, complete};
use gettoken::secrets::redact;
use gettoken::{commands, error};

fn main() {
    gettoken::util::no_dump::forbid_core_dumps();
    complete::answer_if_asked();
    let cli = cli::Cli::parse();
    if let Err(err) = commands::run(cli) {
        eprintln!("gettoken: error: {}", redact::scrub(&format!("{err:#}")));
        if let Some(hint) = error::hint(&err) {
            eprintln!("gettoken: hint: {hint}");
        }
        std::process::exit(error::exit_code(&err));
    }
}
