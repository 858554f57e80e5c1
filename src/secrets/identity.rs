//! The credentials a cached token was fetched with, as a salted digest kept
//! in the cache record beside the token: a profile whose written-out
//! secret, `{ env = ... }` or `{ file = ... }` value changed (tenant A,
//! then tenant B on one machine) never gets the other's token.
//!
//! Only the cheap sources are read, on a hit as on a fetch: an environment
//! variable and a small regular file. `command`, `keyring` and `prompt`
//! sources are read only when a request is made, and so are not covered.
//! The digest is SHA-256 over a random salt and the values, so the record
//! says nothing of them.

use std::io::Read;

use ring::digest::{Context, SHA256};

use super::{Source, Text};
use crate::util::expand::expand_path;
use crate::util::random;

/// The most of a `{ file = ... }` source read for the digest.
const MAX_FILE: u64 = 1024 * 1024;

/// The record's value for `credentials` with a fresh salt, or `None` when
/// the profile has none to cover.
pub fn seal(credentials: &[(String, Text)]) -> Option<String> {
    if credentials.is_empty() {
        return None;
    }
    let salt = random::token();
    Some(format!("{salt}:{}", digest(&salt, credentials)))
}

/// Whether a record's `credentials` value is the one these credentials
/// give now. A record without one matches only a profile without any.
pub fn matches(sealed: Option<&str>, credentials: &[(String, Text)]) -> bool {
    match (sealed, credentials.is_empty()) {
        (None, true) => true,
        (None, false) | (Some(_), true) => false,
        (Some(sealed), false) => sealed
            .split_once(':')
            .is_some_and(|(salt, sum)| constant_time_eq(sum, &digest(salt, credentials))),
    }
}

/// Whether the digest reads `source` (an `env` or `file` source, or a
/// `join` with one among its parts): what the fingerprint must list.
pub fn covers(source: &Source) -> bool {
    match source {
        Source::Env(_) | Source::File(_) => true,
        // The document a field is read from, the key a JWT is signed with
        // (see `value`).
        Source::Json(_) | Source::Jwt(_) => true,
        Source::Join(parts) => parts.iter().any(|p| match p {
            Text::From(s) => covers(s),
            Text::Plain(_) => false,
        }),
        _ => false,
    }
}

fn digest(salt: &str, credentials: &[(String, Text)]) -> String {
    let mut ctx = Context::new(&SHA256);
    let mut field = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_be_bytes());
        ctx.update(bytes);
    };
    field(salt.as_bytes());
    for (key, text) in credentials {
        field(key.as_bytes());
        match value(text) {
            Some(v) => {
                field(b"=");
                field(&v);
            }
            None => field(b"(unreadable)"),
        }
    }
    let sum = ctx.finish();
    crate::util::text::hex(sum.as_ref())
}

/// The value of a written-out secret, an environment variable or a file;
/// `None` when it cannot be read (the fetch that follows says why).
fn value(text: &Text) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let bytes = match text {
        Text::Plain(v) => v.as_bytes().to_vec(),
        Text::From(Source::Env(name)) => std::env::var_os(name)?.into_encoded_bytes(),
        Text::From(Source::File(path)) => read_small_file(&expand_path(path).ok()?)?,
        Text::From(Source::Json(field)) => return value(&Text::From((*field.from).clone())),
        Text::From(Source::Jwt(spec)) => return value(&spec.key),
        Text::From(Source::Join(parts)) => {
            // The cheap parts, each marked; the others only by place.
            let mut bytes = Vec::new();
            for part in parts {
                match value(part) {
                    Some(v) => {
                        bytes.extend_from_slice(&(v.len() as u64).to_be_bytes());
                        bytes.extend_from_slice(&v);
                    }
                    None => bytes.extend_from_slice(b"(not read)"),
                }
            }
            bytes
        }
        Text::From(_) => return None,
    };
    Some(zeroize::Zeroizing::new(bytes))
}

/// A regular file's bytes, at most [`MAX_FILE`]; never blocks on a FIFO.
fn read_small_file(path: &std::path::Path) -> Option<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(pairs: &[(&str, Text)]) -> Vec<(String, Text)> {
        pairs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect()
    }

    #[test]
    fn a_changed_value_does_not_match() {
        let a = creds(&[("client_secret", Text::Plain("tenant-a".into()))]);
        let b = creds(&[("client_secret", Text::Plain("tenant-b".into()))]);
        let sealed = seal(&a).unwrap();
        assert!(matches(Some(&sealed), &a));
        assert!(!matches(Some(&sealed), &b));
        assert!(!sealed.contains("tenant-a"));
        // A fresh salt each time: two seals of one value differ.
        assert_ne!(seal(&a), seal(&a));
    }

    #[test]
    fn a_record_without_credentials_matches_only_a_profile_without() {
        let a = creds(&[("client_secret", Text::Plain("x".into()))]);
        assert!(matches(None, &[]));
        assert!(!matches(None, &a));
        assert!(!matches(Some(&seal(&a).unwrap()), &[]));
        assert!(!matches(Some("garbage"), &a));
    }

    #[test]
    fn files_are_read_and_unreadable_ones_count_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "one").unwrap();
        let c = creds(&[(
            "password",
            Text::From(Source::File(path.to_string_lossy().into_owned())),
        )]);
        let sealed = seal(&c).unwrap();
        assert!(matches(Some(&sealed), &c));
        std::fs::write(&path, "two").unwrap();
        assert!(!matches(Some(&sealed), &c));
        std::fs::remove_file(&path).unwrap();
        assert!(!matches(Some(&sealed), &c));
        // A directory (or a FIFO) is not read, and does not block.
        let d = creds(&[(
            "password",
            Text::From(Source::File(dir.path().to_string_lossy().into_owned())),
        )]);
        assert!(matches(Some(&seal(&d).unwrap()), &d));
    }
}
