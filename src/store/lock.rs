//! One fetch per profile at a time: the [`Locks`] port, and its real
//! adapter, an advisory lock file per profile, held across re-checking the
//! cache, fetching and storing. The OS drops the lock when its holder dies,
//! so a killed process never blocks the next. Only a directory no one else
//! may write is used, and only a lock file of this user's, never through a
//! symbolic link: another user can neither make gettoken wait nor have it
//! truncate a file of theirs choosing.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::Failure;
use crate::util::fs::{check_trusted_dir, file_name, is_untrusted, trusted_dir};

/// A lock held; dropping it releases it.
pub trait Held {}

/// Taking a profile's lock: what the use case needs, so that tests can
/// stand in for another process.
pub trait Locks {
    /// Takes the lock of profile `name`, waiting at most `wait`; `None`
    /// when going on unlocked.
    fn acquire(&self, name: &str, wait: Duration) -> Result<Option<Box<dyn Held>>, Failure>;

    /// Waits, at most `wait`, while another process holds profile `name`'s
    /// lock (is fetching); whether one did. The waiters of a stampede then
    /// read the new token side by side instead of taking the lock in turn.
    /// Only a shortcut: the lock is still taken before fetching.
    fn wait_for_fetch(&self, _name: &str, _wait: Duration) -> Result<bool, Failure> {
        Ok(false)
    }

    /// Seconds left of profile `name`'s login cool-down, if one is on.
    fn cooling(&self, _name: &str, _now: i64) -> Option<i64> {
        None
    }

    /// Starts profile `name`'s login cool-down, until `until` (Unix time).
    fn cool(&self, _name: &str, _until: i64) {}

    /// Ends profile `name`'s login cool-down.
    fn warm(&self, _name: &str) {}

    /// Whether warning `text` is new for profile `name` (then remembered):
    /// a warning is said once, not on every call.
    fn first_notice(&self, _name: &str, _text: &str) -> bool {
        true
    }
}

/// The real locks: a file per profile, see [`acquire`].
pub struct FileLocks;

impl Locks for FileLocks {
    fn acquire(&self, name: &str, wait: Duration) -> Result<Option<Box<dyn Held>>, Failure> {
        Ok(acquire(name, wait)?.map(|lock| Box::new(lock) as Box<dyn Held>))
    }

    fn wait_for_fetch(&self, name: &str, wait: Duration) -> Result<bool, Failure> {
        wait_for_fetch(name, wait)
    }

    fn cooling(&self, name: &str, now: i64) -> Option<i64> {
        super::cooldown::left(&lock_dir()?, name, now)
    }

    fn cool(&self, name: &str, until: i64) {
        if let Some(dir) = lock_dir() {
            super::cooldown::start(&dir, name, until);
        }
    }

    fn warm(&self, name: &str) {
        if let Some(dir) = lock_dir() {
            super::cooldown::end(&dir, name);
        }
    }

    fn first_notice(&self, name: &str, text: &str) -> bool {
        lock_dir().is_none_or(|dir| super::notice::first(&dir, name, text))
    }
}

pub struct ProfileLock {
    _file: File,
}

impl Held for ProfileLock {}

/// The lock directory (also where `exec --refresh` keeps its token file):
/// the user's runtime dir, else (or when that one is
/// not safe to use) the cache dir; `None` when neither is.
pub fn lock_dir() -> Option<PathBuf> {
    if let Some(dir) = dirs::runtime_dir().map(|d| d.join("gettoken")) {
        match trusted_dir(&dir) {
            Ok(()) => return Some(dir),
            Err(e) if is_untrusted(&e) => crate::log::warn(format!(
                "lock directory {} is not used: {e}; using one in the cache directory",
                dir.display()
            )),
            Err(e) => crate::log::debug!("cannot create {}: {e}", dir.display()),
        }
    }
    let parent = dirs::cache_dir()?.join("gettoken");
    let dir = parent.join("locks");
    match trusted_dir(&dir).and_then(|()| check_trusted_dir(&parent)) {
        Ok(()) => Some(dir),
        Err(e) => {
            if is_untrusted(&e) {
                crate::log::warn(format!(
                    "lock directory {} is not used: {e}; fetching without a lock",
                    dir.display()
                ));
            }
            crate::log::debug!("cannot create {}: {e}", dir.display());
            None
        }
    }
}

