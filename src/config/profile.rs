//! A profile resolved and validated: defaults applied, every value checked,
//! flavour-specific keys sorted out. Pure: no I/O, secrets stay references.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use super::raw::{RawProfile, RawResponse, Scope};
use crate::error::Failure;
use crate::secrets::keys::is_credential_key;
use crate::secrets::{Source, Text};
use crate::util::duration;
use crate::util::fs::expand_home;

/// A profile ready to run.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub endpoint: Endpoint,
    pub response: ResponseMap,
    pub output: Format,
    pub min_ttl: Duration,
    pub cache: CacheKind,
    pub header: String,
    pub scheme: Option<String>,
    pub timeout: Duration,
    pub retries: u32,
    pub ca_file: Option<PathBuf>,
    pub insecure_http: bool,
    pub headers: Vec<(String, Text)>,
    /// The username `gettoken git-credential` gives git with the token.
    pub git_username: String,
    /// Identifies the request settings as written (secret references, never
    /// secret values): a cached token is served only to the same settings.
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub enum Endpoint {
    OAuth2(Box<OAuth2>),
    Http(Http),
}

#[derive(Debug, Clone)]
pub struct OAuth2 {
    pub token_url: Option<Url>,
    pub issuer: Option<Url>,
    /// The device authorization endpoint (RFC 8628), when not discovered.
    pub device_url: Option<Url>,
    /// The authorization endpoint (browser login), when not discovered.
    pub authorization_url: Option<Url>,
    /// The loopback port of the browser login's redirect; 0: any free port.
    pub redirect_port: u16,
    /// How long a device or browser login may wait for the user.
    pub login_timeout: Duration,
    pub grant: Grant,
    pub client_id: Option<Text>,
    pub client_secret: Option<Text>,
    pub client_auth: ClientAuth,
    /// For `client_auth = "private_key_jwt"`: a PEM private key.
    pub private_key: Option<Text>,
    pub key_id: Option<String>,
    /// The JWS algorithm; `None`: chosen from the key.
    pub signing_alg: Option<SigningAlg>,
    pub username: Option<Text>,
    pub password: Option<Text>,
    pub refresh_token: Option<Text>,
    pub scope: Vec<String>,
    pub audience: Option<Text>,
    pub resource: Option<Text>,
    pub params: Vec<(String, Text)>,
    pub body: Encoding,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    ClientCredentials,
    Password,
    RefreshToken,
    /// RFC 8628: the user approves a code in a browser elsewhere.
    DeviceCode,
    /// RFC 6749 4.1 with PKCE and a loopback redirect: a browser login.
    AuthorizationCode,
    /// Any other `grant_type`, sent as written (vendor grants).
    Other(String),
}

impl Grant {
    pub fn grant_type(&self) -> &str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::Password => "password",
            Grant::RefreshToken => "refresh_token",
            Grant::DeviceCode => DEVICE_CODE_GRANT,
            Grant::AuthorizationCode => "authorization_code",
            Grant::Other(s) => s,
        }
    }

    /// The grant asks a person to approve it, in a browser.
    pub fn is_interactive(&self) -> bool {
        matches!(self, Grant::DeviceCode | Grant::AuthorizationCode)
    }
}

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    Basic,
    Body,
    /// A JWT signed with the client's private key (RFC 7523 2.2).
    PrivateKeyJwt,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
    Query,
    None,
}

#[derive(Debug, Clone)]
pub struct Http {
    /// The URL exactly as written: sent as it is (a trailing slash stays).
    pub url_text: String,
    pub method: reqwest::Method,
    pub body: Encoding,
    pub fields: Vec<(String, Field)>,
}

/// A request field of the `http` flavour.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(Text),
    Number(serde_json::Number),
    Bool(bool),
    List(Vec<Field>),
    Table(Vec<(String, Field)>),
}

/// Where things are in the reply: JSON Pointers (RFC 6901).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMap {
    pub token: String,
    pub token_type: Option<String>,
    pub expires_in: Option<String>,
    pub expires_at: Option<String>,
    pub lifetime: Option<Duration>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub success: Option<String>,
    pub error: Vec<String>,
    /// Numbers at `expires_in` and `expires_at` are milliseconds
    /// (`expiry_unit = "ms"`), not seconds.
    pub expiry_ms: bool,
}

