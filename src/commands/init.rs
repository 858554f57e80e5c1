//! `gettoken init`: the starter profiles file.

use std::path::PathBuf;

use crate::config;

/// Writes the starter profiles file where the file is looked for.
pub fn run(flag: &Option<PathBuf>) -> anyhow::Result<()> {
    let path = config::locate(flag.as_deref())?;
    config::starter::write(&path)?;
    crate::log::note(format!(
        "wrote {}: edit it, then run `gettoken config check`",
        path.display()
    ));
    Ok(())
}
