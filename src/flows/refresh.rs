//! Refresh tokens kept elsewhere than the profile's own cache record, and
//! where a rotated one goes (a server that rotates spends the one sent, and
//! may revoke the whole login when a spent one comes back):
//!
//! - a configured `refresh_token = { keyring = "NAME" }` is the live one:
//!   read, sent and, when the reply rotates it, written back, all under the
//!   lock of that secret, so a `forget` or an edit of the profile loses
//!   nothing and callers sharing the secret never send a spent one;
//! - a configured refresh token gettoken cannot write (environment, file,
//!   command, written out) is spent by the first rotation: said once;
//! - `refresh_from = "LOGIN"`: the refresh token of another profile's login,
//!   read from (and a rotated one written back to) that profile's cache
//!   record, under that profile's lock.

use super::reply::answer;
use crate::config::{Grant, OAuth2, Profile};
use crate::error::{Failure, Kind};
use crate::http::Transport;
use crate::protocol::request::{self, GrantKind};
use crate::protocol::token::Token;
use crate::secrets::{Resolve, Secret, Source, Text, redact};
use crate::store::cache::Cache;
use crate::store::lock::Locks;
use crate::util::clock::Clock;

/// The profile a `refresh_from` profile takes its refresh token from: the
/// end of its chain of `refresh_from`.
pub struct Login {
    pub profile: Profile,
    /// Its cache; `None` for `cache = "none"` (then it keeps no login).
    pub cache: Option<Cache>,
    /// The names from the asking profile to `profile`, for messages.
    pub chain: Vec<String>,
}

/// Finds the login of a `refresh_from` profile: the commands build it over
/// the profiles file (cycle detection, the chain named); tests stand in.
pub trait Logins {
    /// The login that `refresh_from = "from"` of the profile `of` leads to.
    fn login(&self, of: &str, from: &str) -> anyhow::Result<Login>;
}

/// No other profile is found (a profile without `refresh_from` never asks).
pub struct NoLogins;

impl Logins for NoLogins {
    fn login(&self, of: &str, from: &str) -> anyhow::Result<Login> {
        Err(Failure::usage(format!(
            "profile `{of}`: `refresh_from = \"{from}\"` cannot be followed here"
        ))
        .into())
    }
}

/// The keyring secret a profile's configured refresh token is read from
/// (and a rotated one written to): grant `refresh_token` with
/// `refresh_token = { keyring = "NAME" }`.
pub fn keyring_home(o: &OAuth2) -> Option<&str> {
    match (&o.grant, &o.refresh_token) {
        (Grant::RefreshToken, Some(Text::From(Source::Keyring(name)))) => Some(name),
        _ => None,
    }
}

/// The lock of keyring secret `name` (a refresh token is read, spent and
/// replaced under it): beside the profiles' locks.
pub fn secret_lock(name: &str) -> String {
    format!("secret/{name}")
}

/// Grant `refresh_token` with a `{ keyring = "NAME" }` refresh token: the
/// keyring's (not the cache record's) is sent, under the secret's lock,
/// and a rotated one written back. A reply that rotates none keeps it.
#[allow(clippy::too_many_arguments)]
pub fn with_keyring(
    profile: &Profile,
    o: &OAuth2,
    token_url: &str,
    secret: &str,
    transport: &dyn Transport,
    resolver: &mut dyn Resolve,
    locks: &dyn Locks,
    clock: Clock,
) -> anyhow::Result<Token> {
    let _held = locks.acquire(&secret_lock(secret), super::token::lock_wait(profile))?;
    let text = Text::From(Source::Keyring(secret.to_string()));
    let sent = resolver.resolve(&text, "refresh_token")?;
    crate::log::debug!(
        "using the refresh token of keyring secret `{secret}` for `{}`",
        profile.name
    );
    let req = request::oauth2(profile, o, token_url, GrantKind::Profile, resolver)?;
    let reply = transport.send(&req)?;
    let mut token = answer(profile, &reply, clock()).map_err(|f| refused_configured(o, f))?;
    match token.refresh_token.clone() {
        Some(new) if new != sent => write_back(profile, secret, &new, resolver),
        Some(_) => {}
        None => token.refresh_token = Some(sent),
    }
    Ok(token)
}

/// The hint of a refused configured refresh token.
const SPENT_HINT: &str = "a refresh token that was used once is refused by servers that rotate them (and one may have expired or been revoked): log in again, store the new one with `gettoken secret set NAME`, and write refresh_token = { keyring = \"NAME\" }, where each rotation is written back";

/// A refusal of grant `refresh_token` (its configured refresh token), with
/// [`SPENT_HINT`] when the endpoint's reply gave none.
pub fn refused_configured(o: &OAuth2, f: Failure) -> Failure {
    if o.grant == Grant::RefreshToken && f.kind == Kind::Refused && f.hint.is_none() {
        f.with_hint(SPENT_HINT)
    } else {
        f
    }
}

