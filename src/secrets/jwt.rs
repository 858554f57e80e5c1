//! `{ jwt = { key = ..., claims = { ... } } }`: a JWT signed with a private
//! key when a request is made (a GitHub App's JWT, a client assertion
//! written by hand, a self-signed token). What is written, checked when the
//! profiles file is read; the header and claims it gives. Signing is
//! `util::jws`; the resolver reads the key and the claims' sources.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::Text;
use crate::util::duration;
use crate::util::jws::SigningAlg;

/// How long a JWT is valid when `lifetime` is not written.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A signed-JWT value as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSpec {
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1), from any source.
    pub key: Text,
    /// The JWS algorithm; unset: the usual one for the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<Alg>,
    /// Header `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Text>,
    /// Header `typ`; default "JWT".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// A PEM certificate whose thumbprint goes in the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Text>,
    /// Which thumbprints: "x5t" (SHA-1, the default), "x5t#S256" or "both".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<Thumbprint>,
    /// The claims as written; `iat` and `exp` are added.
    #[serde(default)]
    pub claims: BTreeMap<String, Claim>,
    /// `exp` - now; default 5m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Span>,
    /// `iat` this far in the past (for a server whose clock runs behind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backdate: Option<Span>,
    /// Add `nbf` = `iat`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nbf: bool,
    /// Add a random `jti`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jti: bool,
    /// Written before the JWT, e.g. "Bearer " for an `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A claim's value: a number, a boolean, a string or secret source, or a
/// list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a string, a number, a boolean, a list, or a secret source"
)]
pub enum Claim {
    Bool(bool),
    Int(i64),
    Text(Text),
    List(Vec<Claim>),
}

/// A `signing_alg` name, checked when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alg(pub SigningAlg);

/// A duration as written ("10m"), checked when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span(pub String, pub Duration);

/// Which certificate thumbprints the header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Thumbprint {
    #[serde(rename = "x5t")]
    Sha1,
    #[serde(rename = "x5t#S256")]
    Sha256,
    #[serde(rename = "both")]
    Both,
}

impl Thumbprint {
    /// The header fields for the thumbprints (SHA-1, SHA-256) of a certificate.
    pub fn fields(self, sha1: String, sha256: String) -> Vec<(&'static str, String)> {
        match self {
            Thumbprint::Sha1 => vec![("x5t", sha1)],
            Thumbprint::Sha256 => vec![("x5t#S256", sha256)],
            Thumbprint::Both => vec![("x5t", sha1), ("x5t#S256", sha256)],
        }
    }
}

impl Serialize for Alg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Alg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SigningAlg::parse(&text)
            .map(Alg)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let span = duration::parse(&text).map_err(serde::de::Error::custom)?;
        Ok(Span(text, span))
    }
}

impl JwtSpec {
    /// The header fields besides `alg`; `thumbprints` of the certificate
    /// (SHA-1, SHA-256) when one is set.
    pub fn header(
        &self,
        kid: Option<String>,
        thumbprints: Option<(String, String)>,
    ) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("typ".into(), json!(self.typ.as_deref().unwrap_or("JWT")));
        if let Some(kid) = kid {
            header.insert("kid".into(), json!(kid));
        }
        if let Some((sha1, sha256)) = thumbprints {
            for (name, value) in self
                .thumbprint
                .unwrap_or(Thumbprint::Sha1)
                .fields(sha1, sha256)
            {
                header.insert(name.into(), json!(value));
            }
        }
        header
    }

    /// The claims: those written (their sources already read into
    /// `written`), then `iat`, `exp`, and `nbf` and `jti` when asked.
    pub fn claims(&self, mut written: Map<String, Value>, now: i64, jti: String) -> Value {
        let backdate = self.backdate.as_ref().map_or(0, |s| secs(s.1));
        let lifetime = self.lifetime.as_ref().map_or(DEFAULT_LIFETIME, |s| s.1);
        let iat = now - backdate;
        written.insert("iat".into(), json!(iat));
        written.insert("exp".into(), json!(now + secs(lifetime)));
        if self.nbf {
            written.insert("nbf".into(), json!(iat));
        }
        if self.jti {
            written.insert("jti".into(), json!(jti));
        }
        Value::Object(written)
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_read_checked_and_gives_its_claims() {
        #[derive(Deserialize)]
        struct T {
            v: super::super::Text,
        }
        let t: T = toml::from_str(
            r#"v = { jwt = { key = { file = "k.pem" }, signing_alg = "rs256", lifetime = "9m", backdate = "60s", jti = true, claims = { iss = 123, aud = ["a", "b"], sub = { env = "S" } } } }"#,
        )
        .unwrap();
        let super::super::Text::From(super::super::Source::Jwt(spec)) = t.v else {
            panic!("not a jwt")
        };
        assert_eq!(spec.signing_alg, Some(Alg(SigningAlg::RS256)));
        assert_eq!(spec.claims["iss"], Claim::Int(123));
        let claims = spec.claims(Map::new(), 1000, "j".into());
        assert_eq!(claims, json!({"iat": 940, "exp": 1540, "jti": "j"}));
        for (bad, want) in [
            (r#"signing_alg = "HS256""#, "unknown signing algorithm"),
            (r#"lifetime = "soon""#, "soon"),
            (r#"kidd = "x""#, "unknown field `kidd`"),
        ] {
            let text = format!("v = {{ jwt = {{ key = \"k\", {bad} }} }}");
            let err = toml::from_str::<T>(&text).err().expect(bad).to_string();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }
}
