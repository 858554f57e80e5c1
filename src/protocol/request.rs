//! Building the token request from a profile: method, URL, headers, body.
//! Pure: secret values come from a [`Resolve`] implementation, so tests can
//! pass them in and the real one (`resolve.rs`) does the I/O.

use std::fmt;

use base64::Engine;
use reqwest::Method;
use serde_json::{Map, Value};
use url::form_urlencoded;

use crate::config::{ClientAuth, Encoding, Field, Grant, Http, OAuth2, Profile, url_for_humans};
use crate::error::Failure;
use crate::protocol::assertion;
use crate::secrets::keys::is_public_key;
use crate::secrets::{Resolve, Secret, Text};

/// A request ready to send. Its `Debug` hides what may be secret.
#[derive(Clone)]
pub struct TokenRequest {
    pub method: Method,
    /// Sent as it is.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Every secret value placed in the request, for redaction.
    pub secrets: Vec<Secret>,
    /// Spends something that works once (an authorization code, a rotating
    /// refresh token): sent again only when it cannot have reached the
    /// server, since a second use can revoke what the first one bought.
    pub once: bool,
}

/// Shows the method, the URL without its query or user info, the header
/// names with only public values, and the body's length.
impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match url::Url::parse(&self.url) {
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                format!("{}?(redacted)", url_for_humans(&url))
            }
            Ok(url) => url_for_humans(&url),
            Err(_) => "(redacted)".into(),
        };
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let public =
                    is_public_key(name) && !self.secrets.iter().any(|s| value.contains(s.expose()));
                (name.as_str(), if public { value } else { "(redacted)" })
            })
            .collect();
        f.debug_struct("TokenRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &headers)
            .field(
                "body",
                &self.body.as_ref().map(|b| format!("({} bytes)", b.len())),
            )
            .field("secrets", &self.secrets)
            .field("once", &self.once)
            .finish()
    }
}

/// Which grant an OAuth 2.0 request makes.
#[derive(Debug, Clone, Copy)]
pub enum GrantKind<'a> {
    /// The profile's own `grant` (not an interactive one).
    Profile,
    /// `grant_type=refresh_token` with a refresh token from the cache.
    Refresh(&'a Secret),
    /// A poll with the device code (RFC 8628 3.4).
    DeviceCode(&'a Secret),
    /// The code from a browser login, with the PKCE verifier (RFC 6749
    /// 4.1.3, RFC 7636 4.5).
    AuthorizationCode {
        code: &'a Secret,
        verifier: &'a Secret,
        redirect_uri: &'a str,
    },
}

pub const USER_AGENT: &str = concat!("gettoken/", env!("CARGO_PKG_VERSION"));

struct Builder<'r> {
    resolver: &'r mut dyn Resolve,
    secrets: Vec<Secret>,
}

impl Builder<'_> {
    /// The value of `text`; remembered as a secret (hidden from `-v` and
    /// messages) unless it sits under a key known to be public.
    fn value(&mut self, text: &Text, key: &str) -> anyhow::Result<String> {
        let secret = self.resolver.resolve(text, key)?;
        let value = secret.expose().to_string();
        if (matches!(text, Text::From(_)) || !is_public_key(key)) && !value.is_empty() {
            self.secrets.push(secret);
        }
        Ok(value)
    }

    fn secret(&mut self, value: String) -> String {
        self.secrets.push(Secret::new(value.clone()));
        value
    }

    /// `Basic base64(user:password)`, user and password as given.
    fn basic(&mut self, user: &str, password: &str) -> String {
        let pair = format!("{user}:{password}");
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(&pair)
        );
        // Registered, the pair's base64 spellings are hidden too.
        self.secret(pair);
        self.secret(basic)
    }
}

