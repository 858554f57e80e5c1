//! The login cool-down marker: after a login that was denied, expired or
//! left unanswered, a file `NAME.cooldown` beside the profile's lock (in
//! the same trusted lock directory) holds the Unix time until which no
//! other run starts a login for that profile. `gettoken login` and a login
//! that succeeds remove it.

use std::path::Path;

use crate::util::atomic::write_private;
use crate::util::fs::{Links, file_name, open_regular, read_capped};

fn marker(name: &str) -> String {
    format!("{}.cooldown", file_name(name))
}

/// The Unix time a marker's text holds; `None` when it holds none.
pub fn parse(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Seconds left of the cool-down; `None` when none is on (no marker, a
/// past one, or one not readable as a regular file: never a link).
pub fn left(dir: &Path, name: &str, now: i64) -> Option<i64> {
    let (file, meta) = open_regular(&dir.join(marker(name)), Links::Refuse).ok()?;
    let bytes = read_capped(file, &meta, 64).ok()?;
    let until = parse(&String::from_utf8_lossy(&bytes))?;
    (until > now).then_some(until - now)
}

pub fn start(dir: &Path, name: &str, until: i64) {
    if let Err(e) = write_private(dir, &marker(name), format!("{until}\n").as_bytes()) {
        crate::log::debug!("cannot write the login cool-down of `{name}`: {e}");
    }
}

pub fn end(dir: &Path, name: &str) {
    let _ = std::fs::remove_file(dir.join(marker(name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_counts_until_its_time() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(left(dir.path(), "p", 100), None);
        start(dir.path(), "p", 160);
        assert_eq!(left(dir.path(), "p", 100), Some(60));
        assert_eq!(left(dir.path(), "p", 160), None);
        end(dir.path(), "p");
        assert_eq!(left(dir.path(), "p", 100), None);
        assert_eq!(parse("x"), None);
    }
}
