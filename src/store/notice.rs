//! Warnings said once: a file `NAME.notice` beside the profile's lock (in
//! the same trusted lock directory) holds the text of the last warning
//! given for that profile, so the same warning is not repeated on every
//! call; a different one (the profile changed) is said again.

use std::path::Path;

use crate::util::atomic::write_private;
use crate::util::fs::{Links, file_name, open_regular, read_capped};

fn marker(name: &str) -> String {
    format!("{}.notice", file_name(name))
}

/// Whether `text` is new for profile `name` (and now remembered): `false`
/// when the marker already holds it. A marker that cannot be read or
/// written (never a link) lets the warning through.
pub fn first(dir: &Path, name: &str, text: &str) -> bool {
    let path = dir.join(marker(name));
    let said = open_regular(&path, Links::Refuse)
        .ok()
        .and_then(|(file, meta)| read_capped(file, &meta, 4096).ok())
        .is_some_and(|bytes| String::from_utf8_lossy(&bytes).trim_end() == text);
    if said {
        return false;
    }
    if let Err(e) = write_private(dir, &marker(name), format!("{text}\n").as_bytes()) {
        crate::log::debug!("cannot remember a warning for `{name}`: {e}");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_said_once_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(first(dir.path(), "p", "min_ttl 60 60"));
        assert!(!first(dir.path(), "p", "min_ttl 60 60"));
        assert!(first(dir.path(), "q", "min_ttl 60 60"));
        assert!(first(dir.path(), "p", "min_ttl 90 60"));
        assert!(!first(dir.path(), "p", "min_ttl 90 60"));
    }
}
