//! `cache = "file"`: one 0600 file per entry in a 0700 directory under the
//! user's cache dir, written atomically (temporary file, then rename), for
//! hosts with no keyring at all (containers under Docker's default seccomp
//! profile, minimal servers).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use super::{Backend, StoreError};
use crate::util::fs::{file_name, private_dir};

pub struct FileBackend {
    dir: Option<PathBuf>,
}

impl Default for FileBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl FileBackend {
    /// `<user cache dir>/gettoken`.
    pub fn new() -> Self {
        FileBackend {
            dir: dirs::cache_dir().map(|d| d.join("gettoken")),
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

    fn ensure_dir(&self) -> Result<&PathBuf, StoreError> {
        let dir = self.dir()?;
        private_dir(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        Ok(dir)
    }
}

impl Backend for FileBackend {
    fn describe(&self) -> String {
        match &self.dir {
            Some(dir) => format!("file cache in {}", dir.display()),
            None => "file cache".into(),
        }
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let path = self.path(key)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(String::from_utf8(bytes).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let dir = self.ensure_dir()?;
        let path = self.path(key)?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(value.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError(format!("cannot write {}: {e}", path.display()))
        })
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
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
        let store = FileBackend {
            dir: Some(tmp.path().join("gettoken")),
        };
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