/// A rotated refresh token written to keyring secret `secret`; a failure
/// is warned of (the token is still given and cached).
fn write_back(profile: &Profile, secret: &str, new: &Secret, resolver: &mut dyn Resolve) {
    redact::register(new);
    match resolver.store_secret(secret, new) {
        Ok(()) => crate::log::debug!(
            "the endpoint rotated the refresh token of `{}`: written back to keyring secret `{secret}`",
            profile.name
        ),
        Err(e) => crate::log::warn(format!(
            "profile `{}`: the endpoint rotated the refresh token, and keyring secret `{secret}` could not be written ({e:#}): it still holds the spent one; log in again and store the new refresh token with `gettoken secret set {secret}`",
            profile.name
        )),
    }
}

/// Grant `refresh_token` with a configured refresh token gettoken cannot
/// write back: when the endpoint rotated it (`sent` is not the reply's),
/// says once that the one configured is spent and only the cache holds
/// the live one.
pub fn warn_unwritable(
    profile: &Profile,
    o: &OAuth2,
    sent: &Secret,
    token: &Token,
    locks: &dyn Locks,
) {
    let (Grant::RefreshToken, Some(configured)) = (&o.grant, &o.refresh_token) else {
        return;
    };
    if keyring_home(o).is_some() || token.refresh_token.as_ref().is_none_or(|t| t == sent) {
        return;
    }
    let name = &profile.name;
    let from = match configured {
        Text::Plain(_) => "is written out in the profiles file".to_string(),
        Text::From(source) => format!("comes from {}", source.describe()),
    };
    let text = format!(
        "profile `{name}`: the endpoint rotated the refresh token, and `refresh_token` {from}, which gettoken cannot write: the one configured is spent, the live one is kept in the cache only, and after `gettoken forget {name}` or an edit of the profile the spent one would be sent (and refused); keep it in the keyring instead, where each rotation is written back: `gettoken secret set NAME` and refresh_token = {{ keyring = \"NAME\" }}"
    );
    if locks.first_notice(&format!("{name}/rotation"), &text) {
        crate::log::warn(text);
    }
}

/// `refresh_from`: the refresh grant of `profile` (its client, scope and
/// resource) with the refresh token of the login it names, read under that
/// login's lock (and its keyring secret's, when it keeps it there); a
/// rotated one goes back there. The token returned keeps no refresh token:
/// the login's is the one to use next time.
#[allow(clippy::too_many_arguments)]
pub fn lent(
    profile: &Profile,
    o: &OAuth2,
    from: &str,
    token_url: &str,
    logins: &dyn Logins,
    transport: &dyn Transport,
    resolver: &mut dyn Resolve,
    locks: &dyn Locks,
    clock: Clock,
) -> anyhow::Result<Token> {
    let login = logins.login(&profile.name, from)?;
    let source = &login.profile;
    let chain = login.chain.join(" -> ");
    let name = &source.name;
    let _held = locks.acquire(&source.cache_name(), super::token::lock_wait(source))?;
    let in_keyring = match &source.endpoint {
        crate::config::Endpoint::OAuth2(so) => keyring_home(so),
        _ => None,
    };
    let _secret_held = match in_keyring {
        Some(secret) => locks.acquire(&secret_lock(secret), super::token::lock_wait(source))?,
        None => None,
    };
    let record = login.cache.as_ref().and_then(|c| c.load(source));
    let refresh = match in_keyring {
        Some(secret) => Some(resolver.resolve(
            &Text::From(Source::Keyring(secret.to_string())),
            "refresh_token",
        )?),
        None => record.as_ref().and_then(|t| t.refresh_token.clone()),
    };
    let Some(refresh) = refresh else {
        let why = if source.cache == crate::config::CacheKind::None {
            " (it has cache = \"none\", so it keeps no login)"
        } else {
            ""
        };
        return Err(Failure::refused(format!(
            "profile `{}` takes its refresh token from the login of profile `{name}` ({chain}), which holds none{why}: run `gettoken login {name}`",
            profile.name
        ))
        .into());
    };
    redact::register(&refresh);
    crate::log::debug!(
        "using the refresh token of `{name}`'s login for `{}` ({chain})",
        profile.name
    );
    let req = request::oauth2(
        profile,
        o,
        token_url,
        GrantKind::Refresh(&refresh),
        resolver,
    )?;
    let reply = transport.send(&req)?;
    let mut token = match answer(profile, &reply, clock()) {
        Ok(token) => token,
        Err(f) if f.kind == Kind::Refused => {
            return Err(Failure::refused(format!(
                "profile `{}`: the refresh token of profile `{name}`'s login ({chain}) was refused: {}; run `gettoken login {name}` (both profiles need the same client_id and token endpoint)",
                profile.name, f.message
            ))
            .into());
        }
        Err(f) => return Err(f.into()),
    };
    if let Some(new) = token.refresh_token.take().filter(|new| *new != refresh) {
        redact::register(&new);
        match (in_keyring, record, &login.cache) {
            (Some(secret), _, _) => write_back(source, secret, &new, resolver),
            (None, Some(mut record), Some(cache)) => {
                record.refresh_token = Some(new);
                cache.save(source, &record);
                crate::log::debug!(
                    "the endpoint rotated the refresh token: written back to `{name}`'s login"
                );
            }
            _ => {}
        }
    }
    Ok(token)
}
