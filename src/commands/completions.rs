//! `gettoken completions SHELL`: the completion script.

use super::print_line;
use crate::error::Failure;

pub fn run(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let script = crate::cli::complete::script(shell).map_err(Failure::usage)?;
    print_line(&script)
}
