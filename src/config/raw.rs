//! The profiles file exactly as written: serde structs, no validation.
//!
//! Every table refuses unknown keys, so a typo is an error that
//! `config/mod.rs` turns into "did you mean ...". Validation and defaults
//! live in `config/profile.rs`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secrets::Text;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub defaults: Option<RawProfile>,
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
}

/// One `[profiles.NAME]` table, or `[defaults]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    #[serde(alias = "flavor")]
    pub flavour: Option<String>,

    // Keys for every profile.
    pub output: Option<String>,
    pub min_ttl: Option<String>,
    pub cache: Option<String>,
    pub header: Option<String>,
    pub scheme: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    pub ca_file: Option<String>,
    pub insecure_http: Option<bool>,
    pub headers: Option<BTreeMap<String, Text>>,
    pub body: Option<String>,
    pub git_username: Option<String>,

    // flavour = "oauth2"
    pub token_url: Option<String>,
    pub issuer: Option<String>,
    pub device_url: Option<String>,
    pub authorization_url: Option<String>,
    pub redirect_port: Option<u16>,
    pub login_timeout: Option<String>,
    pub grant: Option<String>,
    pub client_id: Option<Text>,
    pub client_secret: Option<Text>,
    pub client_auth: Option<String>,
    pub private_key: Option<Text>,
    pub key_id: Option<String>,
    pub signing_alg: Option<String>,
    pub username: Option<Text>,
    pub password: Option<Text>,
    pub refresh_token: Option<Text>,
    pub scope: Option<Scope>,
    pub audience: Option<Text>,
    pub resource: Option<Text>,
    pub params: Option<BTreeMap<String, Text>>,

    // flavour = "http"
    pub url: Option<String>,
    pub method: Option<String>,
    pub fields: Option<Fields>,

    pub response: Option<RawResponse>,
}

/// `fields` of the `http` flavour: any TOML, secrets included, so its
/// `Debug` shows only the top-level names.
#[derive(Default, Clone, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Fields(pub toml::Table);

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, format_args!("(redacted)"))))
            .finish()
    }
}

/// `[profiles.NAME.response]`: JSON Pointers into the reply.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    pub token: Option<String>,
    pub token_type: Option<String>,
    pub expires_in: Option<String>,
    pub expires_at: Option<String>,
    pub lifetime: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub success: Option<String>,
    pub error: Option<OneOrMany>,
    /// `"s"` (the default) or `"ms"`: the unit of numbers at `expires_in`
    /// and `expires_at`. Left out of the fingerprint when unset, so
    /// profiles without it keep their cached tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_unit: Option<String>,
}

/// `scope = "a b"` or `scope = ["a", "b"]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum Scope {
    One(String),
    Many(Vec<String>),
}

/// A path or a list of paths.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Fills every key `self` lacks from `defaults` (a profile overrides its
/// defaults key by key; `response` is merged key by key too).
macro_rules! merge_fields {
    ($self:ident, $defaults:ident; $($field:ident),* $(,)?) => {
        $( if $self.$field.is_none() { $self.$field = $defaults.$field.clone(); } )*
    };
}

impl RawProfile {
    /// `[defaults]` as they apply to a profile of `flavour`: keys that only
    /// the other flavour takes are left out, so shared defaults never break
    /// a profile of the other kind.
    pub fn for_flavour(&self, flavour: Option<&str>) -> RawProfile {
        let mut d = self.clone();
        match flavour {
            Some("oauth2") => {
                (d.url, d.method, d.fields) = (None, None, None);
            }
            Some("http") => {
                (d.token_url, d.issuer, d.device_url, d.grant) = (None, None, None, None);
                (d.authorization_url, d.redirect_port, d.login_timeout) = (None, None, None);
                (d.client_id, d.client_secret, d.client_auth) = (None, None, None);
                (d.private_key, d.key_id, d.signing_alg) = (None, None, None);
                (d.username, d.password, d.refresh_token) = (None, None, None);
                (d.scope, d.audience, d.resource, d.params) = (None, None, None, None);
            }
            _ => {}
        }
        d
    }

    pub fn merged_with(mut self, defaults: &RawProfile) -> RawProfile {
        merge_fields!(self, defaults;
            output, min_ttl, cache, header, scheme, timeout, retries, ca_file,
            insecure_http, headers, body, git_username, token_url, issuer, device_url,
            authorization_url, redirect_port, login_timeout, grant, client_id,
            client_secret, client_auth, private_key, key_id, signing_alg, username, password,
            refresh_token, scope, audience, resource, params, url, method, fields,
        );
        match (&mut self.response, &defaults.response) {
            (Some(own), Some(def)) => {
                merge_fields!(own, def;
                    token, token_type, expires_in, expires_at, lifetime,
                    refresh_token, scope, success, error,
                );
            }
            (None, Some(def)) => self.response = Some(def.clone()),
            _ => {}
        }
        self
    }
}
