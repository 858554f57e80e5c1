//! gettoken: fetch an API access token by profile, cache it in the OS
//! keyring until it expires, print it. `main` parses, runs, and turns an
//! error into a message and an exit status, in one place.

mod app;
mod assertion;
mod authcode;
mod browser;
mod cache;
mod cli;
mod complete;
mod config;
mod device;
mod discovery;
mod duration;
mod error;
mod exec;
mod fetch;
mod git_credential;
mod http;
mod jwt;
mod lock;
mod log;
mod man;
mod output;
mod random;
mod redact;
mod request;
mod resolve;
mod response;
mod secret;
mod store;
mod suggest;
mod token;

use clap::Parser;

fn main() {
    complete::answer_if_asked();
    let cli = cli::Cli::parse();
    if let Err(err) = app::run(cli) {
        eprintln!("gettoken: error: {}", redact::scrub(&format!("{err:#}")));
        if let Some(hint) = error::hint(&err) {
            eprintln!("gettoken: hint: {hint}");
        }
        std::process::exit(error::exit_code(&err));
    }
}
