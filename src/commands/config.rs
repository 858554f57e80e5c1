//! `gettoken config check` and `gettoken config path`.

use std::path::PathBuf;

use super::print_line;
use crate::config;
use crate::error::Failure;

/// The whole file checked, every problem and warning listed, one line
/// each; exit 2 when there is any problem, 0 with only warnings.
pub fn check(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let shadowing = crate::cli::shadowing_commands();
    let shadowing: Vec<&str> = shadowing.iter().map(String::as_str).collect();
    let report = config::check::check(&path, &reserved, &shadowing)?;
    for warning in &report.warnings {
        crate::log::warn(warning.render(&path));
    }
    for problem in &report.problems {
        crate::log::error(problem.render(&path));
    }
    let summary = report.summary(&path);
    if report.problems.is_empty() {
        return print_line(&summary);
    }
    Err(Failure::usage(summary).into())
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
