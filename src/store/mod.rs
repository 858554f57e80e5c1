//! Where gettoken keeps things between runs: cached tokens and
//! `gettoken secret set` secrets, as strings by key, in the OS keyring or a
//! private file. Each backend sits behind the small [`Backend`] trait so
//! tests and callers need not know which one it is.
//!
//! Keys are `token/PROFILE` and `secret/NAME`, all under one service name.

pub mod cache;
pub mod chunked;
pub mod cooldown;
#[cfg(target_os = "linux")]
mod dbus;
pub mod file;
mod keyring;
pub mod lifetime;
#[cfg(target_os = "linux")]
mod linux;
pub mod lock;
pub mod memory;
pub mod notice;
pub mod record;
#[cfg(target_os = "linux")]
mod secret_direct;

use std::cell::OnceCell;

pub use file::FileBackend;
pub use memory::MemoryBackend;

use crate::secrets::{Secret, SecretStore};

/// The one service name every keyring entry is kept under.
pub const SERVICE: &str = "gettoken";

/// A failure of the store itself (not "no entry", which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Strings kept by key.
pub trait Backend {
    /// What to call this store in messages: "Secret Service", "file ...".
    fn describe(&self) -> String;
    /// What survives a reboot and for how long, in words (`show`), when
    /// the store says (`lifetime`).
    fn lifetime(&self) -> Option<String> {
        None
    }
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Whether there was an entry to delete.
    fn delete(&self, key: &str) -> Result<bool, StoreError>;
}

pub fn token_key(profile: &str) -> String {
    format!("token/{profile}")
}

pub fn secret_key(name: &str) -> String {
    format!("secret/{name}")
}

/// The secrets `gettoken secret set` stored in the OS keyring, read for
/// `{ keyring = "NAME" }` sources.
pub struct StoredSecrets<'a> {
    /// The OS keyring already open for the cache, if it is one: a keyring
    /// that failed once is not waited on again in the same run.
    shared: Option<&'a dyn Backend>,
    /// Else the OS keyring, opened on the first secret read: never for a
    /// cache hit, nor for a profile without such secrets.
    own: OnceCell<Box<dyn Backend>>,
}

impl<'a> StoredSecrets<'a> {
    /// Read through `shared` when given, else through an OS keyring of
    /// their own.
    pub fn new(shared: Option<&'a dyn Backend>) -> Self {
        StoredSecrets {
            shared,
            own: OnceCell::new(),
        }
    }

    fn backend(&self) -> &dyn Backend {
        match self.shared {
            Some(b) => b,
            None => self.own.get_or_init(os_keyring).as_ref(),
        }
    }
}

impl SecretStore for StoredSecrets<'_> {
    fn get_secret(&self, name: &str) -> Result<Option<Secret>, String> {
        Ok(self
            .backend()
            .get(&secret_key(name))
            .map_err(|e| e.to_string())?
            .map(Secret::new))
    }

    fn set_secret(&self, name: &str, value: &Secret) -> Result<(), String> {
        self.backend()
            .set(&secret_key(name), value.expose())
            .map_err(|e| e.to_string())
    }

    fn describe_store(&self) -> String {
        self.backend().describe()
    }
}

/// The OS keyring of this platform: on Linux the Secret Service when it
/// works, else the kernel keyring; the Keychain on macOS; the Credential
/// Manager on Windows (which takes large records only as parts, see
/// [`chunked`]). Opened lazily, on first use.
pub fn os_keyring() -> Box<dyn Backend> {
    #[cfg(target_os = "linux")]
    {
        Box::new(linux::LinuxKeyring::new())
    }
    #[cfg(target_os = "macos")]
    {
        Box::new(keyring::KeyringBackend::open("macOS Keychain", || {
            apple_native_keyring_store::keychain::Store::new()
        }))
    }
    #[cfg(target_os = "windows")]
    {
        // Credentials hold at most 2,560 UTF-16 bytes: larger records
        // are kept as parts.
        Box::new(chunked::Chunked::new(
            keyring::KeyringBackend::open("Windows Credential Manager", || {
                windows_native_keyring_store::Store::new()
            }),
            chunked::WINDOWS_CREDENTIAL_LIMIT,
        ))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    {
        Box::new(keyring::Unavailable)
    }
}
