//! `gettoken git-credential PROFILE get|erase|store`: git's credential
//! helper (the protocol itself is `protocol::git_credential`).

use std::io::{BufRead, Read};
use std::path::PathBuf;

use anyhow::Context;

use super::{load_profile, print_line, token};
use crate::cli::FetchOptions;
use crate::error::Failure;
use crate::protocol::git_credential;

/// git's credential helper protocol: `get` answers with the token, `erase`
/// forgets it, anything else (`store`) is read and ignored.
pub fn run(flag: &Option<PathBuf>, name: &str, operation: &str) -> anyhow::Result<()> {
    let request = read_request()?;
    match operation {
        "get" => {
            crate::log::debug!("git asks for {}", request.describe());
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
            super::spent::drop_token(&profile, request.password.as_ref())
        }
        _ => Ok(()),
    }
}

/// git's request on stdin: lines up to a blank line or the end, at most
/// [`git_credential::MAX_REQUEST`] bytes.
fn read_request() -> anyhow::Result<git_credential::Request> {
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