/// The error paths used when a profile names none: the OAuth 2.0 pair and
/// the places other vendors put their words.
pub const DEFAULT_ERROR_PATHS: [&str; 6] = [
    "/error",
    "/error_description",
    "/message",
    "/hint",
    "/errors",
    "/detail",
];

/// The username git is given with the token when a profile names none.
/// GitLab wants exactly this with an OAuth token; a forge that wants
/// another (GitHub App tokens: `x-access-token`, Bitbucket:
/// `x-token-auth`) is told so by the profile's `git_username`.
pub const DEFAULT_GIT_USERNAME: &str = "oauth2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The bare token.
    Token,
    /// `Authorization: Bearer <token>` (the profile's `header` and `scheme`).
    Header,
    /// access_token, token_type, expires_at, expires_in, scope as JSON.
    Json,
    /// A kubectl `client.authentication.k8s.io/v1` ExecCredential (JSON).
    ExecCredential,
    /// `export GETTOKEN_TOKEN='<token>'`, shell-quoted (see --env).
    Env,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Keyring,
    File,
    None,
}

/// JWS algorithms (RFC 7518) gettoken signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl SigningAlg {
    /// `signing_alg` values, for the profile's validation.
    pub const CHOICES: [(&'static str, SigningAlg); 9] = [
        ("RS256", SigningAlg::RS256),
        ("RS384", SigningAlg::RS384),
        ("RS512", SigningAlg::RS512),
        ("PS256", SigningAlg::PS256),
        ("PS384", SigningAlg::PS384),
        ("PS512", SigningAlg::PS512),
        ("ES256", SigningAlg::ES256),
        ("ES384", SigningAlg::ES384),
        ("EdDSA", SigningAlg::EdDSA),
    ];

    pub fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }
}

type Result<T> = std::result::Result<T, Failure>;

fn bad(name: &str, msg: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("profile `{name}`: {msg}"))
}

fn one_of<T: Copy>(name: &str, key: &str, value: &str, choices: &[(&str, T)]) -> Result<T> {
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            bad(
                name,
                format!(
                    "`{key}` is \"{value}\"; it must be one of {}",
                    names.join(", ")
                ),
            )
        })
}

/// The longest a login may wait for its user.
const MAX_LOGIN_TIMEOUT: Duration = Duration::from_secs(86_400);

/// A grant as users write it.
fn grant_name(grant: &Grant) -> &str {
    match grant {
        Grant::DeviceCode => "device_code",
        other => other.grant_type(),
    }
}

fn parse_duration(name: &str, key: &str, value: &str) -> Result<Duration> {
    duration::parse(value).map_err(|e| bad(name, format!("`{key}`: {e}")))
}

fn parse_url(name: &str, key: &str, value: &str, insecure_http: bool) -> Result<Url> {
    let url = Url::parse(value).map_err(|e| bad(name, format!("`{key}` is not a URL: {e}")))?;
    check_transport(&url, insecure_http).map_err(|e| bad(name, format!("`{key}`: {e}")))?;
    if url.fragment().is_some() {
        // Never sent; a query added after it (`body = "query"`) would be lost.
        return Err(bad(
            name,
            format!("`{key}` has a fragment (`#...`), which is never sent: remove it"),
        ));
    }
    Ok(url)
}

