//! Per-call overrides (`--scope`, `--audience`, `--resource`, `--param
//! k=v`): the profile as the call asks for it, with a cache identity of
//! its own (`token/PROFILE#<hash>`), so entries never collide.

use super::fingerprint::digest;
use super::model::{Endpoint, Profile};
use crate::error::Failure;
use crate::secrets::Text;

/// What a call asks for beyond its profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces the profile's `scope` (space-separated or repeated).
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    /// Added to (or replacing by key) the profile's `params`.
    pub params: Vec<(String, String)>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }

    /// A canonical text of the overrides (what the variant hashes).
    fn canonical(&self) -> String {
        let mut params = self.params.clone();
        params.sort();
        let mut text = format!(
            "scope={}\naudience={}\nresource={}\n",
            self.scope.join(" "),
            self.audience.as_deref().unwrap_or("\u{0}"),
            self.resource.as_deref().unwrap_or("\u{0}"),
        );
        for (k, v) in params {
            text.push_str(&format!("param {k}={v}\n"));
        }
        text
    }
}

impl Profile {
    /// The profile as a call with `overrides` asks for it; itself when
    /// there are none.
    pub fn with_overrides(&self, overrides: &Overrides) -> Result<Profile, Failure> {
        if overrides.is_empty() {
            return Ok(self.clone());
        }
        let mut p = self.clone();
        let Endpoint::OAuth2(o) = &mut p.endpoint else {
            return Err(Failure::usage(format!(
                "--scope, --audience, --resource and --param are for flavour \"oauth2\"; profile `{}` is flavour \"http\"",
                self.name
            )));
        };
        if !overrides.scope.is_empty() {
            o.scope = overrides.scope.clone();
        }
        if let Some(a) = &overrides.audience {
            o.audience = Some(Text::Plain(a.clone()));
        }
        if let Some(r) = &overrides.resource {
            o.resource = Some(Text::Plain(r.clone()));
        }
        for (k, v) in &overrides.params {
            o.params.retain(|(key, _)| key != k);
            o.params.push((k.clone(), Text::Plain(v.clone())));
        }
        let variant = digest(overrides.canonical().as_bytes());
        p.fingerprint = digest(format!("{}#{}", self.fingerprint, variant).as_bytes());
        p.variant = Some(variant);
        Ok(p)
    }

    /// The name its cache entry and lock go by: `PROFILE`, or
    /// `PROFILE#<hash of the overrides>`.
    pub fn cache_name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}#{v}", self.name),
            None => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        crate::config::Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"c\"\nscope = \"a\"\n",
            &[],
        )
        .unwrap()
        .profile("p")
        .unwrap()
    }

    #[test]
    fn overrides_get_their_own_identity() {
        let p = profile();
        assert_eq!(
            p.with_overrides(&Overrides::default())
                .unwrap()
                .cache_name(),
            "p"
        );
        let a = Overrides {
            scope: vec!["b".into()],
            ..Overrides::default()
        };
        let b = Overrides {
            resource: Some("https://api".into()),
            ..Overrides::default()
        };
        let pa = p.with_overrides(&a).unwrap();
        let pb = p.with_overrides(&b).unwrap();
        assert_ne!(pa.cache_name(), "p");
        assert!(pa.cache_name().starts_with("p#"));
        assert_ne!(pa.cache_name(), pb.cache_name());
        assert_ne!(pa.fingerprint, p.fingerprint);
        assert_ne!(pa.fingerprint, pb.fingerprint);
        assert_eq!(pa.cache_name(), p.with_overrides(&a).unwrap().cache_name());
        let Endpoint::OAuth2(o) = &pa.endpoint else {
            panic!()
        };
        assert_eq!(o.scope, ["b"]);
    }
}
