//! Replacing a private file atomically, so that a reader sees the old bytes
//! or the new ones, and a run killed half-way (`kill -9`) leaves nothing
//! behind: on Linux the bytes go to an unnamed `O_TMPFILE` that gets a name
//! only once written whole; elsewhere (or where the file system has no
//! `O_TMPFILE`) to a named temporary file, created `O_EXCL | O_NOFOLLOW`,
//! that [`remove_stale_temps`] removes once its writer is gone.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `dir/name` (mode 0600) atomically; `dir` must be a
/// directory only this user may write (a trusted one), else a rename there
/// is no guarantee.
pub fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let target = dir.join(name);
    let temp = temp_path(dir, name);
    // A temporary file of this process's pid is a leftover of an earlier
    // process that had it.
    let _ = std::fs::remove_file(&temp);
    #[cfg(target_os = "linux")]
    if let Some(file) = unnamed_in(dir) {
        let file = fill(file, bytes)?;
        if link_unnamed(&file, &temp).is_ok() {
            return std::fs::rename(&temp, &target).inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            });
        }
    }
    let written = create_new_private(&temp)
        .and_then(|file| fill(file, bytes))
        .and_then(|_| std::fs::rename(&temp, &target));
    written.inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Creates `path` (mode 0600): never over anything there, even a dangling
/// symbolic link, and never through one.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Removes the temporary files in `dir` whose writer is gone (or is this
/// process): what a killed run left.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        if pid == std::process::id() || !alive(pid, &entry) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `dir/.NAME.PID.tmp`.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// The pid in a temporary file's name, `.NAME.PID.tmp`.
fn temp_pid(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once('.')?;
    pid.parse().ok()
}

/// Whether the process `pid` that wrote `entry` may still be writing it.
#[cfg(unix)]
fn alive(pid: u32, _entry: &std::fs::DirEntry) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let sent = unsafe { libc::kill(pid, 0) };
    sent == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Without a way to ask: a writer a minute old is gone.
#[cfg(not(unix))]
fn alive(_pid: u32, entry: &std::fs::DirEntry) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < std::time::Duration::from_secs(60))
}

/// Writes all of `bytes`, makes the mode 0600 whatever the umask, and
/// flushes to disk.
fn fill(mut file: File, bytes: &[u8]) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(file)
}

/// An unnamed file in `dir`, if its file system has them.
#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
        .ok()
}

/// Gives the unnamed `file` the name `path` (which must not exist).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd as _;
    use std::os::unix::ffi::OsStrExt as _;
    let to = CString::new(path.as_os_str().as_bytes())?;
    let proc_path = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    // SAFETY: valid NUL-terminated paths, and a descriptor this function
    // borrows for the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc_path.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if linked == 0 {
        return Ok(());
    }
    let empty = c"";
    // Without /proc: the descriptor itself (needs CAP_DAC_READ_SEARCH).
    // SAFETY: as above.
    let linked = unsafe {
        libc::linkat(
            file.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if linked == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write_private(dir.path(), "a.json", b"one").unwrap();
        write_private(dir.path(), "a.json", b"two").unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn removes_the_temporary_files_of_gone_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join(".a.json.4194999.tmp");
        let mine = temp_path(dir.path(), "b.json");
        std::fs::write(&gone, b"token").unwrap();
        std::fs::write(&mine, b"token").unwrap();
        // pid 1 is alive, always.
        std::fs::write(dir.path().join(".c.json.1.tmp"), b"x").unwrap();
        std::fs::write(dir.path().join("other.tmp"), b"x").unwrap();
        remove_stale_temps(dir.path());
        #[cfg(unix)]
        assert_eq!(names(dir.path()), [".c.json.1.tmp", "other.tmp"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_never_receives_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(create_new_private(&link).is_err());
        // At the name the temporary file gets, and at the target itself.
        std::os::unix::fs::symlink(&victim, temp_path(dir.path(), "a.json")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("a.json")).unwrap();
        write_private(dir.path(), "a.json", b"token").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let meta = std::fs::symlink_metadata(dir.path().join("a.json")).unwrap();
        assert!(meta.is_file());
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"token");
    }
}
