//! Getting a profile's token: from the cache while it is fresh, else from
//! the endpoint under the profile's lock (refresh token first, then the
//! profile's own grant), then stored. Works through the [`Ports`] it is
//! given, so it runs as well on stand-ins (`token/tests.rs`).

use std::time::Duration;

use super::refresh::{self, Logins};
use super::reply::answer;
use super::{browser, device, discovery, dpop};
use crate::config::{Endpoint, Grant, OAuth2, Profile};
use crate::error::{Failure, Kind};
use crate::http::{Connect, Transport};
use crate::protocol::request::{self, GrantKind};
use crate::protocol::token::Token;
use crate::secrets::{Resolve, redact};
use crate::store::cache::{Cache, is_fresh};
use crate::store::lock::Locks;
use crate::util::clock::Clock;

/// How `gettoken PROFILE` may use the cache.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Fetch even when the cache holds a fresh token (and cache the result).
    pub force: bool,
    /// Neither read nor write the cache.
    pub no_cache: bool,
    /// Overrides the profile's `min_ttl`.
    pub min_ttl: Option<Duration>,
    /// `gettoken login`: run the profile's own grant (its interactive login)
    /// now, whatever is cached, past any login cool-down, and store it.
    pub login: bool,
    /// The caller cannot reach the user (kubectl's `interactive: false`):
    /// a grant that needs a device or browser login fails at once instead
    /// of starting one. The cache and a refresh token still serve.
    pub no_login: bool,
    /// The ID token is the one wanted (`id_token = true`, `--id-token`): a
    /// cached token serves only while its ID token is fresh too, and a
    /// refresh that brings no fresh one is followed by the grant.
    pub id_token: bool,
}

/// The hint of a login refused under [`Options::no_login`].
const NO_LOGIN_HINT: &str = "log in once in a terminal (`gettoken get PROFILE`); the token is then cached, and refreshed without asking";

/// The adapters the use case works through: the commands build the real
/// ones, tests stand-ins. Nothing here costs before it is used: a cache hit
/// opens no transport and reads no secret.
pub struct Ports<'a> {
    /// The token cache; `None` to neither read nor write one.
    pub cache: Option<&'a Cache>,
    /// One fetch per profile at a time.
    pub locks: &'a dyn Locks,
    /// Opens the profile's transport, on a miss only.
    pub connect: &'a dyn Connect,
    /// Reads the profile's secrets, on a miss only.
    pub resolver: &'a mut dyn Resolve,
    /// The logins `refresh_from` profiles take their refresh token from.
    pub logins: &'a dyn Logins,
    pub clock: Clock,
}

/// The profile's token, cached or fetched.
pub fn token(profile: &Profile, opts: &Options, ports: Ports<'_>) -> anyhow::Result<Token> {
    let Ports {
        cache,
        locks,
        connect,
        resolver,
        logins,
        clock,
    } = ports;
    let world = World {
        connect,
        locks,
        logins,
        clock,
    };
    let min_ttl = opts.min_ttl.unwrap_or(profile.min_ttl);
    if opts.login {
        locks.warm(&profile.name);
    }
    let Some(cache) = cache.filter(|_| !opts.no_cache) else {
        return fetch(profile, None, opts, &world, resolver);
    };
    let usable = |t: &Token| {
        !opts.force
            && !opts.login
            && is_fresh(t, clock(), min_ttl)
            && (!opts.id_token || id_token_fresh(t, clock(), min_ttl))
    };
    if let Some(token) = cache.load(profile).filter(usable) {
        crate::log::debug!("cache hit for `{}`", profile.name);
        return Ok(token);
    }
    // Another process fetching: its token, once it is done (the waiters of a
    // stampede read it side by side, not one after another under the lock).
    if locks.wait_for_fetch(&profile.cache_name(), lock_wait(profile))?
        && let Some(token) = cache.load(profile).filter(usable)
    {
        crate::log::debug!(
            "cache hit for `{}` (fetched by another gettoken)",
            profile.name
        );
        return Ok(token);
    }
    let _lock = locks.acquire(&profile.cache_name(), lock_wait(profile))?;
    // Another process may have fetched while this one waited for the lock.
    let cached = cache.load(profile);
    if let Some(token) = cached.as_ref().filter(|t| usable(t)) {
        crate::log::debug!(
            "cache hit for `{}` (fetched by another gettoken, read under the lock)",
            profile.name
        );
        return Ok(token.clone());
    }
    // A token still valid, dropped only because of `min_ttl`.
    let dropped_valid = !opts.force
        && !opts.login
        && cached
            .as_ref()
            .is_some_and(|t| t.seconds_left(clock()).is_some_and(|left| left > 0));
    let cached = cached.filter(|_| !opts.login);
    let token = fetch(profile, cached.as_ref(), opts, &world, resolver)?;
    cache.save(profile, &token);
    if dropped_valid {
        warn_min_ttl(profile, &token, min_ttl, locks, clock);
    }
    Ok(token)
}

