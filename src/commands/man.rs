//! `gettoken man [--dir DIR]`: the man pages.

use std::path::Path;

use anyhow::Context;

use super::print_line;

pub fn run(dir: Option<&Path>) -> anyhow::Result<()> {
    match dir {
        Some(dir) => {
            let written = crate::cli::man::write_all(dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
            for path in written {
                crate::log::note(format!("wrote {}", path.display()));
            }
            Ok(())
        }
        None => print_line(String::from_utf8_lossy(&crate::cli::man::page()?).trim_end()),
    }
}
