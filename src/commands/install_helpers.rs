//! `gettoken install-helpers DIR [--npm PROFILE]...`: the links tools find
//! helpers by (`docker-credential-gettoken`, `cargo-credential-gettoken`,
//! `terraform-credentials-gettoken`, and `gettoken-npm-PROFILE` for pnpm),
//! each a symbolic link to this binary.

use std::path::Path;

use anyhow::Context;

use super::print_line;
use crate::cli::by_name::{HELPERS, npm_helper};
use crate::error::Failure;

pub fn run(dir: &Path, npm_profiles: &[String]) -> anyhow::Result<()> {
    let target = std::env::current_exe().context("finding the gettoken binary")?;
    let target = target.canonicalize().unwrap_or(target);
    if !dir.is_dir() {
        return Err(Failure::usage(format!(
            "{} is not a directory: create it first",
            dir.display()
        ))
        .into());
    }
    let mut names: Vec<String> = HELPERS.iter().map(|(name, _)| name.to_string()).collect();
    for profile in npm_profiles {
        names.push(npm_helper(profile).map_err(Failure::usage)?);
    }
    for name in &names {
        let link = dir.join(name);
        match std::fs::symlink_metadata(&link) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let points_to = std::fs::read_link(&link).unwrap_or_default();
                let ours = points_to
                    .file_stem()
                    .is_some_and(|s| s == "gettoken" || points_to == target);
                if !ours {
                    return Err(Failure::usage(format!(
                        "{} is a link to {}, not to gettoken: left alone",
                        link.display(),
                        points_to.display()
                    ))
                    .into());
                }
                std::fs::remove_file(&link)
                    .with_context(|| format!("replacing {}", link.display()))?;
            }
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "{} exists and is not a link to gettoken: left alone",
                    link.display()
                ))
                .into());
            }
            Err(_) => {}
        }
        link_to(&target, &link).with_context(|| format!("linking {}", link.display()))?;
        print_line(&link.display().to_string())?;
    }
    Ok(())
}

#[cfg(unix)]
fn link_to(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn link_to(target: &Path, link: &Path) -> std::io::Result<()> {
    // A link needs a privilege on Windows; a copy works everywhere.
    std::fs::copy(target, link.with_extension("exe")).map(|_| ())
}