/// Warns, once per profile, when its tokens live no longer than `min_ttl`:
/// no cached token is ever fresh enough, so every call fetches. Said only
/// after a valid token was dropped for it (the second fetch in a row), so
/// a single call stays quiet.
fn warn_min_ttl(
    profile: &Profile,
    token: &Token,
    min_ttl: Duration,
    locks: &dyn Locks,
    clock: Clock,
) {
    let Some(life) = token.seconds_left(clock()) else {
        return;
    };
    let min = min_ttl.as_secs();
    if u64::try_from(life).unwrap_or(0) > min {
        return;
    }
    if locks.first_notice(&profile.name, &format!("min_ttl {min}")) {
        crate::log::warn(format!(
            "profile `{}`: its tokens live {life}s, no longer than min_ttl ({min}s), so no cached token is ever fresh enough and every call fetches a new one; set min_ttl (or --min-ttl) below the lifetime",
            profile.name
        ));
    }
}

/// The ports a fetch uses besides the cache and the resolver.
struct World<'a> {
    connect: &'a dyn Connect,
    locks: &'a dyn Locks,
    logins: &'a dyn Logins,
    clock: Clock,
}

/// How long to wait for another process fetching the same profile: its
/// worst case (a refresh and a grant, each with every retry, and the
/// user's login for an interactive grant), plus slack.
pub(super) fn lock_wait(profile: &Profile) -> Duration {
    let tries = profile.retries + 1;
    let login = match &profile.endpoint {
        Endpoint::OAuth2(o) if o.grant.is_interactive() => o.login_timeout,
        _ => Duration::ZERO,
    };
    profile
        .timeout
        .saturating_mul(2 * tries)
        .saturating_add(login)
        .saturating_add(Duration::from_secs(30))
}

/// Fetches a token from the endpoint; `cached` may hold a refresh token;
/// `opts.login`: asked for by `gettoken login` (no gate, see [`gate`]).
fn fetch(
    profile: &Profile,
    cached: Option<&Token>,
    opts: &Options,
    world: &World<'_>,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<Token> {
    let World {
        connect,
        locks,
        logins,
        clock,
    } = *world;
    let login = opts.login;
    let has_refresh = cached.is_some_and(|t| t.refresh_token.is_some());
    if let Endpoint::OAuth2(o) = &profile.endpoint {
        // Fail at once, before any request, when a login is due and may
        // not start.
        if o.grant.is_interactive() && !has_refresh {
            if opts.no_login && !login {
                return Err(no_login(profile, &o.grant).into());
            }
            gate(profile, o, login, locks, clock)?;
        }
    }
    // Addresses from a source are read now, not for a cache hit.
    let resolved = profile.with_addresses(resolver)?;
    let profile = &resolved;
    if let Endpoint::Jwt(spec) = &profile.endpoint {
        return self_signed(profile, spec, resolver);
    }
    let transport = connect.connect(profile, resolver)?;
    let transport = transport.as_ref();
    let token = match &profile.endpoint {
        Endpoint::Jwt(_) => unreachable!("signed above"),
        Endpoint::Http(h) => {
            let req = request::http(profile, h, resolver)?;
            let reply = transport.send(&req)?;
            answer(profile, &reply, clock())?
        }
        Endpoint::OAuth2(o) => {
            let urls = discovery::endpoints(profile, o, transport)?;
            let key = match &o.dpop {
                Some(d) => Some(dpop::key(profile, d, resolver)?),
                None => None,
            };
            let proving = key
                .as_ref()
                .map(|k| dpop::Proving::new(transport, k, &urls.token, clock));
            let transport: &dyn Transport = match &proving {
                Some(p) => p,
                None => transport,
            };
            let mut token = match (&o.refresh_from, refresh::keyring_home(o)) {
                (Some(from), _) => refresh::lent(
                    profile,
                    o,
                    from,
                    &urls.token,
                    logins,
                    transport,
                    resolver,
                    locks,
                    clock,
                )?,
                (None, Some(secret)) => refresh::with_keyring(
                    profile,
                    o,
                    &urls.token,
                    secret,
                    transport,
                    resolver,
                    locks,
                    clock,
                )?,
                (None, None) => {
                    // A refresh token bound to another DPoP key is of no use.
                    let cached = cached.filter(|t| {
                        let other = key.as_ref().is_some_and(|k| {
                            t.dpop_jkt.as_deref().is_some_and(|jkt| jkt != k.jkt)
                        });
                        if other {
                            crate::log::debug!(
                                "the cached token of `{}` is bound to another DPoP key; not refreshing it",
                                profile.name
                            );
                        }
                        !other
                    });
                    fetch_oauth2(
                        profile, o, &urls, cached, opts, transport, locks, resolver, clock,
                    )?
                }
            };
            if let Some(k) = &key {
                dpop::bind(profile, &mut token, k);
            }
            token
        }
    };
    match token.seconds_left(clock()) {
        Some(left) => crate::log::debug!("token for `{}` expires in {left}s", profile.name),
        None => crate::log::debug!("the reply states no expiry for `{}`", profile.name),
    }
    Ok(token)
}

