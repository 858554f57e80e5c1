//! Where gettoken keeps things between runs: cached tokens and
//! `gettoken secret set` secrets, as strings by key, in the OS keyring or a
//! private file. Each backend sits behind the small [`Backend`] trait so
//! tests and callers need not know which one it is.
//!
//! Keys are `token/PROFILE` and `secret/NAME`, all under one service name.

pub mod cache;
pub mod file;
mod keyring;
#[cfg(target_os = "linux")]
mod linux;
pub mod lock;
pub mod record;
#[cfg(target_os = "linux")]
mod secret_lookup;

use std::fmt;

pub use file::FileBackend;

use crate::secrets::{Secret, SecretStore};

/// The one service name every keyring entry is kept under.
pub const SERVICE: &str = "gettoken";

/// A failure of the store itself (not "no entry", which is `Ok(None)`).
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// Strings kept by key.
pub trait Backend {
    /// What to call this store in messages: "Secret Service", "file ...".
    fn describe(&self) -> String;
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

/// The secrets `gettoken secret set` stored in a backend, read for
/// `{ keyring = "NAME" }` sources.
pub struct StoredSecrets<'a>(pub &'a dyn Backend);

impl SecretStore for StoredSecrets<'_> {
    fn get_secret(&self, name: &str) -> Result<Option<Secret>, String> {
        Ok(self
            .0
            .get(&secret_key(name))
            .map_err(|e| e.to_string())?
            .map(Secret::new))
    }
}

/// The OS keyring of this platform: on Linux the Secret Service when it
/// works, else the kernel keyring; the Keychain on macOS; the Credential
/// Manager on Windows. Opened lazily, on first use.
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
        Box::new(keyring::KeyringBackend::open(
            "Windows Credential Manager",
            || windows_native_keyring_store::Store::new(),
        ))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    {
        Box::new(keyring::Unavailable)
    }
}
