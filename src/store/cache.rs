//! The token cache: one record per profile in the chosen store. A store
//! that fails never fails the run: reading treats it as empty, writing
//! warns once and the token is still printed.

use super::record;
pub use super::record::is_fresh;

use crate::config::{CacheKind, Profile};
use crate::protocol::token::Token;
use crate::secrets::identity;
use crate::store::{self, Backend, FileBackend};

pub struct Cache {
    backend: Box<dyn Backend>,
}

impl Cache {
    /// The cache for `kind`, or `None` for `cache = "none"`.
    pub fn open(kind: CacheKind) -> Option<Cache> {
        let backend: Box<dyn Backend> = match kind {
            CacheKind::Keyring => store::os_keyring(),
            CacheKind::File => Box::new(FileBackend::new()),
            CacheKind::None => return None,
        };
        Some(Cache::new(backend))
    }

    /// The cache kept in `backend`.
    pub fn new(backend: Box<dyn Backend>) -> Cache {
        Cache { backend }
    }

    /// The cached token of `profile`, fresh or not; `None` when there is
    /// none, it was written for other settings, or it cannot be read.
    pub fn load(&self, profile: &Profile) -> Option<Token> {
        match self.backend.get(&store::token_key(&profile.cache_name())) {
            Ok(Some(text)) => {
                let Some(decoded) = record::decode(&text, &profile.fingerprint) else {
                    crate::log::debug!(
                        "cached entry for `{}` is for other settings or unreadable; ignoring it",
                        profile.name
                    );
                    return None;
                };
                if !identity::matches(decoded.credentials.as_deref(), &profile.credentials) {
                    crate::log::debug!(
                        "cached entry for `{}` was fetched with other credentials; ignoring it",
                        profile.name
                    );
                    return None;
                }
                Some(decoded.token)
            }
            Ok(None) => None,
            Err(e) => {
                crate::log::debug!("cannot read the cache: {e}");
                None
            }
        }
    }

    /// Stores `token` for `profile`; says why when it cannot.
    pub fn save(&self, profile: &Profile, token: &Token) {
        let sealed = identity::seal(&profile.credentials);
        let Some(text) = record::encode(token, &profile.fingerprint, sealed) else {
            crate::log::debug!(
                "the reply states no expiry and the token is no JWT: not cached (set response.lifetime to cache it)"
            );
            // An older entry (and its refresh token) is stale now.
            let _ = self
                .backend
                .delete(&store::token_key(&profile.cache_name()));
            return;
        };
        match self
            .backend
            .set(&store::token_key(&profile.cache_name()), &text)
        {
            Ok(()) => crate::log::debug!("cached in the {}", self.backend.describe()),
            Err(e) => crate::log::warn(format!(
                "profile `{}`: token not cached ({e}); set cache = \"file\" on hosts without a keyring",
                profile.name
            )),
        }
    }

    /// The store behind this cache.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Drops the cached token of the profile `name`; whether there was one.
    pub fn forget(&self, name: &str) -> Result<bool, store::StoreError> {
        self.backend.delete(&store::token_key(name))
    }
}
