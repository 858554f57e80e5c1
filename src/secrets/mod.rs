//! Secret values: the [`Secret`] type that never shows itself, the sources
//! a profile may take one from, which keys of a request or a reply hold
//! one, reading the sources (only when a request is made), and scrubbing
//! every known secret out of what gettoken prints.

pub mod identity;
pub mod json_field;
pub mod jwt;
pub mod keys;
pub mod redact;
pub mod resolve;
mod value;

pub use value::{Secret, Source, Text};

/// What a request takes from the world: secret values (reading their
/// sources), and for signed client assertions the time and a unique id.
pub trait Resolve {
    /// `key` names the setting, for messages.
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret>;

    /// UNIX seconds.
    fn now(&self) -> i64;

    /// A fresh unguessable id.
    fn unique_id(&mut self) -> String;

    /// A secret gettoken keeps for itself (a DPoP key it made) under
    /// `name` among the stored secrets; `Ok(None)` when none is kept.
    fn kept(&mut self, name: &str) -> anyhow::Result<Option<Secret>> {
        let _ = name;
        Ok(None)
    }

    /// Writes `value` as the `{ keyring = "NAME" }` secret `name` (a
    /// rotated refresh token going back where it was read from, a DPoP key
    /// gettoken made); a later read of that source in this run gets
    /// `value` too.
    fn store_secret(&mut self, name: &str, _value: &Secret) -> anyhow::Result<()> {
        anyhow::bail!("no keyring to store secret `{name}` in")
    }
}

/// Where `{ keyring = "NAME" }` secrets are kept (`gettoken secret set`):
/// the store layer implements it over the OS keyring.
pub trait SecretStore {
    /// `Ok(None)` when no such secret is stored; `Err` says why the store
    /// could not be read.
    fn get_secret(&self, name: &str) -> Result<Option<Secret>, String>;

    /// Stores `value` as secret `name`, as `gettoken secret set` does;
    /// `Err` says why it could not.
    fn set_secret(&self, name: &str, _value: &Secret) -> Result<(), String> {
        Err(format!("secret `{name}` cannot be written here"))
    }

    /// What to call the store in messages.
    fn describe_store(&self) -> String {
        "secret store".into()
    }
}

/// Another profile's token, for `{ profile = "NAME" }`: the commands
/// implement it over the use case (`flows::token`), which sits above this
/// layer. `key` names the setting it is for, for messages.
pub trait ProfileTokens {
    fn profile_token(&self, name: &str, key: &str) -> anyhow::Result<Secret>;
}