/// An OAuth 2.0 token request (RFC 6749 section 4 and 6, RFC 8628 3.4).
pub fn oauth2(
    profile: &Profile,
    o: &OAuth2,
    token_url: &str,
    kind: GrantKind<'_>,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<TokenRequest> {
    let mut b = Builder {
        resolver,
        secrets: Vec::new(),
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut field = |key: &str, value: String| fields.push((key.to_string(), value));
    match kind {
        GrantKind::Refresh(token) => {
            field("grant_type", "refresh_token".into());
            field("refresh_token", b.secret(token.expose().to_string()));
            // RFC 6749 6 and RFC 8707 2.2: the scope and resource asked
            // for again (some servers, Entra v2 among them, need them).
            if !o.scope.is_empty() {
                field("scope", o.scope.join(" "));
            }
            if let Some(text) = &o.resource {
                field("resource", b.value(text, "resource")?);
            }
        }
        GrantKind::DeviceCode(code) => {
            field("grant_type", o.grant.grant_type().into());
            field("device_code", b.secret(code.expose().to_string()));
        }
        GrantKind::AuthorizationCode {
            code,
            verifier,
            redirect_uri,
        } => {
            field("grant_type", "authorization_code".into());
            field("code", b.secret(code.expose().to_string()));
            field("redirect_uri", redirect_uri.into());
            field("code_verifier", b.secret(verifier.expose().to_string()));
        }
        GrantKind::Profile => {
            field("grant_type", o.grant.grant_type().into());
            for (key, text) in [
                ("username", &o.username),
                ("password", &o.password),
                ("refresh_token", &o.refresh_token),
            ] {
                let sent = matches!(
                    (&o.grant, key),
                    (Grant::Password, "username" | "password")
                        | (Grant::RefreshToken, "refresh_token")
                        | (Grant::Other(_), _)
                );
                if let (true, Some(text)) = (sent, text) {
                    field(key, b.value(text, key)?);
                }
            }
            if o.grant == Grant::JwtBearer {
                let assertion = grant_assertion(&mut b, o, token_url)?;
                field("assertion", assertion);
            }
            if o.grant == Grant::TokenExchange {
                for (key, value) in exchange(&mut b, o)? {
                    field(&key, value);
                }
            }
            fields.extend(what_is_asked(&mut b, o, true)?);
        }
    }
    // A configured refresh token (grant "refresh_token") is spent as much
    // as a cached one.
    let once = matches!(
        kind,
        GrantKind::Refresh(_) | GrantKind::AuthorizationCode { .. }
    ) || (matches!(kind, GrantKind::Profile) && o.grant == Grant::RefreshToken);
    let mut req = client_request(b, profile, o, token_url, token_url, fields)?;
    req.once = once;
    Ok(req)
}

/// The device authorization request (RFC 8628 3.1): the client and what it
/// asks for, no grant. A signed client assertion names the token endpoint
/// as its audience, the one every server accepts.
pub fn device_authorization(
    profile: &Profile,
    o: &OAuth2,
    device_url: &str,
    token_url: &str,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<TokenRequest> {
    let mut b = Builder {
        resolver,
        secrets: Vec::new(),
    };
    let fields = what_is_asked(&mut b, o, true)?;
    client_request(b, profile, o, device_url, token_url, fields)
}

/// A revocation request (RFC 7009 2.1): `token` and its `token_type_hint`
/// (`refresh_token` or `access_token`), the client authenticated as for
/// the token endpoint (`client_id` alone for a public client).
pub fn revocation(
    profile: &Profile,
    o: &OAuth2,
    revocation_url: &str,
    token_url: &str,
    token: &Secret,
    hint: &str,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<TokenRequest> {
    let mut b = Builder {
        resolver,
        secrets: Vec::new(),
    };
    let fields = vec![
        ("token".to_string(), b.secret(token.expose().to_string())),
        ("token_type_hint".to_string(), hint.to_string()),
    ];
    client_request(b, profile, o, revocation_url, token_url, fields)
}

/// The query of the browser login's authorization request (RFC 6749 4.1.1,
/// RFC 7636 4.3): what is asked, the client, the PKCE challenge, `state`.
pub fn authorization_query(
    o: &OAuth2,
    redirect_uri: &str,
    challenge: &str,
    state: &str,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut b = Builder {
        resolver,
        secrets: Vec::new(),
    };
    let client_id = o.client_id.as_ref().expect("validated: client_id");
    let mut fields = vec![
        ("response_type".to_string(), "code".to_string()),
        ("client_id".to_string(), b.value(client_id, "client_id")?),
        ("redirect_uri".to_string(), redirect_uri.to_string()),
        ("code_challenge".to_string(), challenge.to_string()),
        ("code_challenge_method".to_string(), "S256".to_string()),
        ("state".to_string(), state.to_string()),
    ];
    // The URL is shown, kept in the browser's history and passed to it:
    // `params` read from a secret source go to the token request only.
    fields.extend(what_is_asked(&mut b, o, false)?);
    Ok(fields)
}

/// RFC 8693 2.1: the subject token and its type, the actor token and its
/// type when set, the requested token type when set.
fn exchange(b: &mut Builder<'_>, o: &OAuth2) -> anyhow::Result<Vec<(String, String)>> {
    let x = &o.exchange;
    let subject = x.subject_token.as_ref().expect("validated: subject_token");
    let mut fields = vec![
        (
            "subject_token".to_string(),
            b.value(subject, "subject_token")?,
        ),
        (
            "subject_token_type".to_string(),
            x.subject_token_type.clone(),
        ),
    ];
    if let Some(actor) = &x.actor_token {
        fields.push(("actor_token".into(), b.value(actor, "actor_token")?));
        fields.push(("actor_token_type".into(), x.actor_token_type.clone()));
    }
    if let Some(requested) = &x.requested_token_type {
        fields.push(("requested_token_type".into(), requested.clone()));
    }
    Ok(fields)
}

/// `scope`, `audience`, `resource` and the profile's `params` (those from a
/// secret source only when `secret_params`).
fn what_is_asked(
    b: &mut Builder<'_>,
    o: &OAuth2,
    secret_params: bool,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut fields = Vec::new();
    if !o.scope.is_empty() {
        fields.push(("scope".into(), o.scope.join(" ")));
    }
    for (key, text) in [("audience", &o.audience), ("resource", &o.resource)] {
        if let Some(text) = text {
            fields.push((key.into(), b.value(text, key)?));
        }
    }
    for (key, text) in &o.params {
        if secret_params || matches!(text, Text::Plain(_)) {
            fields.push((key.clone(), b.value(text, key)?));
        }
    }
    Ok(fields)
}

/// A POST to an endpoint of the authorization server: the client
/// authenticated its way (RFC 6749 2.3, RFC 7523 2.2; `audience` is the
/// `aud` of a signed assertion), `fields` encoded.
fn client_request(
    mut b: Builder<'_>,
    profile: &Profile,
    o: &OAuth2,
    url: &str,
    audience: &str,
    mut fields: Vec<(String, String)>,
) -> anyhow::Result<TokenRequest> {
    let mut headers = base_headers();
    let client_id = |b: &mut Builder<'_>| -> anyhow::Result<String> {
        b.value(o.client_id.as_ref().expect("validated"), "client_id")
    };
    let client_secret = |b: &mut Builder<'_>| -> anyhow::Result<String> {
        b.value(
            o.client_secret.as_ref().expect("validated"),
            "client_secret",
        )
    };
    match o.client_auth {
        ClientAuth::Basic => {
            let (id, secret) = (client_id(&mut b)?, client_secret(&mut b)?);
            let basic = b.basic(&form_encode(&id), &form_encode(&secret));
            headers.push(("Authorization".into(), basic));
        }
        ClientAuth::RawBasic => {
            let (id, secret) = (client_id(&mut b)?, client_secret(&mut b)?);
            let basic = b.basic(&id, &secret);
            headers.push(("Authorization".into(), basic));
        }
        ClientAuth::Body => {
            fields.push(("client_id".into(), client_id(&mut b)?));
            fields.push(("client_secret".into(), client_secret(&mut b)?));
        }
        ClientAuth::PrivateKeyJwt => {
            let id = client_id(&mut b)?;
            let key = b
                .resolver
                .resolve(o.private_key.as_ref().expect("validated"), "private_key")?;
            let claims = assertion::Claims {
                client_id: &id,
                audience,
                now: b.resolver.now(),
                jti: &b.resolver.unique_id(),
            };
            let signed = signed_header(&mut b, o)?;
            // The caller names the profile (as for every fetch error).
            let jwt = assertion::sign(key.expose(), o.signing_alg, &signed.header(), &claims)
                .map_err(Failure::usage)?;
            fields.push(("client_id".into(), id));
            fields.push((
                "client_assertion_type".into(),
                assertion::ASSERTION_TYPE.into(),
            ));
            fields.push(("client_assertion".into(), b.secret(jwt)));
        }
        ClientAuth::None | ClientAuth::TlsClientAuth | ClientAuth::SelfSignedTlsClientAuth => {
            if let Some(id) = &o.client_id {
                fields.push(("client_id".into(), b.value(id, "client_id")?));
            }
        }
    }
    let body = match o.body {
        Encoding::Json => {
            headers.push(("Content-Type".into(), "application/json".into()));
            let map: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            serde_json::to_vec(&map)?
        }
        _ => {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish()
                .into_bytes()
        }
    };
    add_profile_headers(&mut b, profile, &mut headers)?;
    Ok(TokenRequest {
        method: Method::POST,
        url: url.to_string(),
        headers,
        body: Some(body),
        secrets: b.secrets,
        once: false,
    })
}

/// The header fields of what `private_key` signs, read from their sources.
struct SignedHeader {
    kid: Option<String>,
    x5t: Option<String>,
    x5t_s256: Option<String>,
}

impl SignedHeader {
    fn header(&self) -> assertion::Header<'_> {
        assertion::Header {
            kid: self.kid.as_deref(),
            x5t: self.x5t.as_deref(),
            x5t_s256: self.x5t_s256.as_deref(),
        }
    }
}

