//! A store in memory, for unit tests: entries live as long as the value and its
//! clones (which share them), writes can be made to fail as a broken
//! keyring's do, and values can be limited in size as some keyrings limit
//! them.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{Backend, StoreError};

/// Strings by key in memory. Clones share one set of entries, so a test
/// can hand one to a cache and look through another.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    entries: Rc<RefCell<BTreeMap<String, String>>>,
    fail_writes: Rc<Cell<bool>>,
    /// The most UTF-16 bytes a value may take, as the Windows Credential
    /// Manager counts them.
    value_limit: Option<usize>,
}

impl MemoryBackend {
    /// From now on every `set` and `delete` fails (reads still work).
    pub fn fail_writes(&self) {
        self.fail_writes.set(true);
    }

    /// A store that refuses values over `bytes` UTF-16 bytes.
    pub fn with_value_limit(bytes: usize) -> Self {
        MemoryBackend {
            value_limit: Some(bytes),
            ..Self::default()
        }
    }

    /// All keys, for tests to see what a wrapper left.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.fail_writes.get() {
            return Err(StoreError("memory store: writes fail (as asked)".into()));
        }
        Ok(())
    }
}

impl Backend for MemoryBackend {
    fn describe(&self) -> String {
        "memory store".into()
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.writable()?;
        if let Some(limit) = self.value_limit
            && value.encode_utf16().count() * 2 > limit
        {
            return Err(StoreError(format!(
                "memory store: the value is over {limit} bytes"
            )));
        }
        self.entries
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(self.entries.borrow_mut().remove(key).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_entries_and_failing_writes_keep_them() {
        let a = MemoryBackend::default();
        let b = a.clone();
        a.set("k", "v").unwrap();
        assert_eq!(b.get("k").unwrap().as_deref(), Some("v"));
        b.fail_writes();
        assert!(a.set("k", "w").is_err());
        assert!(a.delete("k").is_err());
        assert_eq!(a.get("k").unwrap().as_deref(), Some("v"));
    }
}