/// The token of an OAuth 2.0 profile from its endpoints: a refresh with
/// the cached refresh token, else the profile's grant.
#[allow(clippy::too_many_arguments)]
fn fetch_oauth2(
    profile: &Profile,
    o: &OAuth2,
    urls: &discovery::Endpoints,
    cached: Option<&Token>,
    opts: &Options,
    transport: &dyn Transport,
    locks: &dyn Locks,
    resolver: &mut dyn Resolve,
    clock: Clock,
) -> anyhow::Result<Token> {
    let login = opts.login;
    let refreshed = match (cached, cached.and_then(|t| t.refresh_token.as_ref())) {
        (Some(cached), Some(sent)) => {
            let token = try_refresh(
                profile,
                o,
                &urls.token,
                (cached, sent),
                transport,
                resolver,
                clock,
            )?;
            if let Some(token) = &token {
                refresh::warn_unwritable(profile, o, sent, token, locks);
            }
            token
        }
        _ => None,
    };
    // An ID token wanted and none fresh after the refresh: the grant.
    let refreshed = refreshed.filter(|t| {
        let fresh = !opts.id_token || id_token_fresh(t, clock(), Duration::ZERO);
        if !fresh {
            crate::log::debug!(
                "the refresh brought no fresh ID token for `{}`; running grant \"{}\"",
                profile.name,
                o.grant.grant_type()
            );
        }
        fresh
    });
    Ok(match (refreshed, &o.grant) {
        (Some(token), _) => token,
        (None, grant) if grant.is_interactive() && opts.no_login && !login => {
            return Err(no_login(profile, grant).into());
        }
        (None, grant) if grant.is_interactive() => {
            gate(profile, o, login, locks, clock)?;
            let done = match grant {
                Grant::DeviceCode => device::login(profile, o, urls, transport, resolver, clock),
                _ => browser::login(profile, o, urls, transport, resolver, clock),
            };
            remember_login(profile, o, &done, locks, clock);
            done?
        }
        (None, _) => {
            let req = request::oauth2(profile, o, &urls.token, GrantKind::Profile, resolver)?;
            let reply = transport.send(&req)?;
            let token =
                answer(profile, &reply, clock()).map_err(|f| refresh::refused_configured(o, f))?;
            if let (Grant::RefreshToken, Some(configured)) = (&o.grant, &o.refresh_token) {
                // Read once per run: the value the request sent.
                let sent = resolver.resolve(configured, "refresh_token")?;
                refresh::warn_unwritable(profile, o, &sent, &token, locks);
            }
            token
        }
    })
}

/// The refusal of a login under [`Options::no_login`].
fn no_login(profile: &Profile, grant: &Grant) -> Failure {
    Failure::refused(format!(
        "profile `{0}` needs a {1} login, and the caller cannot ask the user (kubectl: interactive is false): run `gettoken get {0}` in a terminal first",
        profile.name,
        if matches!(grant, Grant::DeviceCode) { "device" } else { "browser" },
    ))
    .with_hint(NO_LOGIN_HINT)
}