/// `key_id`, and the thumbprints of `certificate`.
fn signed_header(b: &mut Builder<'_>, o: &OAuth2) -> anyhow::Result<SignedHeader> {
    let kid = match &o.key_id {
        Some(kid) => Some(b.resolver.resolve(kid, "key_id")?.expose().to_string()),
        None => None,
    };
    let (mut x5t, mut x5t_s256) = (None, None);
    if let Some(cert) = &o.certificate {
        let pem = b.resolver.resolve(cert, "certificate")?;
        let (sha1, sha256) =
            crate::util::jws::thumbprints(pem.expose(), "`certificate`").map_err(Failure::usage)?;
        for (name, value) in o.thumbprint.fields(sha1, sha256) {
            if name == "x5t" {
                x5t = Some(value);
            } else {
                x5t_s256 = Some(value);
            }
        }
    }
    Ok(SignedHeader { kid, x5t, x5t_s256 })
}

/// The assertion of the JWT-bearer grant (RFC 7523 2.1): `iss` the
/// `assertion_issuer` (else the client id), `sub` the `assertion_subject`,
/// `aud` the `assertion_audience` (else the token URL), `scope` when asked.
fn grant_assertion(b: &mut Builder<'_>, o: &OAuth2, token_url: &str) -> anyhow::Result<String> {
    let issuer = match (&o.assertion_issuer, &o.client_id) {
        (Some(text), _) => b.value(text, "assertion_issuer")?,
        (None, Some(text)) => b.value(text, "client_id")?,
        (None, None) => unreachable!("validated: assertion_issuer or client_id"),
    };
    let subject = match &o.assertion_subject {
        Some(text) => Some(b.value(text, "assertion_subject")?),
        None => None,
    };
    let audience = match &o.assertion_audience {
        Some(text) => b.value(text, "assertion_audience")?,
        None => token_url.to_string(),
    };
    let key = b
        .resolver
        .resolve(o.private_key.as_ref().expect("validated"), "private_key")?;
    let signed = signed_header(b, o)?;
    let claims = assertion::GrantClaims {
        issuer: &issuer,
        subject: subject.as_deref(),
        audience: &audience,
        scope: (!o.scope.is_empty()).then(|| o.scope.join(" ")),
        now: b.resolver.now(),
        jti: &b.resolver.unique_id(),
    };
    let jwt = assertion::sign_grant(key.expose(), o.signing_alg, &signed.header(), &claims)
        .map_err(Failure::usage)?;
    Ok(b.secret(jwt))
}

