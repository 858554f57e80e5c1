//! A [`Backend`] over one keyring-core credential store. Every call to a
//! store that might hang is bounded in time: one that does (a Secret Service
//! that never answers) costs at most [`LIMIT`], then counts as failed.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::{CredentialStore, Error as KeyringError};

use super::{Backend, SERVICE, StoreError};

/// The longest any single keyring call may take.
pub const LIMIT: Duration = Duration::from_secs(3);

pub struct KeyringBackend {
    name: &'static str,
    store: Result<Arc<CredentialStore>, StoreError>,
    /// Whether calls run on a thread of their own, bounded by [`LIMIT`].
    bounded: bool,
}

impl KeyringBackend {
    /// Opens a store with `open`, bounded by [`LIMIT`], as every call on it
    /// will be.
    pub fn open<S>(
        name: &'static str,
        open: impl FnOnce() -> keyring_core::Result<Arc<S>> + Send + 'static,
    ) -> Self
    where
        S: keyring_core::api::CredentialStoreApi + Send + Sync + 'static,
    {
        let store = bounded(name, move || open().map(|s| s as Arc<CredentialStore>))
            .and_then(|r| r.map_err(|e| StoreError(format!("{name}: {e}"))));
        KeyringBackend {
            name,
            store,
            bounded: true,
        }
    }

    /// Opens a store that is a system call away and cannot hang (the
    /// kernel keyring): it and its calls run on the caller's thread, which
    /// spares a cache hit two thread start-ups.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn open_local<S>(
        name: &'static str,
        open: impl FnOnce() -> keyring_core::Result<Arc<S>>,
    ) -> Self
    where
        S: keyring_core::api::CredentialStoreApi + Send + Sync + 'static,
    {
        let store = open()
            .map(|s| s as Arc<CredentialStore>)
            .map_err(|e| StoreError(format!("{name}: {e}")));
        KeyringBackend {
            name,
            store,
            bounded: false,
        }
    }

    pub fn store(&self) -> Result<Arc<CredentialStore>, StoreError> {
        match &self.store {
            Ok(s) => Ok(s.clone()),
            Err(e) => Err(StoreError(e.0.clone())),
        }
    }

    fn call<T: Send + 'static>(
        &self,
        key: &str,
        op: impl FnOnce(&keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>, StoreError> {
        let store = self.store()?;
        let key = key.to_string();
        let run = move || {
            store
                .build(SERVICE, &key, None)
                .and_then(|entry| op(&entry))
        };
        if self.bounded {
            bounded(self.name, run)
        } else {
            Ok(run())
        }
    }
}

/// Runs `f` on a thread and waits at most [`LIMIT`] for it.
pub(super) fn bounded<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| StoreError(format!("{name}: cannot start a thread: {e}")))?;
    rx.recv_timeout(LIMIT)
        .map_err(|_| StoreError(format!("{name} did not answer within {}s", LIMIT.as_secs())))
}

fn failure(name: &str, e: &KeyringError) -> StoreError {
    StoreError(format!("{name}: {e}"))
}

impl Backend for KeyringBackend {
    fn describe(&self) -> String {
        self.name.to_string()
    }

    fn lifetime(&self) -> Option<String> {
        // On Linux, `LinuxKeyring` says which of its two stores it uses.
        cfg!(any(target_os = "macos", target_os = "windows"))
            .then(|| super::lifetime::NATIVE.to_string())
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self.call(key, |e| e.get_password())? {
            Ok(v) => Ok(Some(v)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(KeyringError::BadEncoding(_)) => Ok(None),
            Err(e) => Err(failure(self.name, &e)),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let value = zeroize::Zeroizing::new(value.to_string());
        self.call(key, move |e| e.set_password(&value))?
            .map_err(|e| failure(self.name, &e))
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        match self.call(key, |e| e.delete_credential())? {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(failure(self.name, &e)),
        }
    }
}

/// A platform with no keyring support.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub struct Unavailable;

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
impl Backend for Unavailable {
    fn describe(&self) -> String {
        "no keyring".into()
    }
    fn get(&self, _: &str) -> Result<Option<String>, StoreError> {
        Err(StoreError(
            "this platform has no supported keyring; use cache = \"file\"".into(),
        ))
    }
    fn set(&self, key: &str, _: &str) -> Result<(), StoreError> {
        self.get(key).map(|_| ())
    }
    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.get(key).map(|_| false)
    }
}
