//! The profiles file exactly as written: serde structs, no validation.
//!
//! Every table refuses unknown keys, so a typo is an error that
//! `config/mod.rs` turns into "did you mean ...". `RawProfile` is declared
//! by one table of keys (`config/keys.rs` says what its columns mean).
//! Validation and defaults live in `config/validate/`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::choice::AsWritten;
use super::keys::{Fill, FillByKey, Merge, profile_keys};
use super::model::{CacheKind, ClientAuth, Encoding, Format};
use crate::secrets::Text;
use crate::secrets::jwt::JwtSpec;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub defaults: Option<RawProfile>,
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    /// `[consumers.TOOL]`: host to profile (`config/consumers.rs`).
    #[serde(default)]
    pub consumers: super::consumers::Consumers,
}

profile_keys! {
    /// One `[profiles.NAME]` table, or `[defaults]`. Each key: its type, the
    /// flavour that takes it, how `[defaults]` fill it, and whether it
    /// counts in the fingerprint (`config/keys.rs`).
    #[derive(Debug, Default, Clone, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawProfile {
        #[serde(alias = "flavor")]
        flavour: String => Both, Own, Counts,

        // Keys for every profile.
        output: AsWritten<Format> => Both, Fill, Ignored,
        min_ttl: String => Both, Fill, Ignored,
        cache: AsWritten<CacheKind> => Both, Fill, Ignored,
        header: String => Both, Fill, Ignored,
        scheme: String => Both, Fill, Ignored,
        timeout: String => Both, Fill, Ignored,
        retries: u32 => Both, Fill, Ignored,
        ca_file: String => Both, Fill, Ignored,
        insecure_http: bool => Both, Fill, Counts,
        headers: BTreeMap<String, Text> => Both, Fill, Counts,
        body: AsWritten<Encoding> => Both, Fill, Counts,
        git_username: String => Both, Fill, Ignored,
        docker_username: String => Both, Fill, Ignored,
        // A TLS client certificate on every request (RFC 8705 mTLS).
        client_cert: Text => Both, Fill, Counts,
        client_key: Text => Both, Fill, Counts,
        id_token: bool => Both, Fill, Ignored,

        // flavour = "oauth2"
        token_url: Text => OAuth2, Fill, Counts,
        issuer: Text => OAuth2, Fill, Counts,
        device_url: Text => OAuth2, Fill, Counts,
        authorization_url: Text => OAuth2, Fill, Counts,
        redirect_port: u16 => OAuth2, Fill, Ignored,
        redirect_uri: String => OAuth2, Fill, Ignored,
        browser: OneOrMany => OAuth2, Fill, Ignored,
        login_timeout: String => OAuth2, Fill, Ignored,
        login_cooldown: String => OAuth2, Fill, Ignored,
        revocation_url: String => OAuth2, Fill, Ignored,
        grant: String => OAuth2, Fill, Counts,
        client_id: Text => OAuth2, Fill, Counts,
        client_secret: Text => OAuth2, Fill, Counts,
        client_auth: AsWritten<ClientAuth> => OAuth2, Fill, Counts,
        private_key: Text => OAuth2, Fill, Counts,
        key_id: Text => OAuth2, Fill, Counts,
        signing_alg: String => OAuth2, Fill, Counts,
        certificate: Text => OAuth2, Fill, Counts,
        thumbprint: String => OAuth2, Fill, Counts,
        assertion_issuer: Text => OAuth2, Fill, Counts,
        assertion_subject: Text => OAuth2, Fill, Counts,
        assertion_audience: Text => OAuth2, Fill, Counts,
        username: Text => OAuth2, Fill, Counts,
        password: Text => OAuth2, Fill, Counts,
        refresh_token: Text => OAuth2, Fill, Counts,
        // Another profile's login: its refresh token, this profile's scope.
        refresh_from: String => OAuth2, Own, Counts,
        scope: Scope => OAuth2, Fill, Counts,
        audience: Text => OAuth2, Fill, Counts,
        resource: Text => OAuth2, Fill, Counts,
        params: BTreeMap<String, Text> => OAuth2, Fill, Counts,
        subject_token: Text => OAuth2, Fill, Counts,
        subject_token_type: String => OAuth2, Fill, Counts,
        actor_token: Text => OAuth2, Fill, Counts,
        actor_token_type: String => OAuth2, Fill, Counts,
        requested_token_type: String => OAuth2, Fill, Counts,
        // DPoP (RFC 9449): proofs of a key on token requests.
        dpop: bool => OAuth2, Fill, Counts,
        dpop_key: Text => OAuth2, Fill, Counts,
        dpop_alg: String => OAuth2, Fill, Counts,

        // flavour = "http"
        url: Text => Http, Fill, Counts,
        method: String => Http, Fill, Counts,
        fields: Fields => Http, Fill, Counts,
        basic_username: Text => Http, Fill, Counts,
        basic_password: Text => Http, Fill, Counts,

        // flavour = "jwt": the token is this JWT, signed here.
        jwt: JwtSpec => Jwt, Fill, Counts,

        response: RawResponse => Both, ByKey, Counts,
    }
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
    /// `"json"` (the default), `"text"` (the body is the token) or
    /// `"form"`. Like every key added since, left out when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// A path: a 2xx reply with a value there is a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Extra reply fields to show: `NAME = "/path"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<BTreeMap<String, String>>,
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

impl FillByKey for RawResponse {
    /// Every key of the response table, so that a key added to it is
    /// merged or does not compile.
    fn fill_from(&mut self, defaults: &RawResponse) {
        let RawResponse {
            token,
            token_type,
            expires_in,
            expires_at,
            lifetime,
            refresh_token,
            scope,
            success,
            error,
            expiry_unit,
            format,
            refusal,
            extra,
        } = defaults;
        Fill::merge(&mut self.token, token);
        Fill::merge(&mut self.token_type, token_type);
        Fill::merge(&mut self.expires_in, expires_in);
        Fill::merge(&mut self.expires_at, expires_at);
        Fill::merge(&mut self.lifetime, lifetime);
        Fill::merge(&mut self.refresh_token, refresh_token);
        Fill::merge(&mut self.scope, scope);
        Fill::merge(&mut self.success, success);
        Fill::merge(&mut self.error, error);
        Fill::merge(&mut self.expiry_unit, expiry_unit);
        Fill::merge(&mut self.format, format);
        Fill::merge(&mut self.refusal, refusal);
        Fill::merge(&mut self.extra, extra);
    }
}