/// A request to any other token endpoint (`flavour = "http"`).
pub fn http(
    profile: &Profile,
    h: &Http,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<TokenRequest> {
    let mut b = Builder {
        resolver,
        secrets: Vec::new(),
    };
    let mut headers = base_headers();
    let mut url = h.url_text.clone();
    let body = match h.body {
        Encoding::Json => {
            headers.push(("Content-Type".into(), "application/json".into()));
            let mut map = Map::new();
            for (key, field) in &h.fields {
                map.insert(key.clone(), json_field(&mut b, key, field)?);
            }
            Some(serde_json::to_vec(&map)?)
        }
        Encoding::Form => {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            Some(flat_fields(&mut b, &h.fields)?.into_bytes())
        }
        Encoding::Query => {
            let query = flat_fields(&mut b, &h.fields)?;
            if !query.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&query);
            }
            None
        }
        Encoding::None => None,
    };
    if let Some((user, password)) = &h.basic {
        let user = b.value(user, "basic_username")?;
        let password = b.value(password, "basic_password")?;
        let basic = b.basic(&user, &password);
        headers.push(("Authorization".into(), basic));
    }
    add_profile_headers(&mut b, profile, &mut headers)?;
    Ok(TokenRequest {
        method: h.method.clone(),
        url,
        headers,
        body,
        secrets: b.secrets,
        once: false,
    })
}

