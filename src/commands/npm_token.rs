//! `gettoken npm-token PROFILE` (also reached as `gettoken-npm-PROFILE`, a
//! link `gettoken install-helpers DIR --npm PROFILE` makes): pnpm's
//! `tokenHelper`. pnpm runs the helper by an absolute path without
//! arguments and sends what it prints as the `Authorization` header's
//! value, so the profile comes from the link's name and the output is
//! `Bearer TOKEN` (the profile's `scheme`). pnpm hides the helper's
//! stderr, so no login is started: it fails at once, naming the command.

use std::path::PathBuf;

use super::{load_profile, print_line, token_for};
use crate::cli::FetchOptions;

pub fn run(flag: &Option<PathBuf>, name: &str) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let token = token_for(&profile, &FetchOptions::default(), true)?;
    let scheme = crate::output::scheme(&profile, &token);
    let value = token.access_token.expose();
    if scheme.is_empty() {
        print_line(value)
    } else {
        print_line(&format!("{scheme} {value}"))
    }
}
