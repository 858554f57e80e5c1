//! `gettoken config check` and `gettoken config path`.

use std::path::PathBuf;

use super::print_line;
use crate::config;
use crate::error::Failure;

/// Every profile validated, every problem listed; exit 2 when any.
pub fn check(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let report = config::check::check(&path, &reserved)?;
    for warning in &report.warnings {
        crate::log::warn(warning);
    }
    let shadowing = crate::cli::shadowing_commands();
    for name in report.names.iter().filter(|n| shadowing.contains(n)) {
        crate::log::warn(format!(
            "profile `{name}` has the name of the command `gettoken {name}`: get its token with `gettoken get {name}`"
        ));
    }
    if report.problems.is_empty() {
        let n = report.names.len();
        let s = if n == 1 { "" } else { "s" };
        return print_line(&format!("{}: {n} profile{s}, no problems", path.display()));
    }
    for problem in &report.problems {
        crate::log::error(problem);
    }
    let n = report.problems.len();
    Err(Failure::usage(format!(
        "{}: {n} problem{}",
        path.display(),
        if n == 1 { "" } else { "s" }
    ))
    .into())
}

/// The path of the profiles file that would be used.
pub fn path(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    if !path.exists() {
        crate::log::note(format!(
            "{} does not exist yet: `gettoken init` writes a starter file there",
            path.display()
        ));
    }
    print_line(&path.display().to_string())
}
