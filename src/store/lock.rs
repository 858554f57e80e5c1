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
use std::sync::mpsc;
use std::time::Duration;

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

/// [`Locks::wait_for_fetch`]: waits for a shared lock (granted to every
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
    match lock_within(&file, Kind::Shared, wait, name) {
        Ok(waited) => {
            let _ = file.unlock();
            Ok(waited)
        }
        Err(Wait::TimedOut) => Err(gave_up(wait, &path)),
        Err(Wait::Failed(_)) => Ok(false),
    }
}

/// A lock of one kind or the other.
#[derive(Clone, Copy)]
enum Kind {
    /// Many holders at once: the waiters of a stampede.
    Shared,
    /// One holder: the fetcher.
    Exclusive,
}

/// Why [`lock_within`] has no lock.
enum Wait {
    TimedOut,
    Failed(std::io::Error),
}

/// Locks `file` within `wait`; whether it had to wait.
fn lock_within(file: &File, kind: Kind, wait: Duration, name: &str) -> Result<bool, Wait> {
    let tried = match kind {
        Kind::Shared => file.try_lock_shared(),
        Kind::Exclusive => file.try_lock(),
    };
    match tried {
        Ok(()) => return Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => return Err(Wait::Failed(e)),
    }
    crate::log::debug!("waiting for another gettoken fetching `{name}`");
    wait_for_lock(file, kind, wait)
}

/// A lock held by another process, waited for in flock(2) on a thread of
/// its own, so the waiter wakes the moment the holder lets go (of 50
/// waiters, none polls), while this thread gives up after `wait`. The
/// thread locks a duplicate of `file`, which shares its open file
/// description (on Windows: its file object), so the lock it takes is
/// `file`'s; given up on, it closes the duplicate, and with `file` gone too
/// any lock it got is let go. (The unit tests below run under Wine too.)
fn wait_for_lock(file: &File, kind: Kind, wait: Duration) -> Result<bool, Wait> {
    let duplicate = file.try_clone().map_err(Wait::Failed)?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("lock".into())
        .spawn(move || {
            let locked = match kind {
                Kind::Shared => duplicate.lock_shared(),
                Kind::Exclusive => duplicate.lock(),
            };
            let _ = tx.send(locked);
        })
        .map_err(Wait::Failed)?;
    match rx.recv_timeout(wait) {
        Ok(Ok(())) => Ok(true),
        Ok(Err(e)) => Err(Wait::Failed(e)),
        Err(_) => Err(Wait::TimedOut),
    }
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
    match lock_within(&file, Kind::Exclusive, wait, name) {
        Ok(_) => {}
        Err(Wait::TimedOut) => return Err(gave_up(wait, &path)),
        Err(Wait::Failed(e)) => {
            crate::log::debug!(
                "cannot lock {}: {e}; fetching without a lock",
                path.display()
            );
            return Ok(None);
        }
    }
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(Some(ProfileLock { _file: file }))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Two opens of one file: flock(2) locks of the one conflict with the
    /// other's as another process's would.
    fn two_opens() -> (tempfile::TempDir, File, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.lock");
        let holder = open_lock_file(&path).unwrap();
        let waiter = open_lock_file(&path).unwrap();
        (dir, holder, waiter)
    }

    #[test]
    fn a_free_lock_is_taken_at_once() {
        let (_dir, _holder, waiter) = two_opens();
        assert!(matches!(
            lock_within(&waiter, Kind::Exclusive, Duration::ZERO, "p"),
            Ok(false)
        ));
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_lets_go() {
        for kind in [Kind::Shared, Kind::Exclusive] {
            let (dir, holder, waiter) = two_opens();
            holder.lock().unwrap();
            let started = Instant::now();
            let letting_go = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(150));
                // (closed, not unlocked: Wine's UnlockFile from another
                // thread says "Lock violation")
                let at = Instant::now();
                drop(holder);
                at
            });
            let waited = lock_within(&waiter, kind, Duration::from_secs(20), "p");
            let woke = Instant::now();
            let let_go = letting_go.join().unwrap();
            assert!(matches!(waited, Ok(true)));
            assert!(woke >= let_go && started.elapsed() >= Duration::from_millis(150));
            // The lock is the waiter's own file's (not only its duplicate's,
            // which is closed): a third open cannot take it exclusively.
            let third = open_lock_file(&dir.path().join("p.lock")).unwrap();
            assert!(matches!(
                third.try_lock(),
                Err(std::fs::TryLockError::WouldBlock)
            ));
        }
    }

    #[test]
    fn a_lock_never_let_go_is_given_up_after_the_wait() {
        let (dir, holder, waiter) = two_opens();
        holder.lock().unwrap();
        let started = Instant::now();
        let waited = lock_within(&waiter, Kind::Shared, Duration::from_millis(200), "p");
        assert!(matches!(waited, Err(Wait::TimedOut)));
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(10));
        // Given up on, the waiter's lock (when its thread gets it) goes
        // with the waiter's file.
        drop(waiter);
        drop(holder);
        let third = open_lock_file(&dir.path().join("p.lock")).unwrap();
        let free = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            third.try_lock().is_ok()
        });
        assert!(free, "a lock given up on is let go");
    }
}