/// Opens (or creates, mode 0600) the lock file at `path`: never through a
/// symbolic link, never blocking, and only a regular file of this user's.
fn open_lock_file(path: &std::path::Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        if crate::util::fs::is_link_refusal(&e) {
            return std::io::Error::other("it is a symbolic link, which is not followed");
        }
        e
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if meta.uid() != crate::util::fs::current_uid() {
            return Err(std::io::Error::other(format!(
                "it belongs to uid {}, not to this user: not waiting for it",
                meta.uid()
            )));
        }
    }
    Ok(file)
}

/// [`Locks::wait_for_fetch`]: polls for a shared lock (granted to every
/// waiter at once when the fetcher lets go), then lets go of it. Silent,
/// and `false`, whenever the lock file is not there to wait on: the lock
/// taken next says why.
pub fn wait_for_fetch(name: &str, wait: Duration) -> Result<bool, Failure> {
    let existing = |dir: PathBuf| check_trusted_dir(&dir).is_ok().then_some(dir);
    let Some(dir) = dirs::runtime_dir()
        .map(|d| d.join("gettoken"))
        .and_then(existing)
        .or_else(|| {
            dirs::cache_dir()
                .map(|d| d.join("gettoken").join("locks"))
                .and_then(existing)
        })
    else {
        return Ok(false);
    };
    let path = dir.join(format!("{}.lock", file_name(name)));
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(false);
    }
    let Ok(file) = open_lock_file(&path) else {
        return Ok(false);
    };
    let started = Instant::now();
    let mut waited = false;
    loop {
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                return Ok(waited);
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= wait {
                    return Err(gave_up(wait, &path));
                }
                if !waited {
                    crate::log::debug!("waiting for another gettoken fetching `{name}`");
                    waited = true;
                }
                pause(started);
            }
            Err(std::fs::TryLockError::Error(_)) => return Ok(false),
        }
    }
}

/// A poll's pause: short while a fetch may still be quick (the waiters of a
/// stampede take the lock, or read, milliseconds apart), then longer (a
/// login may take minutes).
fn pause(started: Instant) {
    let ms = if started.elapsed() < Duration::from_millis(500) {
        2
    } else {
        20
    };
    std::thread::sleep(Duration::from_millis(ms));
}

fn gave_up(wait: Duration, path: &std::path::Path) -> Failure {
    Failure::unreachable(format!(
        "another gettoken has been fetching this token for {}s; gave up waiting (lock file {})",
        wait.as_secs(),
        path.display()
    ))
}

/// Takes the lock of profile `name`, waiting at most `wait`. Returns `None`
/// (and goes on unlocked) when no lock file can be made at all.
pub fn acquire(name: &str, wait: Duration) -> Result<Option<ProfileLock>, Failure> {
    let Some(dir) = lock_dir() else {
        crate::log::debug!("no usable lock directory: fetching without a lock");
        return Ok(None);
    };
    let path = dir.join(format!("{}.lock", file_name(name)));
    let mut file = match open_lock_file(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::Other => {
            crate::log::warn(format!(
                "lock file {} is not used ({e}); fetching without a lock",
                path.display()
            ));
            return Ok(None);
        }
        Err(e) => {
            crate::log::debug!(
                "cannot open lock file {}: {e}; fetching without a lock",
                path.display()
            );
            return Ok(None);
        }
    };
    let started = Instant::now();
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= wait {
                    return Err(gave_up(wait, &path));
                }
                if !announced {
                    crate::log::debug!("waiting for another gettoken fetching `{name}`");
                    announced = true;
                }
                pause(started);
            }
            Err(std::fs::TryLockError::Error(e)) => {
                crate::log::debug!(
                    "cannot lock {}: {e}; fetching without a lock",
                    path.display()
                );
                return Ok(None);
            }
        }
    }
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(Some(ProfileLock { _file: file }))
}
