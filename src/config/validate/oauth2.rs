//! The keys of flavour `oauth2`: endpoints, the grant and what it needs,
//! client authentication, scope and extra parameters.

use std::time::Duration;

use super::{Result, bad, one_of, parse_duration, parse_url};
use crate::config::model::{
    ClientAuth, DEVICE_CODE_GRANT, Dpop, Encoding, Exchange, Grant, JWT_BEARER_GRANT, OAuth2,
    SigningAlg, TOKEN_EXCHANGE_GRANT, Thumbprint,
};
use crate::config::raw::{RawProfile, Scope};
use crate::secrets::Text;

/// The longest a login may wait for its user.
const MAX_LOGIN_TIMEOUT: Duration = Duration::from_secs(86_400);

/// A grant as users write it.
fn grant_name(grant: &Grant) -> &str {
    match grant {
        Grant::DeviceCode => "device_code",
        Grant::JwtBearer => "jwt_bearer",
        Grant::TokenExchange => "token_exchange",
        other => other.grant_type(),
    }
}

pub(super) fn endpoint(
    name: &str,
    raw: &RawProfile,
    insecure: bool,
    sourced: &mut Vec<(String, Text)>,
) -> Result<OAuth2> {
    // An address from a source is read when fetching (`config/addresses.rs`):
    // until then it is only known to be there.
    let mut optional_url = |key: &str, value: &Option<Text>| match value {
        Some(Text::Plain(u)) => parse_url(name, key, u, insecure).map(Some),
        Some(text) => {
            sourced.push((key.to_string(), text.clone()));
            Ok(None)
        }
        None => Ok(None),
    };
    let token_url = optional_url("token_url", &raw.token_url)?;
    let issuer = optional_url("issuer", &raw.issuer)?;
    let device_url = optional_url("device_url", &raw.device_url)?;
    let authorization_url = optional_url("authorization_url", &raw.authorization_url)?;
    if raw.token_url.is_none() && raw.issuer.is_none() {
        return Err(bad(
            name,
            "flavour \"oauth2\" needs `token_url` or `issuer`",
        ));
    }
    // What discovery would find, from a source or written out.
    let has_issuer = raw.issuer.is_some();
    let revocation_url = raw
        .revocation_url
        .as_deref()
        .map(|u| parse_url(name, "revocation_url", u, insecure))
        .transpose()?;
    let refresh_from = refresh_from(name, raw)?;
    let default_grant = if refresh_from.is_some() {
        "refresh_token"
    } else {
        "client_credentials"
    };
    let grant = match raw.grant.as_deref().unwrap_or(default_grant) {
        "" => return Err(bad(name, "`grant` is empty")),
        "client_credentials" => Grant::ClientCredentials,
        "password" => Grant::Password,
        "refresh_token" => Grant::RefreshToken,
        "device_code" | DEVICE_CODE_GRANT => Grant::DeviceCode,
        "authorization_code" => Grant::AuthorizationCode,
        "jwt_bearer" | JWT_BEARER_GRANT => Grant::JwtBearer,
        "token_exchange" | TOKEN_EXCHANGE_GRANT => Grant::TokenExchange,
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
        Grant::RefreshToken if refresh_from.is_none() => {
            need("refresh_token", &raw.refresh_token)?;
        }
        Grant::RefreshToken => {}
        _ if refresh_from.is_some() => {
            return Err(bad(
                name,
                format!(
                    "`refresh_from` makes the grant \"refresh_token\"; drop grant = \"{}\"",
                    grant_name(&grant)
                ),
            ));
        }
        Grant::TokenExchange => need("subject_token", &raw.subject_token)?,
        Grant::DeviceCode => {
            need("client_id", &raw.client_id)?;
            if raw.device_url.is_none() && !has_issuer {
                return Err(bad(
                    name,
                    "grant \"device_code\" needs `device_url` or `issuer` (whose discovery document names the device endpoint)",
                ));
            }
        }
        Grant::JwtBearer => {
            need("private_key", &raw.private_key)?;
            if raw.client_id.is_none() && raw.assertion_issuer.is_none() {
                return Err(bad(
                    name,
                    "grant \"jwt_bearer\" needs `assertion_issuer` (the assertion's `iss`, e.g. a service account's client_email) or `client_id`",
                ));
            }
        }
        Grant::AuthorizationCode => {
            need("client_id", &raw.client_id)?;
            if raw.authorization_url.is_none() && !has_issuer {
                return Err(bad(
                    name,
                    "grant \"authorization_code\" needs `authorization_url` or `issuer` (whose discovery document names the authorization endpoint)",
                ));
            }
        }
        _ => {}
    }
    let client_auth = match &raw.client_auth {
        Some(v) => v.value,
        None if raw.client_secret.is_some() => ClientAuth::Basic,
        None if raw.private_key.is_some() && grant != Grant::JwtBearer => ClientAuth::PrivateKeyJwt,
        None => ClientAuth::None,
    };
    match client_auth {
        ClientAuth::Basic | ClientAuth::RawBasic | ClientAuth::Body => {
            need("client_id", &raw.client_id)?;
            if raw.client_secret.is_none() {
                return Err(bad(
                    name,
                    "`client_auth` \"basic\", \"raw_basic\" or \"body\" needs `client_secret`",
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
        ClientAuth::TlsClientAuth | ClientAuth::SelfSignedTlsClientAuth => {
            need("client_id", &raw.client_id)?;
            if raw.client_secret.is_some() {
                return Err(bad(
                    name,
                    "`client_auth` \"tls_client_auth\" and \"self_signed_tls_client_auth\" send no `client_secret`: the client certificate authenticates",
                ));
            }
        }
        ClientAuth::None => {}
    }
    if grant != Grant::JwtBearer {
        for (key, set) in [
            ("assertion_issuer", raw.assertion_issuer.is_some()),
            ("assertion_subject", raw.assertion_subject.is_some()),
            ("assertion_audience", raw.assertion_audience.is_some()),
        ] {
            if set {
                return Err(bad(
                    name,
                    format!("`{key}` is only used with grant = \"jwt_bearer\""),
                ));
            }
        }
    }
    let exchange = exchange(name, raw, &grant)?;
    if client_auth != ClientAuth::PrivateKeyJwt && grant != Grant::JwtBearer {
        for (key, set) in [
            ("private_key", raw.private_key.is_some()),
            ("key_id", raw.key_id.is_some()),
            ("signing_alg", raw.signing_alg.is_some()),
            ("certificate", raw.certificate.is_some()),
            ("thumbprint", raw.thumbprint.is_some()),
        ] {
            if set {
                return Err(bad(
                    name,
                    format!(
                        "`{key}` is only used with client_auth = \"private_key_jwt\" or grant = \"jwt_bearer\""
                    ),
                ));
            }
        }
    }
    let signing_alg = match raw.signing_alg.as_deref() {
        Some(v) => Some(one_of(name, "signing_alg", v, &SigningAlg::CHOICES)?),
        None => None,
    };
    if raw.thumbprint.is_some() && raw.certificate.is_none() {
        return Err(bad(
            name,
            "`thumbprint` needs `certificate`, the PEM certificate of `private_key`",
        ));
    }
    let thumbprint = match raw.thumbprint.as_deref() {
        Some(v) => one_of(
            name,
            "thumbprint",
            v,
            &[
                ("x5t", Thumbprint::Sha1),
                ("x5t#S256", Thumbprint::Sha256),
                ("both", Thumbprint::Both),
            ],
        )?,
        None => Thumbprint::Sha1,
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
    let login_cooldown = parse_duration(
        name,
        "login_cooldown",
        raw.login_cooldown.as_deref().unwrap_or("60s"),
    )?;
    if login_cooldown > MAX_LOGIN_TIMEOUT {
        return Err(bad(name, "`login_cooldown` must be at most 1d"));
    }
    // `query` and `none` are choices of the `http` flavour only.
    let body = match &raw.body {
        Some(v) => one_of(
            name,
            "body",
            &v.text,
            &[("form", Encoding::Form), ("json", Encoding::Json)],
        )?,
        None => Encoding::Form,
    };
    let scope = match &raw.scope {
        None => vec![],
        Some(Scope::One(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Scope::Many(v)) => v.clone(),
    };
    let dpop = dpop(name, raw)?;
    Ok(OAuth2 {
        dpop,
        token_url,
        issuer,
        device_url,
        authorization_url,
        redirect_port: raw.redirect_port.unwrap_or(0),
        redirect: super::redirect::redirect(name, raw)?,
        browser: super::redirect::browser(name, raw)?,
        login_timeout,
        login_cooldown,
        revocation_url,
        grant,
        client_id: raw.client_id.clone(),
        client_secret: raw.client_secret.clone(),
        client_auth,
        private_key: raw.private_key.clone(),
        key_id: raw.key_id.clone(),
        signing_alg,
        certificate: raw.certificate.clone(),
        thumbprint,
        assertion_issuer: raw.assertion_issuer.clone(),
        assertion_subject: raw.assertion_subject.clone(),
        assertion_audience: raw.assertion_audience.clone(),
        username: raw.username.clone(),
        password: raw.password.clone(),
        refresh_token: raw.refresh_token.clone(),
        refresh_from,
        scope,
        audience: raw.audience.clone(),
        resource: raw.resource.clone(),
        params: raw.params.clone().unwrap_or_default().into_iter().collect(),
        body,
        exchange,
    })
}

/// `dpop`, `dpop_key`, `dpop_alg`: the key and its algorithm, checked
/// here; the key is read only when a request is made.
fn dpop(name: &str, raw: &RawProfile) -> Result<Option<Dpop>> {
    if raw.dpop != Some(true) {
        for (key, set) in [
            ("dpop_key", raw.dpop_key.is_some()),
            ("dpop_alg", raw.dpop_alg.is_some()),
        ] {
            if set {
                return Err(bad(name, format!("`{key}` is only used with dpop = true")));
            }
        }
        return Ok(None);
    }
    let alg = match raw.dpop_alg.as_deref() {
        Some(v) => one_of(name, "dpop_alg", v, &SigningAlg::CHOICES)?,
        None => SigningAlg::ES256,
    };
    if raw.dpop_key.is_none() && !crate::util::jws::can_generate(alg) {
        return Err(bad(
            name,
            format!(
                "`dpop_alg` \"{}\" needs `dpop_key`: gettoken makes ES256, ES384 and EdDSA keys only",
                alg.name()
            ),
        ));
    }
    Ok(Some(Dpop {
        key: raw.dpop_key.clone(),
        alg,
    }))
}

/// `refresh_from`: another profile's name, not this one's, and no
/// `refresh_token` of its own beside it.
fn refresh_from(name: &str, raw: &RawProfile) -> Result<Option<String>> {
    let Some(from) = &raw.refresh_from else {
        return Ok(None);
    };
    if from.is_empty() {
        return Err(bad(
            name,
            "`refresh_from` is empty: name the profile you log in with",
        ));
    }
    if from == name {
        return Err(bad(
            name,
            "`refresh_from` names the profile itself: name the profile you log in with",
        ));
    }
    if raw.refresh_token.is_some() {
        return Err(bad(
            name,
            format!(
                "`refresh_from` and `refresh_token` both give the refresh token: keep `refresh_from` to use the login of `{from}`, or `refresh_token`"
            ),
        ));
    }
    Ok(Some(from.clone()))
}

/// The short names of RFC 8693 3's token types.
const TOKEN_TYPES: [&str; 6] = [
    "access_token",
    "refresh_token",
    "id_token",
    "jwt",
    "saml1",
    "saml2",
];

/// A token type: a short name of [`TOKEN_TYPES`] becomes its URN; any
/// other URI is sent as written.
fn token_type(name: &str, key: &str, value: &str) -> Result<String> {
    if TOKEN_TYPES.contains(&value) {
        Ok(format!("urn:ietf:params:oauth:token-type:{value}"))
    } else if value.contains(':') {
        Ok(value.to_string())
    } else {
        Err(bad(
            name,
            format!(
                "`{key}` = \"{value}\" is neither one of {} nor a URI such as urn:ietf:params:oauth:token-type:jwt",
                TOKEN_TYPES.join(", ")
            ),
        ))
    }
}

/// The keys of grant `token_exchange`; refused with any other grant. A
/// token type left out is `access_token` (RFC 8693's most common case).
fn exchange(name: &str, raw: &RawProfile, grant: &Grant) -> Result<Exchange> {
    if *grant != Grant::TokenExchange {
        for (key, set) in [
            ("subject_token", raw.subject_token.is_some()),
            ("subject_token_type", raw.subject_token_type.is_some()),
            ("actor_token", raw.actor_token.is_some()),
            ("actor_token_type", raw.actor_token_type.is_some()),
            ("requested_token_type", raw.requested_token_type.is_some()),
        ] {
            if set {
                return Err(bad(
                    name,
                    format!("`{key}` is only used with grant = \"token_exchange\""),
                ));
            }
        }
        return Ok(Exchange::default());
    }
    if raw.actor_token_type.is_some() && raw.actor_token.is_none() {
        return Err(bad(name, "`actor_token_type` needs `actor_token`"));
    }
    let typed = |key: &str, value: &Option<String>| {
        token_type(name, key, value.as_deref().unwrap_or("access_token"))
    };
    Ok(Exchange {
        subject_token: raw.subject_token.clone(),
        subject_token_type: typed("subject_token_type", &raw.subject_token_type)?,
        actor_token: raw.actor_token.clone(),
        actor_token_type: typed("actor_token_type", &raw.actor_token_type)?,
        requested_token_type: match &raw.requested_token_type {
            Some(v) => Some(token_type(name, "requested_token_type", v)?),
            None => None,
        },
    })
}
