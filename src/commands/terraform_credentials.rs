//! `gettoken terraform-credentials get|store|forget HOST` (also reached as
//! `terraform-credentials-gettoken`, the name terraform looks for in its
//! plugins directory when the CLI config says `credentials_helper
//! "gettoken" {}`): terraform's credentials helper, the profile found in
//! `[consumers.terraform]` by the host.

use std::path::PathBuf;

use super::{load, print_line, spent, token};
use crate::cli::FetchOptions;
use crate::config::consumers::Consumer;
use crate::error::Failure;
use crate::util::text::escape_for_terminal;

/// The most of `store`'s JSON gettoken reads (and drops).
const MAX_STORE: usize = 64 * 1024;

pub fn run(flag: &Option<PathBuf>, operation: &str, host: &str) -> anyhow::Result<()> {
    crate::log::debug!(
        "terraform asks {} for {}",
        escape_for_terminal(operation),
        escape_for_terminal(host)
    );
    match operation {
        "get" => match load(flag)?.profile_for(Consumer::Terraform, host)? {
            // Nothing for this host: terraform goes on without a token.
            None => print_line("{}"),
            Some(profile) => {
                let token = token(&profile, &FetchOptions::default())?;
                print_line(&serde_json::json!({ "token": token.access_token.expose() }).to_string())
            }
        },
        "forget" => match load(flag)?.profile_for(Consumer::Terraform, host)? {
            Some(profile) => spent::drop_token(&profile, None),
            None => Ok(()),
        },
        // `store`: `terraform login` offers a token; gettoken's come from
        // the profile, so it is read and dropped.
        "store" => spent::read_stdin(MAX_STORE, "terraform's credentials").map(drop),
        other => Err(Failure::usage(format!(
            "terraform-credentials: unknown operation `{}`: get, store or forget",
            escape_for_terminal(other)
        ))
        .into()),
    }
}