fn base_headers() -> Vec<(String, String)> {
    vec![
        ("Accept".into(), "application/json".into()),
        ("User-Agent".into(), USER_AGENT.into()),
    ]
}

/// The profile's `headers`, replacing any header of the same name.
fn add_profile_headers(
    b: &mut Builder<'_>,
    profile: &Profile,
    headers: &mut Vec<(String, String)>,
) -> anyhow::Result<()> {
    for (name, text) in &profile.headers {
        let value = b.value(text, name)?;
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    Ok(())
}

fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn json_field(b: &mut Builder<'_>, key: &str, field: &Field) -> anyhow::Result<Value> {
    Ok(match field {
        Field::Text(text) => Value::String(b.value(text, key)?),
        Field::Number(n) => Value::Number(n.clone()),
        Field::Bool(v) => Value::Bool(*v),
        Field::List(items) => Value::Array(
            items
                .iter()
                .map(|f| json_field(b, key, f))
                .collect::<anyhow::Result<_>>()?,
        ),
        Field::Table(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, f)| Ok((k.clone(), json_field(b, k, f)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
    })
}

/// Flat fields as `application/x-www-form-urlencoded` (form body or query).
fn flat_fields(b: &mut Builder<'_>, fields: &[(String, Field)]) -> anyhow::Result<String> {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (key, field) in fields {
        let value = match field {
            Field::Text(text) => b.value(text, key)?,
            Field::Number(n) => n.to_string(),
            Field::Bool(v) => v.to_string(),
            Field::List(_) | Field::Table(_) => unreachable!("validated: flat fields only"),
        };
        ser.append_pair(key, &value);
    }
    Ok(ser.finish())
}

#[cfg(test)]
mod tests;
