//! The validated profile: the types the rest of gettoken runs on, and the
//! defaults they take when a key is not written. Built by `validate`.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use crate::secrets::Text;

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
    /// A TLS client certificate (PEM, chain allowed) and its private key,
    /// sent on every request: a PEM text, a source, or a file path.
    pub client_cert: Option<(Text, Text)>,
    /// The username `gettoken git-credential` gives git with the token.
    pub git_username: String,
    /// `id_token = true`: the reply's OpenID Connect ID token is the token
    /// printed (and renewed by its own `exp`), not the access token.
    pub id_token: bool,
    /// The username a docker credential helper answers with the token.
    pub docker_username: String,
    /// Identifies the request settings as written (secret references, never
    /// secret values): a cached token is served only to the same settings.
    pub fingerprint: String,
    /// What the fingerprint only names or leaves out, which the cached
    /// token must match too: secrets written out, `env` and `file`
    /// sources (see `config::fingerprint::fingerprint_and_credentials`).
    pub credentials: Vec<(String, Text)>,
    /// Addresses written as a source (`token_url = { env = ... }`), by key:
    /// read only when fetching (`Profile::with_addresses`), their fields
    /// of the endpoint unset until then.
    pub addresses: Vec<(String, Text)>,
    /// Per-call overrides' hash (`config::overrides`): the cache entry and
    /// lock are `NAME#VARIANT`'s.
    pub variant: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Endpoint {
    OAuth2(Box<OAuth2>),
    Http(Http),
    /// `flavour = "jwt"`: the token is a JWT signed here; no request.
    Jwt(Box<crate::secrets::jwt::JwtSpec>),
}

#[derive(Debug, Clone)]
pub struct OAuth2 {
    /// DPoP (RFC 9449): the key token requests carry proofs of.
    pub dpop: Option<Dpop>,
    pub token_url: Option<Url>,
    pub issuer: Option<Url>,
    /// The device authorization endpoint (RFC 8628), when not discovered.
    pub device_url: Option<Url>,
    /// The authorization endpoint (browser login), when not discovered.
    pub authorization_url: Option<Url>,
    /// The loopback port of the browser login's redirect; 0: any free port.
    pub redirect_port: u16,
    /// The browser login's redirect (`redirect_uri`; its port is
    /// `redirect_port`'s).
    pub redirect: Redirect,
    /// How the browser login's URL reaches a browser (`browser`).
    pub browser: Browser,
    /// How long a device or browser login may wait for the user.
    pub login_timeout: Duration,
    /// After a login that failed, how long other runs start none (0: off).
    pub login_cooldown: Duration,
    /// The revocation endpoint (RFC 7009) `logout` uses, when not discovered.
    pub revocation_url: Option<Url>,
    pub grant: Grant,
    pub client_id: Option<Text>,
    pub client_secret: Option<Text>,
    pub client_auth: ClientAuth,
    /// For `client_auth = "private_key_jwt"`: a PEM private key.
    pub private_key: Option<Text>,
    pub key_id: Option<Text>,
    /// The JWS algorithm; `None`: chosen from the key.
    pub signing_alg: Option<SigningAlg>,
    /// A PEM certificate of `private_key`: its thumbprint goes in the
    /// header of what the key signs (`x5t`, `x5t#S256`).
    pub certificate: Option<Text>,
    pub thumbprint: Thumbprint,
    /// For `grant = "jwt_bearer"` (RFC 7523 2.1): the assertion's `iss`
    /// (default `client_id`), `sub` and `aud` (default the token URL).
    pub assertion_issuer: Option<Text>,
    pub assertion_subject: Option<Text>,
    pub assertion_audience: Option<Text>,
    pub username: Option<Text>,
    pub password: Option<Text>,
    pub refresh_token: Option<Text>,
    /// `refresh_from = "PROFILE"`: the refresh grant takes the refresh
    /// token of that profile's login (its cache record), and a rotated one
    /// goes back there; the grant is `refresh_token`.
    pub refresh_from: Option<String>,
    pub scope: Vec<String>,
    pub audience: Option<Text>,
    pub resource: Option<Text>,
    pub params: Vec<(String, Text)>,
    pub body: Encoding,
    /// RFC 8693 token exchange: what is exchanged, and for what.
    pub exchange: Exchange,
}

