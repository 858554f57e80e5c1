//! Values larger than a store takes (the Windows Credential Manager refuses
//! over 2,560 UTF-16 bytes; an access token with a refresh token is often
//! more): [`Chunked`] wraps a store and keeps such a value as parts under
//! keys of their own, written first, and an index under the value's key,
//! written last. The index names the parts' generation, their count and a
//! digest of the whole, so a reader sees the old value or the new one,
//! never a mix: a missing or changed part reads as no entry. The parts of
//! the value replaced are removed after the new index is in place.

use super::{Backend, StoreError};

/// The most UTF-16 bytes the Windows Credential Manager keeps in one
/// credential.
pub const WINDOWS_CREDENTIAL_LIMIT: usize = 2560;

/// How an index begins. A value that itself begins so is kept as parts
/// too, so that the two can never be confused.
const MARKER: &str = "gettoken-parts:v1:";

/// A store whose values are at most `limit` UTF-16 bytes, made to take
/// values of any size.
pub struct Chunked<B> {
    inner: B,
    limit: usize,
}

/// What an index says.
struct Index {
    generation: String,
    count: usize,
    digest: String,
}

impl Index {
    fn parse(value: &str) -> Option<Index> {
        let rest = value.strip_prefix(MARKER)?;
        let mut fields = rest.split(':');
        let generation = fields.next()?.to_string();
        let count = fields.next()?.parse().ok()?;
        let digest = fields.next()?.to_string();
        if fields.next().is_some() || generation.is_empty() || count == 0 {
            return None;
        }
        Some(Index {
            generation,
            count,
            digest,
        })
    }

    fn text(&self) -> String {
        format!("{MARKER}{}:{}:{}", self.generation, self.count, self.digest)
    }
}

/// The key of part `i` of generation `generation` of `key`.
fn part_key(key: &str, generation: &str, i: usize) -> String {
    format!("{key}#part-{generation}-{i}")
}

/// SHA-256 of `value`, in hex.
fn digest(value: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, value.as_bytes());
    crate::util::text::hex(digest.as_ref())
}

/// `value` cut (between characters) into pieces of at most `limit` UTF-16
/// bytes each.
fn split(value: &str, limit: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (at, c) in value.char_indices() {
        let width = c.len_utf16() * 2;
        if size + width > limit {
            parts.push(&value[start..at]);
            (start, size) = (at, 0);
        }
        size += width;
    }
    parts.push(&value[start..]);
    parts
}

impl<B: Backend> Chunked<B> {
    /// `inner`, whose values may be at most `limit` UTF-16 bytes (at least
    /// 4, one character of any kind).
    pub fn new(inner: B, limit: usize) -> Self {
        Chunked {
            inner,
            limit: limit.max(4),
        }
    }

    /// The index at `key`, if the entry there is one.
    fn index(&self, key: &str) -> Option<Index> {
        self.inner
            .get(key)
            .ok()
            .flatten()
            .as_deref()
            .and_then(Index::parse)
    }

    /// Removes the first `count` parts of `generation`, as far as it can.
    fn remove_parts(&self, key: &str, generation: &str, count: usize) {
        for i in 0..count {
            if let Err(e) = self.inner.delete(&part_key(key, generation, i)) {
                crate::log::debug!("cannot remove a part of `{key}`: {e}");
            }
        }
    }

    fn fits(&self, value: &str) -> bool {
        value.encode_utf16().count() * 2 <= self.limit && !value.starts_with(MARKER)
    }
}