/// Whether an interactive login may start now: a person must be able to
/// answer (`util::interactive`), and no login of the profile may have
/// failed within `login_cooldown`. For `gettoken login` (`login`), the
/// person asking, only `never` refuses. Refusals are exit 3 at once.
fn gate(
    profile: &Profile,
    o: &OAuth2,
    login: bool,
    locks: &dyn Locks,
    clock: Clock,
) -> Result<(), Failure> {
    use crate::util::interactive::{Mode, mode};
    let name = &profile.name;
    if login {
        if mode() == Mode::Never {
            return Err(Failure::refused(format!(
                "`gettoken login {name}` cannot run under --no-interactive or GETTOKEN_INTERACTIVE=never"
            )));
        }
        return Ok(());
    }
    if !crate::util::interactive::person_can_answer() {
        return Err(Failure::refused(format!(
            "profile `{name}` needs an interactive login (grant \"{}\") and no one can answer it here ({}): run `gettoken login {name}`",
            o.grant.grant_type(),
            crate::util::interactive::why_not()
        )));
    }
    if let Some(left) = locks.cooling(name, clock()) {
        return Err(Failure::refused(format!(
            "a login for `{name}` was denied, expired or left unanswered; no new one starts for {}s (login_cooldown): run `gettoken login {name}`",
            left
        )));
    }
    Ok(())
}

/// After an interactive login: a refusal (denied, expired, unanswered)
/// starts the cool-down; a token ends it.
fn remember_login(
    profile: &Profile,
    o: &OAuth2,
    done: &anyhow::Result<Token>,
    locks: &dyn Locks,
    clock: Clock,
) {
    match done {
        Ok(_) => locks.warm(&profile.name),
        Err(e) if refused(e) && !o.login_cooldown.is_zero() => {
            let secs = i64::try_from(o.login_cooldown.as_secs()).unwrap_or(i64::MAX);
            locks.cool(&profile.name, clock().saturating_add(secs));
        }
        Err(_) => {}
    }
}

fn refused(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<Failure>())
        .any(|f| f.kind == Kind::Refused)
}

/// `flavour = "jwt"`: the token is the JWT itself, signed here, valid
/// until its `exp`. No transport is opened.
fn self_signed(
    profile: &Profile,
    spec: &crate::secrets::jwt::JwtSpec,
    resolver: &mut dyn Resolve,
) -> anyhow::Result<Token> {
    let text = crate::secrets::Text::From(crate::secrets::Source::Jwt(Box::new(spec.clone())));
    let jwt = resolver.resolve(&text, "")?;
    let expires_at = crate::protocol::jwt::expiry(jwt.expose());
    crate::log::debug!("signed a JWT for `{}`; no request is made", profile.name);
    Ok(Token {
        dpop_jkt: None,
        access_token: jwt,
        token_type: None,
        expires_at,
        refresh_token: None,
        scope: None,
        extra: vec![],
        id_token: None,
    })
}

/// Whether `token`'s ID token has more than `min_ttl` left (by its `exp`).
fn id_token_fresh(token: &Token, now: i64, min_ttl: Duration) -> bool {
    let min = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
    token
        .id_token_expiry()
        .is_some_and(|exp| exp.saturating_sub(now) > min.max(0))
}

/// The refresh grant with a stored refresh token. `Ok(None)` when the
/// endpoint refused it (expired, revoked): the caller runs the profile's
/// own grant. A kept refresh token survives a reply that rotates none, and
/// a kept ID token one that brings none, while it is valid.
fn try_refresh(
    profile: &Profile,
    o: &OAuth2,
    token_url: &str,
    (cached, refresh): (&Token, &crate::secrets::Secret),
    transport: &dyn Transport,
    resolver: &mut dyn Resolve,
    clock: Clock,
) -> anyhow::Result<Option<Token>> {
    redact::register(refresh);
    crate::log::debug!("using the stored refresh token for `{}`", profile.name);
    let req = request::oauth2(profile, o, token_url, GrantKind::Refresh(refresh), resolver)?;
    let reply = transport.send(&req)?;
    match answer(profile, &reply, clock()) {
        Ok(mut token) => {
            if token.refresh_token.is_none() {
                token.refresh_token = Some(refresh.clone());
            }
            if token.id_token.is_none() && id_token_fresh(cached, clock(), Duration::ZERO) {
                token.id_token = cached.id_token.clone();
            }
            Ok(Some(token))
        }
        Err(f) if f.kind == Kind::Refused => {
            crate::log::debug!(
                "the refresh token was refused ({}); running grant \"{}\"",
                f.message,
                o.grant.grant_type()
            );
            Ok(None)
        }
        Err(f) => Err(f.into()),
    }
}

#[cfg(test)]
mod tests;