/// The keys of grant `token_exchange` (RFC 8693 2.1); token types are
/// written out as URNs.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub subject_token: Option<Text>,
    pub subject_token_type: String,
    pub actor_token: Option<Text>,
    pub actor_token_type: String,
    pub requested_token_type: Option<String>,
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
    /// RFC 7523 2.1: a JWT signed with `private_key` is the grant.
    JwtBearer,
    /// RFC 8693: `subject_token` (often another profile's token) exchanged.
    TokenExchange,
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
            Grant::JwtBearer => JWT_BEARER_GRANT,
            Grant::TokenExchange => TOKEN_EXCHANGE_GRANT,
            Grant::Other(s) => s,
        }
    }

    /// The grant asks a person to approve it, in a browser.
    pub fn is_interactive(&self) -> bool {
        matches!(self, Grant::DeviceCode | Grant::AuthorizationCode)
    }
}

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    Basic,
    /// HTTP Basic with the id and secret as they are, not form-encoded
    /// first (`api-user@x` stays so), for servers that do not decode.
    RawBasic,
    Body,
    /// A JWT signed with the client's private key (RFC 7523 2.2).
    PrivateKeyJwt,
    /// RFC 8705 2.1: the client certificate (issued by a CA) authenticates;
    /// `client_id` in the body, no secret.
    TlsClientAuth,
    /// RFC 8705 2.2: a self-signed client certificate registered with the
    /// server; `client_id` in the body, no secret.
    SelfSignedTlsClientAuth,
    None,
}

/// `body`: how the request's fields are sent (`oauth2` takes only `form`
/// and `json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// `basic_username` and `basic_password`: sent as HTTP Basic.
    pub basic: Option<(Text, Text)>,
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
    /// How the body is read: JSON, plain text (the body is the token), or
    /// form-encoded.
    pub format: ReplyFormat,
    /// A 2xx reply with a value here is a refusal (`response.refusal`).
    pub refusal: Option<String>,
    /// Reply fields the profile names (`response.extra`): (name, path).
    pub extra: Vec<(String, String)>,
}

/// `response.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyFormat {
    Json,
    /// The whole body, trimmed, is the token (at the path `""`).
    Text,
    /// `application/x-www-form-urlencoded`: an object of strings.
    Form,
}

/// A response path that starts so names a reply header, not a place in the
/// body: `"header:X-Subject-Token"`.
pub const HEADER_PATH: &str = "header:";

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

/// The username docker (and skopeo) are given with the token when a
/// profile names none: a registry's token service checks only the password
/// for an access token, and this is the name the best-known ones expect.
/// Not `<token>`, which would make docker send the token as a refresh
/// token.
pub const DEFAULT_DOCKER_USERNAME: &str = "oauth2accesstoken";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheKind {
    Keyring,
    File,
    None,
}

/// JWS algorithms (RFC 7518) gettoken signs with.
pub use crate::util::jws::SigningAlg;

/// Which certificate thumbprints a signed header carries.
pub use crate::secrets::jwt::Thumbprint;

/// The browser login's loopback redirect: `http://HOST:PORT/PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `127.0.0.1`, `localhost` or `[::1]`.
    pub host: String,
    /// 0: any free port.
    pub port: u16,
    pub path: String,
}

/// How the browser login's URL reaches a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Browser {
    /// `$BROWSER`, WSL's or the desktop's opener; over SSH none (the URL
    /// is printed, and a pasted redirect is read as well when there is no
    /// display).
    Auto,
    /// Print the URL and read the redirected URL the user pastes on stdin
    /// (the listener stays on, for a forwarded port).
    Paste,
    /// Print the URL only.
    Print,
    /// This program and arguments (`%s`: the URL, else appended), no shell.
    Command(Vec<String>),
}

/// `dpop = true`: a DPoP key (RFC 9449) whose proofs go with every token
/// request, and to which the endpoint binds the token.
#[derive(Debug, Clone)]
pub struct Dpop {
    /// `dpop_key`: a PEM private key from any source; `None`: a key made
    /// on first use and kept in the OS keyring as secret `dpop/PROFILE`.
    pub key: Option<Text>,
    /// `dpop_alg`, default ES256.
    pub alg: SigningAlg,
}

impl Dpop {
    /// The name of the generated key among the stored secrets
    /// (`gettoken secret delete dpop/PROFILE` drops it).
    pub fn stored_name(profile: &str) -> String {
        format!("dpop/{profile}")
    }
}