/// `https` is required, except to a loopback host or when the profile sets
/// `insecure_http = true`.
pub fn check_transport(url: &Url, insecure_http: bool) -> std::result::Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "`{}` is plain http to a host that is not loopback: use https, or set `insecure_http = true` if you must",
            url_for_humans(url)
        )),
        other => Err(format!("unsupported URL scheme `{other}` (use https)")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL without its query, fragment and user info, which may hold
/// credentials.
pub fn url_for_humans(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn check_pointer(name: &str, key: &str, value: &str) -> Result<String> {
    if value.is_empty() || value.starts_with('/') {
        Ok(value.to_string())
    } else {
        Err(bad(
            name,
            format!("response `{key}` = \"{value}\" is not a JSON Pointer: write \"/{value}\""),
        ))
    }
}

impl Profile {
    /// Validates `raw` (already merged with `[defaults]`).
    pub fn resolve(name: &str, raw: RawProfile) -> Result<Profile> {
        let flavour = raw.flavour.clone().ok_or_else(|| {
            bad(
                name,
                "no `flavour`: add flavour = \"oauth2\" or flavour = \"http\"",
            )
        })?;
        let insecure_http = raw.insecure_http.unwrap_or(false);
        let endpoint = match flavour.as_str() {
            "oauth2" => {
                refuse_keys(name, &raw, "oauth2", "http")?;
                Endpoint::OAuth2(Box::new(oauth2(name, &raw, insecure_http)?))
            }
            "http" => {
                refuse_keys(name, &raw, "http", "oauth2")?;
                Endpoint::Http(http(name, &raw, insecure_http)?)
            }
            other => {
                return Err(bad(
                    name,
                    format!("unknown flavour \"{other}\": use \"oauth2\" or \"http\""),
                ));
            }
        };
        let response = response_map(name, raw.response.clone().unwrap_or_default(), &endpoint)?;

        let output = match &raw.output {
            Some(v) => one_of(
                name,
                "output",
                v,
                &[
                    ("token", Format::Token),
                    ("header", Format::Header),
                    ("json", Format::Json),
                    ("exec-credential", Format::ExecCredential),
                    ("env", Format::Env),
                ],
            )?,
            None => Format::Token,
        };
        let cache = match &raw.cache {
            Some(v) => one_of(
                name,
                "cache",
                v,
                &[
                    ("keyring", CacheKind::Keyring),
                    ("file", CacheKind::File),
                    ("none", CacheKind::None),
                ],
            )?,
            None => CacheKind::Keyring,
        };
        if let Some(s) = raw.scheme.as_deref().filter(|s| !s.is_empty())
            && !crate::util::text::is_http_token(s)
        {
            return Err(bad(
                name,
                format!(
                    "`scheme` \"{}\" is not an HTTP auth scheme (letters, digits and !#$%&'*+-.^_`|~ only, as in \"Bearer\"), or \"\" for none",
                    crate::util::text::escape_for_terminal(s)
                ),
            ));
        }
        let header = raw.header.clone().unwrap_or_else(|| "Authorization".into());
        if header.is_empty() || reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return Err(bad(
                name,
                format!("`header` \"{header}\" is not a valid header name"),
            ));
        }
        let headers: Vec<(String, Text)> = raw
            .headers
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        for (h, _) in &headers {
            if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(bad(
                    name,
                    format!("`headers`: \"{h}\" is not a valid header name"),
                ));
            }
        }
        let git_username = raw
            .git_username
            .clone()
            .unwrap_or_else(|| DEFAULT_GIT_USERNAME.into());
        if git_username.is_empty() || git_username.chars().any(char::is_control) {
            return Err(bad(name, "`git_username` must be a non-empty line of text"));
        }
        let timeout = parse_duration(name, "timeout", raw.timeout.as_deref().unwrap_or("30s"))?;
        if timeout.is_zero() {
            return Err(bad(name, "`timeout` must be more than 0s"));
        }
        Ok(Profile {
            name: name.to_string(),
            fingerprint: fingerprint(&raw),
            endpoint,
            response,
            output,
            min_ttl: parse_duration(name, "min_ttl", raw.min_ttl.as_deref().unwrap_or("60s"))?,
            cache,
            header,
            scheme: raw.scheme.clone(),
            timeout,
            retries: raw.retries.unwrap_or(2).min(10),
            ca_file: raw.ca_file.as_deref().map(expand_home),
            insecure_http,
            headers,
            git_username,
        })
    }
}

/// Refuses keys of the other flavour: those that `for_flavour` (the one
/// list of which key belongs to which flavour) would drop.
fn refuse_keys(name: &str, raw: &RawProfile, flavour: &str, other: &str) -> Result<()> {
    let written = serde_json::to_value(raw).unwrap_or_default();
    let kept = serde_json::to_value(raw.for_flavour(Some(flavour))).unwrap_or_default();
    let set = |v: &serde_json::Value, key: &str| v.get(key).is_some_and(|x| !x.is_null());
    let stray = written
        .as_object()
        .into_iter()
        .flat_map(|map| map.keys())
        .find(|key| set(&written, key) && !set(&kept, key));
    match stray {
        Some(key) => Err(bad(
            name,
            format!("`{key}` is a key of flavour \"{other}\", not \"{flavour}\""),
        )),
        None => Ok(()),
    }
}

