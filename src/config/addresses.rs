//! Addresses taken from a source (`url = { env = "..." }`, a `join` of a
//! host and a tenant id): read and checked only when a request is made,
//! so a cache hit reads no source and the fingerprint names only the
//! reference.

use super::model::{Endpoint, Profile};
use super::validate::parse_url;
use crate::error::Failure;
use crate::secrets::Resolve;

impl Profile {
    /// The profile with each address from a source read and checked as a
    /// written-out one would be; the profile itself when it has none.
    pub fn with_addresses(&self, resolver: &mut dyn Resolve) -> anyhow::Result<Profile> {
        let mut p = self.clone();
        for (key, text) in &self.addresses {
            let value = resolver.resolve(text, key)?;
            let value = value.expose().trim();
            // The value is not quoted: it came from a source and may be
            // hidden; the key and the source are named.
            let url = parse_url(&self.name, key, value, self.insecure_http).map_err(|f| {
                Failure::usage(format!(
                    "{} (read from {})",
                    f.message,
                    match text {
                        crate::secrets::Text::From(s) => s.describe(),
                        crate::secrets::Text::Plain(_) => "the profile".into(),
                    }
                ))
            })?;
            match (&mut p.endpoint, key.as_str()) {
                (Endpoint::Http(h), "url") => h.url_text = value.to_string(),
                (Endpoint::OAuth2(o), "token_url") => o.token_url = Some(url),
                (Endpoint::OAuth2(o), "issuer") => o.issuer = Some(url),
                (Endpoint::OAuth2(o), "device_url") => o.device_url = Some(url),
                (Endpoint::OAuth2(o), "authorization_url") => o.authorization_url = Some(url),
                _ => {}
            }
        }
        p.addresses.clear();
        Ok(p)
    }
}