impl<B: Backend> Backend for Chunked<B> {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn lifetime(&self) -> Option<String> {
        self.inner.lifetime()
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let Some(value) = self.inner.get(key)? else {
            return Ok(None);
        };
        if !value.starts_with(MARKER) {
            return Ok(Some(value));
        }
        let Some(index) = Index::parse(&value) else {
            return Ok(None);
        };
        let mut whole = String::new();
        for i in 0..index.count {
            match self.inner.get(&part_key(key, &index.generation, i))? {
                Some(part) => whole.push_str(&part),
                None => {
                    crate::log::debug!("a part of `{key}` is missing: no entry");
                    return Ok(None);
                }
            }
        }
        if digest(&whole) != index.digest {
            crate::log::debug!("the parts of `{key}` do not match their index: no entry");
            return Ok(None);
        }
        Ok(Some(whole))
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let old = self.index(key);
        if self.fits(value) {
            self.inner.set(key, value)?;
        } else {
            let parts = split(value, self.limit);
            let index = Index {
                generation: crate::util::random::token()[..12].to_string(),
                count: parts.len(),
                digest: digest(value),
            };
            for (i, part) in parts.iter().enumerate() {
                if let Err(e) = self.inner.set(&part_key(key, &index.generation, i), part) {
                    self.remove_parts(key, &index.generation, i);
                    return Err(e);
                }
            }
            if let Err(e) = self.inner.set(key, &index.text()) {
                self.remove_parts(key, &index.generation, index.count);
                return Err(e);
            }
        }
        if let Some(old) = old {
            self.remove_parts(key, &old.generation, old.count);
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        if let Some(index) = self.index(key) {
            self.remove_parts(key, &index.generation, index.count);
        }
        self.inner.delete(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryBackend;

    /// A 16 KB record, with characters of one, two and four UTF-8 bytes.
    fn big_record() -> String {
        let mut record = String::from("{\"v\":1,\"access_token\":\"");
        while record.len() < 16 * 1024 {
            record.push_str("eyJhbGciOi-é-𝄞-");
        }
        record.push_str("\"}");
        record
    }

    fn store() -> (MemoryBackend, Chunked<MemoryBackend>) {
        let memory = MemoryBackend::with_value_limit(WINDOWS_CREDENTIAL_LIMIT);
        (
            memory.clone(),
            Chunked::new(memory, WINDOWS_CREDENTIAL_LIMIT),
        )
    }

    #[test]
    fn the_limit_is_real() {
        let (memory, _) = store();
        assert!(memory.set("k", &big_record()).is_err());
    }

    #[test]
    fn a_large_record_round_trips_and_small_ones_stay_whole() {
        let (memory, store) = store();
        let record = big_record();
        store.set("token/a", &record).unwrap();
        assert_eq!(store.get("token/a").unwrap().as_deref(), Some(&*record));
        assert!(memory.keys().len() > 7, "{:?}", memory.keys());
        store.set("token/b", "small").unwrap();
        assert_eq!(memory.get("token/b").unwrap().as_deref(), Some("small"));
        assert_eq!(store.get("token/b").unwrap().as_deref(), Some("small"));
        // A value that looks like an index is kept as parts, not taken for one.
        let tricky = format!("{MARKER}x:1:y");
        store.set("token/c", &tricky).unwrap();
        assert_eq!(store.get("token/c").unwrap().as_deref(), Some(&*tricky));
    }

    #[test]
    fn overwriting_removes_the_stale_parts() {
        let (memory, store) = store();
        store.set("token/a", &big_record()).unwrap();
        let smaller = big_record()[..6000].to_string();
        store.set("token/a", &smaller).unwrap();
        assert_eq!(store.get("token/a").unwrap().as_deref(), Some(&*smaller));
        let parts = split(&smaller, WINDOWS_CREDENTIAL_LIMIT).len();
        assert_eq!(memory.keys().len(), 1 + parts, "{:?}", memory.keys());
        store.set("token/a", "tiny").unwrap();
        assert_eq!(memory.keys(), ["token/a"]);
        assert_eq!(store.get("token/a").unwrap().as_deref(), Some("tiny"));
    }

    #[test]
    fn a_missing_or_changed_part_reads_as_no_entry() {
        let (memory, store) = store();
        store.set("token/a", &big_record()).unwrap();
        let part = memory
            .keys()
            .into_iter()
            .find(|k| k.ends_with("-3"))
            .unwrap();
        memory.set(&part, "tampered").unwrap();
        assert_eq!(store.get("token/a").unwrap(), None);
        memory.delete(&part).unwrap();
        assert_eq!(store.get("token/a").unwrap(), None);
    }

    #[test]
    fn delete_removes_every_part() {
        let (memory, store) = store();
        store.set("token/a", &big_record()).unwrap();
        store.set("token/b", "small").unwrap();
        assert!(store.delete("token/a").unwrap());
        assert_eq!(memory.keys(), ["token/b"]);
        assert!(!store.delete("token/a").unwrap());
    }

    #[test]
    fn parts_never_split_a_character_nor_pass_the_limit() {
        let record = big_record();
        let parts = split(&record, WINDOWS_CREDENTIAL_LIMIT);
        assert_eq!(parts.concat(), record);
        assert!(
            parts
                .iter()
                .all(|p| p.encode_utf16().count() * 2 <= WINDOWS_CREDENTIAL_LIMIT)
        );
    }
}