fn oauth2(name: &str, raw: &RawProfile, insecure: bool) -> Result<OAuth2> {
    let token_url = raw
        .token_url
        .as_deref()
        .map(|u| parse_url(name, "token_url", u, insecure))
        .transpose()?;
    let issuer = raw
        .issuer
        .as_deref()
        .map(|u| parse_url(name, "issuer", u, insecure))
        .transpose()?;
    if token_url.is_none() && issuer.is_none() {
        return Err(bad(
            name,
            "flavour \"oauth2\" needs `token_url` or `issuer`",
        ));
    }
    let optional_url = |key: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|u| parse_url(name, key, u, insecure))
            .transpose()
    };
    let device_url = optional_url("device_url", &raw.device_url)?;
    let authorization_url = optional_url("authorization_url", &raw.authorization_url)?;
    let grant = match raw.grant.as_deref().unwrap_or("client_credentials") {
        "" => return Err(bad(name, "`grant` is empty")),
        "client_credentials" => Grant::ClientCredentials,
        "password" => Grant::Password,
        "refresh_token" => Grant::RefreshToken,
        "device_code" | DEVICE_CODE_GRANT => Grant::DeviceCode,
        "authorization_code" => Grant::AuthorizationCode,
        other => Grant::Other(other.to_string()),
    };
    let need = |key: &str, value: &Option<Text>| {
        if value.is_none() {
            Err(bad(
                name,
                format!("grant \"{}\" needs `{key}`", grant_name(&grant)),
            ))
        } else {
            Ok(())
        }
    };
    match grant {
        Grant::Password => {
            need("username", &raw.username)?;
            need("password", &raw.password)?;
        }
        Grant::RefreshToken => need("refresh_token", &raw.refresh_token)?,
        Grant::DeviceCode => {
            need("client_id", &raw.client_id)?;
            if device_url.is_none() && issuer.is_none() {
                return Err(bad(
                    name,
                    "grant \"device_code\" needs `device_url` or `issuer` (whose discovery document names the device endpoint)",
                ));
            }
        }
        Grant::AuthorizationCode => {
            need("client_id", &raw.client_id)?;
            if authorization_url.is_none() && issuer.is_none() {
                return Err(bad(
                    name,
                    "grant \"authorization_code\" needs `authorization_url` or `issuer` (whose discovery document names the authorization endpoint)",
                ));
            }
        }
        _ => {}
    }
    let client_auth = match raw.client_auth.as_deref() {
        Some(v) => one_of(
            name,
            "client_auth",
            v,
            &[
                ("basic", ClientAuth::Basic),
                ("body", ClientAuth::Body),
                ("private_key_jwt", ClientAuth::PrivateKeyJwt),
                ("none", ClientAuth::None),
            ],
        )?,
        None if raw.client_secret.is_some() => ClientAuth::Basic,
        None if raw.private_key.is_some() => ClientAuth::PrivateKeyJwt,
        None => ClientAuth::None,
    };
    match client_auth {
        ClientAuth::Basic | ClientAuth::Body => {
            need("client_id", &raw.client_id)?;
            if raw.client_secret.is_none() {
                return Err(bad(
                    name,
                    "`client_auth` \"basic\" or \"body\" needs `client_secret`",
                ));
            }
        }
        ClientAuth::PrivateKeyJwt => {
            need("client_id", &raw.client_id)?;
            if raw.private_key.is_none() {
                return Err(bad(
                    name,
                    "`client_auth` \"private_key_jwt\" needs `private_key`, a PEM private key, e.g. private_key = { file = \"~/.config/gettoken/client.pem\" }",
                ));
            }
        }
        ClientAuth::None => {}
    }
    if client_auth != ClientAuth::PrivateKeyJwt {
        for (key, set) in [
            ("private_key", raw.private_key.is_some()),
            ("key_id", raw.key_id.is_some()),
            ("signing_alg", raw.signing_alg.is_some()),
        ] {
            if set {
                return Err(bad(
                    name,
                    format!("`{key}` is only used with client_auth = \"private_key_jwt\""),
                ));
            }
        }
    }
    let signing_alg = match raw.signing_alg.as_deref() {
        Some(v) => Some(one_of(name, "signing_alg", v, &SigningAlg::CHOICES)?),
        None => None,
    };
    let login_timeout = parse_duration(
        name,
        "login_timeout",
        raw.login_timeout.as_deref().unwrap_or("5m"),
    )?;
    if login_timeout.is_zero() || login_timeout > MAX_LOGIN_TIMEOUT {
        return Err(bad(
            name,
            "`login_timeout` must be more than 0s and at most 1d",
        ));
    }
    let body = match raw.body.as_deref() {
        Some(v) => one_of(
            name,
            "body",
            v,
            &[("form", Encoding::Form), ("json", Encoding::Json)],
        )?,
        None => Encoding::Form,
    };
    let scope = match &raw.scope {
        None => vec![],
        Some(Scope::One(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Scope::Many(v)) => v.clone(),
    };
    Ok(OAuth2 {
        token_url,
        issuer,
        device_url,
        authorization_url,
        redirect_port: raw.redirect_port.unwrap_or(0),
        login_timeout,
        grant,
        client_id: raw.client_id.clone(),
        client_secret: raw.client_secret.clone(),
        client_auth,
        private_key: raw.private_key.clone(),
        key_id: raw.key_id.clone(),
        signing_alg,
        username: raw.username.clone(),
        password: raw.password.clone(),
        refresh_token: raw.refresh_token.clone(),
        scope,
        audience: raw.audience.clone(),
        resource: raw.resource.clone(),
        params: raw.params.clone().unwrap_or_default().into_iter().collect(),
        body,
    })
}

