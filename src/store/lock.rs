//! One fetch per profile at a time: the [`Locks`] port, and its real
//! adapter, an advisory lock file per profile, held across re-checking the
//! cache, fetching and storing. The OS drops the lock when its holder dies,
//! so a killed process never blocks the next.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::Failure;
use crate::util::fs::{file_name, private_dir};

/// A lock held; dropping it releases it.
pub trait Held {}

/// Taking a profile's lock: what the use case needs, so that tests can
/// stand in for another process.
pub trait Locks {
    /// Takes the lock of profile `name`, waiting at most `wait`; `None`
    /// when going on unlocked.
    fn acquire(&self, name: &str, wait: Duration) -> Result<Option<Box<dyn Held>>, Failure>;
}

/// The real locks: a file per profile, see [`acquire`].
pub struct FileLocks;

impl Locks for FileLocks {
    fn acquire(&self, name: &str, wait: Duration) -> Result<Option<Box<dyn Held>>, Failure> {
        Ok(acquire(name, wait)?.map(|lock| Box::new(lock) as Box<dyn Held>))
    }
}

pub struct ProfileLock {
    _file: File,
}

impl Held for ProfileLock {}

/// The lock directory: the user's runtime dir, else the cache dir.
fn lock_dir() -> Option<PathBuf> {
    dirs::runtime_dir()
        .map(|d| d.join("gettoken"))
        .or_else(|| dirs::cache_dir().map(|d| d.join("gettoken").join("locks")))
}

/// Takes the lock of profile `name`, waiting at most `wait`. Returns `None`
/// (and goes on unlocked) when no lock file can be made at all.
pub fn acquire(name: &str, wait: Duration) -> Result<Option<ProfileLock>, Failure> {
    let Some(dir) = lock_dir() else {
        crate::log::debug!("no runtime or cache directory: fetching without a lock");
        return Ok(None);
    };
    let path = dir.join(format!("{}.lock", file_name(name)));
    let opened = private_dir(&dir).and_then(|()| {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)
    });
    let mut file = match opened {
        Ok(f) => f,
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
                    return Err(Failure::unreachable(format!(
                        "another gettoken has been fetching this token for {}s; gave up waiting (lock file {})",
                        wait.as_secs(),
                        path.display()
                    )));
                }
                if !announced {
                    crate::log::debug!("waiting for another gettoken fetching `{name}`");
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(15));
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
