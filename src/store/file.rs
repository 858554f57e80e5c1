//! `cache = "file"`: one 0600 file per entry in a 0700 directory under the
//! user's cache dir, for hosts with no keyring at all (containers under
//! Docker's default seccomp profile, minimal servers). The directory is
//! used only when it is this user's and no one else may write to it; an
//! entry is served only when it is a private regular file of this user's
//! (never through a symbolic link), and written atomically with no
//! temporary file left behind (see `util::atomic`).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use super::{Backend, StoreError};
use crate::util::atomic::{remove_stale_temps, write_private};
use crate::util::fs::{
    Links, SMALL_FILE_CAP, check_trusted_dir, file_name, is_untrusted, open_regular, read_capped,
    trusted_dir,
};

pub struct FileBackend {
    dir: Option<PathBuf>,
    /// The entries already warned about in this run.
    warned: RefCell<BTreeSet<PathBuf>>,
}

impl Default for FileBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl FileBackend {
    /// `<user cache dir>/gettoken`.
    pub fn new() -> Self {
        Self::in_dir(dirs::cache_dir().map(|d| d.join("gettoken")))
    }

    fn in_dir(dir: Option<PathBuf>) -> Self {
        FileBackend {
            dir,
            warned: RefCell::default(),
        }
    }

    fn dir(&self) -> Result<&PathBuf, StoreError> {
        self.dir.as_ref().ok_or_else(|| {
            StoreError("no cache directory is known for this user (set XDG_CACHE_HOME)".into())
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        Ok(self.dir()?.join(format!("{}.json", file_name(key))))
    }

    /// The directory, created if need be, once known to be safe.
    fn ensure_dir(&self) -> Result<&PathBuf, StoreError> {
        let dir = self.dir()?;
        trusted_dir(dir).map_err(|e| untrusted(dir, &e))?;
        Ok(dir)
    }

    /// The directory if it exists, once known to be safe.
    fn existing_dir(&self) -> Result<Option<&PathBuf>, StoreError> {
        let dir = self.dir()?;
        match check_trusted_dir(dir) {
            Ok(()) => Ok(Some(dir)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(untrusted(dir, &e)),
        }
    }

    /// Says once per run why the entry at `path` is not served.
    fn warn_once(&self, path: &std::path::Path, why: &str) {
        if self.warned.borrow_mut().insert(path.to_path_buf()) {
            crate::log::warn(format!(
                "cache entry {} not used ({why}): fetching a new token",
                path.display()
            ));
        }
    }
}

/// The message for a cache directory that is not safe to use.
fn untrusted(dir: &std::path::Path, e: &std::io::Error) -> StoreError {
    if is_untrusted(e) {
        StoreError(format!(
            "cache directory {} is not used: {e}",
            dir.display()
        ))
    } else {
        StoreError(format!("cannot create {}: {e}", dir.display()))
    }
}

/// Why an opened entry is not one this user wrote, if it is not.
#[cfg(unix)]
fn not_private(meta: &fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    crate::util::fs::not_private_file(meta.uid(), crate::util::fs::current_uid(), meta.mode())
}

#[cfg(not(unix))]
fn not_private(_: &fs::Metadata) -> Option<String> {
    None
}

impl Backend for FileBackend {
    fn describe(&self) -> String {
        match &self.dir {
            Some(dir) => format!("file cache in {}", dir.display()),
            None => "file cache".into(),
        }
    }

    fn lifetime(&self) -> Option<String> {
        Some(super::lifetime::FILE.into())
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        if self.existing_dir()?.is_none() {
            return Ok(None);
        }
        let path = self.path(key)?;
        let (file, meta) = match open_regular(&path, Links::Refuse) {
            Ok(opened) => opened,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                self.warn_once(&path, &e.to_string());
                return Ok(None);
            }
        };
        if let Some(why) = not_private(&meta) {
            self.warn_once(&path, &why);
            return Ok(None);
        }
        match read_capped(file, &meta, SMALL_FILE_CAP) {
            Ok(bytes) => Ok(String::from_utf8(bytes).ok()),
            Err(e) => {
                self.warn_once(&path, &e.to_string());
                Ok(None)
            }
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let dir = self.ensure_dir()?;
        let path = self.path(key)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
        remove_stale_temps(dir);
        write_private(dir, name, value.as_bytes())
            .map_err(|e| StoreError(format!("cannot write {}: {e}", path.display())))
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let Some(dir) = self.existing_dir()? else {
            return Ok(false);
        };
        remove_stale_temps(dir);
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError(format!("cannot remove {}: {e}", path.display()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_private_and_atomic() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileBackend::in_dir(Some(tmp.path().join("gettoken")));
        assert_eq!(store.get("token/a b").unwrap(), None);
        store.set("token/a b", "v1").unwrap();
        store.set("token/a b", "v2").unwrap();
        assert_eq!(store.get("token/a b").unwrap().as_deref(), Some("v2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = store.path("token/a b").unwrap();
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            let dir_mode = fs::metadata(tmp.path().join("gettoken"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        let leftovers: Vec<_> = fs::read_dir(tmp.path().join("gettoken")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        assert!(store.delete("token/a b").unwrap());
        assert!(!store.delete("token/a b").unwrap());
    }
}