fn http(name: &str, raw: &RawProfile, insecure: bool) -> Result<Http> {
    let url_text = raw
        .url
        .clone()
        .ok_or_else(|| bad(name, "flavour \"http\" needs `url`"))?;
    parse_url(name, "url", &url_text, insecure)?;
    let method_text = raw.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        bad(
            name,
            format!("`method` \"{method_text}\" is not an HTTP method"),
        )
    })?;
    let body = match raw.body.as_deref() {
        Some(v) => one_of(
            name,
            "body",
            v,
            &[
                ("json", Encoding::Json),
                ("form", Encoding::Form),
                ("query", Encoding::Query),
                ("none", Encoding::None),
            ],
        )?,
        None => Encoding::Json,
    };
    let fields = match &raw.fields {
        Some(table) => table_fields(name, "fields", &table.0)?,
        None => vec![],
    };
    if body == Encoding::None && !fields.is_empty() {
        return Err(bad(
            name,
            "`fields` are set but `body` is \"none\": choose json, form or query",
        ));
    }
    if matches!(body, Encoding::Form | Encoding::Query)
        && fields
            .iter()
            .any(|(_, f)| matches!(f, Field::Table(_) | Field::List(_)))
    {
        return Err(bad(name, "nested `fields` need `body = \"json\"`"));
    }
    if raw
        .response
        .as_ref()
        .and_then(|r| r.token.as_ref())
        .is_none()
    {
        return Err(bad(
            name,
            "flavour \"http\" needs `response.token`, the JSON Pointer to the token, e.g. \"/access_token\"",
        ));
    }
    Ok(Http {
        url_text,
        method,
        body,
        fields,
    })
}

fn table_fields(name: &str, path: &str, table: &toml::Table) -> Result<Vec<(String, Field)>> {
    table
        .iter()
        .map(|(k, v)| Ok((k.clone(), field(name, &format!("{path}.{k}"), v)?)))
        .collect()
}

