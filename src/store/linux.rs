//! The OS keyring on Linux: the Secret Service (gnome-keyring, KWallet) when
//! it proves it works, else the kernel keyring (keyutils), tried in that
//! order for writes. Reads look in the kernel keyring first (microseconds)
//! and then in the Secret Service, so a headless cache hit never waits on a
//! bus. A write to one store removes the entry from the other, so the two
//! never disagree.

use std::cell::{Cell, OnceCell, RefCell};

use super::keyring::{KeyringBackend, LIMIT, bounded};
use super::secret_direct::{self, Lookup, Written};
use super::{Backend, SERVICE, StoreError};

const SECRET_SERVICE: &str = "Secret Service";
const KERNEL: &str = "kernel keyring";

pub struct LinuxKeyring {
    secret_service: OnceCell<Option<KeyringBackend>>,
    kernel: OnceCell<KeyringBackend>,
    /// Whether the Secret Service passed the write/read/delete probe.
    probed: OnceCell<bool>,
    /// Set once a Secret Service call failed or timed out: not tried again.
    ss_dead: Cell<bool>,
    /// The light client's connection, kept for this process's next read
    /// or write.
    link: RefCell<Option<secret_direct::Link>>,
}

impl LinuxKeyring {
    pub fn new() -> Self {
        LinuxKeyring {
            secret_service: OnceCell::new(),
            kernel: OnceCell::new(),
            probed: OnceCell::new(),
            ss_dead: Cell::new(false),
            link: RefCell::new(None),
        }
    }

    /// The Secret Service, or `None` when there is no session bus at all.
    fn secret_service(&self) -> Option<&KeyringBackend> {
        if self.ss_dead.get() {
            return None;
        }
        self.secret_service
            .get_or_init(|| {
                session_bus_configured().then(|| {
                    KeyringBackend::open(
                        SECRET_SERVICE,
                        zbus_secret_service_keyring_store::Store::new,
                    )
                })
            })
            .as_ref()
    }

    fn kernel(&self) -> &KeyringBackend {
        self.kernel.get_or_init(|| {
            join_session_keyring_if_needed();
            KeyringBackend::open_local(KERNEL, linux_keyutils_keyring_store::Store::new)
        })
    }

    /// A real write, read and delete, all within `keyring::LIMIT`: opening the
    /// store is no proof (a locked keyring opens fine and refuses writes).
    fn secret_service_works(&self) -> bool {
        *self.probed.get_or_init(|| {
            let Some(ss) = self.secret_service() else {
                return false;
            };
            let Ok(store) = ss.store() else {
                crate::log::debug!("Secret Service unavailable; using the kernel keyring");
                return false;
            };
            let key = format!("probe/{}", std::process::id());
            let outcome = bounded(SECRET_SERVICE, move || -> keyring_core::Result<bool> {
                let entry = store.build(SERVICE, &key, None)?;
                entry.set_password("probe")?;
                let read = entry.get_password()?;
                entry.delete_credential()?;
                Ok(read == "probe")
            });
            let works = matches!(outcome, Ok(Ok(true)));
            if !works {
                let why = match outcome {
                    Ok(Ok(_)) => "read back something else".to_string(),
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.0,
                };
                crate::log::debug!(
                    "Secret Service failed its probe ({why}); using the kernel keyring"
                );
                self.ss_dead.set(true);
            }
            works
        })
    }

    /// A read through the light Secret Service client (`secret_direct`: a
    /// plain session, no Diffie-Hellman):
    /// `Some(answer)` when it is sure, `None` when the full client must be
    /// asked. A read that timed out marks the Secret Service dead, so a
    /// hanging service costs one wait, not two.
    fn quick_ss_get(&self, key: &str) -> Option<Option<String>> {
        if self.ss_dead.get() || !session_bus_configured() {
            return None;
        }
        match secret_direct::lookup(&mut self.link.borrow_mut(), SERVICE, key) {
            Lookup::Found(v) => {
                crate::log::debug!("found in the Secret Service (direct lookup)");
                Some(Some(v.to_string()))
            }
            Lookup::Absent => Some(None),
            Lookup::Unsure(why) => {
                crate::log::debug!("Secret Service quick read: {why}; asking the full client");
                None
            }
            Lookup::TimedOut => {
                crate::log::debug!("Secret Service did not answer within {}s", LIMIT.as_secs());
                self.ss_dead.set(true);
                None
            }
        }
    }

