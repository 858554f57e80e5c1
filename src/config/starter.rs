//! `gettoken init`: the commented starter profiles file, written where the
//! profiles file is looked for, never over an existing one.

use std::io::Write;
use std::path::Path;

use crate::error::Failure;

/// The starter file. It passes `gettoken config check` as it is.
pub const TEXT: &str = include_str!("starter.toml");

/// Writes [`TEXT`] to `path` (mode 0600, parent directories created 0700).
/// An existing file is left alone: exit 2.
pub fn write(path: &Path) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::util::fs::private_dir(dir).map_err(|e| {
            Failure::usage(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    // create_new: refuse atomically if anything is there, even a dangling link.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::usage(format!(
                "{} already exists: not overwritten (edit it, or move it away and run `gettoken init` again)",
                path.display()
            ))
        } else {
            Failure::usage(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    file.write_all(TEXT.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}