fn field(name: &str, path: &str, value: &toml::Value) -> Result<Field> {
    use toml::Value as V;
    Ok(match value {
        V::String(s) => Field::Text(Text::Plain(s.clone())),
        V::Integer(i) => Field::Number((*i).into()),
        V::Float(f) => Field::Number(
            serde_json::Number::from_f64(*f)
                .ok_or_else(|| bad(name, format!("`{path}` is not a finite number")))?,
        ),
        V::Boolean(b) => Field::Bool(*b),
        V::Datetime(d) => Field::Text(Text::Plain(d.to_string())),
        V::Array(items) => Field::List(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| field(name, &format!("{path}[{i}]"), v))
                .collect::<Result<_>>()?,
        ),
        V::Table(t)
            if t.len() == 1
                && Source::KEYS.contains(&t.keys().next().map_or("", String::as_str)) =>
        {
            let source: Source = V::Table(t.clone())
                .try_into()
                .map_err(|e: toml::de::Error| bad(name, format!("`{path}`: {}", e.message())))?;
            Field::Text(Text::From(source))
        }
        V::Table(t) => Field::Table(table_fields(name, path, t)?),
    })
}

fn response_map(name: &str, raw: RawResponse, endpoint: &Endpoint) -> Result<ResponseMap> {
    let oauth2 = matches!(endpoint, Endpoint::OAuth2(_));
    let ptr = |key: &str, value: Option<String>, default: Option<&str>| -> Result<Option<String>> {
        value
            .or(default.map(str::to_string))
            .map(|v| check_pointer(name, key, &v))
            .transpose()
    };
    let expiry_ms = match raw.expiry_unit.as_deref() {
        Some(v) => one_of(
            name,
            "response.expiry_unit",
            v,
            &[("s", false), ("ms", true)],
        )?,
        None => false,
    };
    let lifetime = raw
        .lifetime
        .as_deref()
        .map(|v| parse_duration(name, "response.lifetime", v))
        .transpose()?;
    Ok(ResponseMap {
        token: ptr("token", raw.token, Some("/access_token"))?.unwrap_or_default(),
        token_type: ptr("token_type", raw.token_type, Some("/token_type"))?,
        expires_in: ptr("expires_in", raw.expires_in, Some("/expires_in"))?,
        expires_at: ptr("expires_at", raw.expires_at, None)?,
        lifetime,
        refresh_token: ptr(
            "refresh_token",
            raw.refresh_token,
            oauth2.then_some("/refresh_token"),
        )?,
        scope: ptr("scope", raw.scope, Some("/scope"))?,
        success: ptr("success", raw.success, None)?,
        error: match raw.error {
            Some(list) => list
                .into_vec()
                .into_iter()
                .map(|p| check_pointer(name, "error", &p))
                .collect::<Result<_>>()?,
            None => DEFAULT_ERROR_PATHS.iter().map(|s| s.to_string()).collect(),
        },
        expiry_ms,
    })
}

/// A stable digest of the settings that decide which token comes back.
/// Literal values of secret-looking keys are left out, so the digest never
/// depends on (or reveals anything of) a secret.
fn fingerprint(raw: &RawProfile) -> String {
    let mut r = raw.clone();
    // Settings that change how a token is shown or kept, not which one.
    r.output = None;
    r.min_ttl = None;
    r.cache = None;
    r.header = None;
    r.scheme = None;
    r.timeout = None;
    r.retries = None;
    r.ca_file = None;
    r.git_username = None;
    r.login_timeout = None;
    r.redirect_port = None;
    let mut value = serde_json::to_value(&r).unwrap_or_default();
    mask_secrets(&mut value, false);
    fnv1a64(value.to_string().as_bytes())
}

fn mask_secrets(value: &mut serde_json::Value, secret_key: bool) {
    match value {
        serde_json::Value::String(s) if secret_key => *s = "(literal)".into(),
        serde_json::Value::Object(map) => {
            // A secret source ({ env = ... }) is a reference: kept as is.
            if map.len() == 1 && map.keys().all(|k| Source::KEYS.contains(&k.as_str())) {
                return;
            }
            for (k, v) in map.iter_mut() {
                // `response` holds paths into the reply, not values.
                if k != "response" {
                    mask_secrets(v, secret_key || is_credential_key(k));
                }
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| mask_secrets(v, secret_key))
        }
        _ => {}
    }
}

fn fnv1a64(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}