    /// A write through the light client (see [`Self::quick_ss_get`]):
    /// whether the value is in the Secret Service now, read back. That is
    /// the proof the full client's probe gives, so none is made after it;
    /// when it is not sure, the probe and the full client have their say.
    fn quick_ss_set(&self, key: &str, value: &str) -> bool {
        if self.ss_dead.get() || !session_bus_configured() {
            return false;
        }
        match secret_direct::write(&mut self.link.borrow_mut(), SERVICE, key, value) {
            Written::Done => {
                crate::log::debug!("written to the Secret Service (direct)");
                let _ = self.probed.set(true);
                true
            }
            Written::Unsure(why) => {
                crate::log::debug!("Secret Service quick write: {why}; asking the full client");
                false
            }
            Written::TimedOut => {
                crate::log::debug!("Secret Service did not answer within {}s", LIMIT.as_secs());
                self.ss_dead.set(true);
                false
            }
        }
    }

    /// Runs `op` on the Secret Service, marking it dead if it fails.
    fn on_ss<T>(
        &self,
        op: impl FnOnce(&KeyringBackend) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let ss = self.secret_service()?;
        let result = op(ss);
        if let Err(e) = &result {
            crate::log::debug!("{e}");
            self.ss_dead.set(true);
        }
        Some(result)
    }
}

impl Backend for LinuxKeyring {
    fn describe(&self) -> String {
        if self.secret_service_works() {
            SECRET_SERVICE
        } else {
            KERNEL
        }
        .to_string()
    }

    fn lifetime(&self) -> Option<String> {
        Some(if self.secret_service_works() {
            super::lifetime::SECRET_SERVICE.to_string()
        } else {
            super::lifetime::kernel(super::lifetime::persistent_expiry())
        })
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let kernel = self.kernel().get(key);
        if let Ok(Some(v)) = kernel {
            return Ok(Some(v));
        }
        if let Some(found) = self.quick_ss_get(key) {
            return Ok(found);
        }
        match (kernel, self.on_ss(|ss| ss.get(key))) {
            (_, Some(Ok(Some(v)))) => Ok(Some(v)),
            (Ok(None), _) | (_, Some(Ok(None))) => Ok(None),
            (Err(k), Some(Err(s))) => Err(StoreError(format!("{k}; {s}"))),
            (Err(k), None) => Err(k),
            (Ok(Some(_)), _) => unreachable!("returned above"),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        if self.quick_ss_set(key, value) {
            let _ = self.kernel().delete(key);
            return Ok(());
        }
        if self.secret_service_works()
            && let Some(Ok(())) = self.on_ss(|ss| ss.set(key, value))
        {
            let _ = self.kernel().delete(key);
            return Ok(());
        }
        self.kernel().set(key, value)
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let kernel = self.kernel().delete(key);
        let ss = self.on_ss(|ss| ss.delete(key));
        match (kernel, ss) {
            (Ok(k), Some(Ok(s))) => Ok(k || s),
            (Ok(k), None | Some(Err(_))) => Ok(k),
            (Err(_), Some(Ok(s))) => Ok(s),
            (Err(e), _) => Err(e),
        }
    }
}

/// Whether a D-Bus session bus is configured, without connecting to it.
fn session_bus_configured() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty()) {
        return true;
    }
    dirs::runtime_dir().is_some_and(|dir| dir.join("bus").exists())
}

/// A process not started through a PAM login (CI runners, containers,
/// cron) has no session keyring of its own and falls back to the shared
/// user-session keyring, where writes fail and leave unreadable keys
/// behind. Such a process joins a fresh session keyring first; the store
/// links the user's persistent keyring into it, so a token written by one
/// run is found by the next.
fn join_session_keyring_if_needed() {
    // keyctl(2) takes its arguments as longs: the constants widen to that.
    let get_id = libc::KEYCTL_GET_KEYRING_ID as libc::c_long;
    let join = libc::KEYCTL_JOIN_SESSION_KEYRING as libc::c_long;
    let session = libc::KEY_SPEC_SESSION_KEYRING as libc::c_long;
    let user_session = libc::KEY_SPEC_USER_SESSION_KEYRING as libc::c_long;
    // SAFETY: keyctl(2) with integer arguments and a null name; it reads
    // and writes no memory of ours.
    unsafe {
        let session = libc::syscall(libc::SYS_keyctl, get_id, session, 0);
        let user_session = libc::syscall(libc::SYS_keyctl, get_id, user_session, 0);
        if session >= 0 && session == user_session {
            let joined = libc::syscall(libc::SYS_keyctl, join, std::ptr::null::<libc::c_char>());
            crate::log::debug!("joined a new session keyring ({joined})");
        }
    }
}
