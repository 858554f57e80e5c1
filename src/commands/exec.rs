//! `gettoken exec PROFILE -- CMD`: running a command with the token in its
//! environment.
//!
//! On Unix gettoken replaces itself with the command (execvp(3)): the
//! command gets gettoken's process id, terminal and signals, and its exit
//! status, or the signal that ended it, is what the caller sees (a shell
//! reports 128+N), with nothing in between to forward or translate. Rust's
//! std resets SIGPIPE, which it ignores for itself, to the default before
//! the exec, so `gettoken exec P -- yes | head -1` ends as it would alone.
//! Elsewhere the command runs as a child and its exit code is passed on.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use super::{load_profile, token};
use crate::cli::FetchOptions;
use crate::error::{Failure, Kind, NOT_FOUND, NOT_RUNNABLE};
use crate::secrets::Secret;

/// Replaces gettoken with `command`, the token in `$var` (see exec.rs).
pub fn run(
    flag: &Option<PathBuf>,
    name: &str,
    var: &str,
    options: &FetchOptions,
    command: &[OsString],
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let token = token(&profile, options)?;
    Err(replace_with(command, var, &token.access_token))
}

/// Runs `argv` with `var` set to `token`. On Unix it returns only when the
/// command could not be started.
fn replace_with(argv: &[OsString], var: &str, token: &Secret) -> anyhow::Error {
    let (program, args) = argv.split_first().expect("clap: CMD is required");
    let mut cmd = Command::new(program);
    cmd.args(args).env(var, token.expose());
    let shown = program.to_string_lossy();
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        cannot_run(&shown, &cmd.exec())
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            // No exec(2) here: pass the child's exit code on, from here.
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(e) => cannot_run(&shown, &e),
        }
    }
}

/// [`NOT_FOUND`] (127) when the command is not found, [`NOT_RUNNABLE`]
/// (126) when it cannot be run, as shells do.
pub(super) fn cannot_run(program: &str, err: &std::io::Error) -> anyhow::Error {
    let (code, what) = match err.kind() {
        std::io::ErrorKind::NotFound => (NOT_FOUND, "not found"),
        _ => (NOT_RUNNABLE, "cannot be run"),
    };
    Failure {
        kind: Kind::Command(code),
        message: format!("command `{program}` {what}: {err}"),
        hint: None,
    }
    .into()
}
