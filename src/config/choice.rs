//! The value of a choice key (`output`, `cache`, `client_auth`, `body`): a
//! serde enum of the model, matched regardless of ASCII case, and kept as
//! written, since the fingerprint digests the profile as written.
//!
//! An unknown value is serde's "unknown variant" error, which
//! `config/mod.rs` turns into "unknown value `x`; did you mean `y`?" with
//! the file, line and column.

use std::fmt;

use serde::de::{DeserializeOwned, Error as _, IntoDeserializer as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A choice and its text as written.
#[derive(Clone)]
pub struct AsWritten<T> {
    pub value: T,
    pub text: String,
}

impl<T> fmt::Debug for AsWritten<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for AsWritten<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parse = |s: &str| {
            T::deserialize(s.into_deserializer())
                .map_err(|e: serde::de::value::Error| D::Error::custom(e))
        };
        // Matched as written first, so the error quotes it as written.
        let value = parse(&text).or_else(|e| parse(&text.to_ascii_lowercase()).map_err(|_| e))?;
        Ok(AsWritten { value, text })
    }
}

impl<T> Serialize for AsWritten<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}
