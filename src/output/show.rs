//! What `gettoken show PROFILE` prints: the profile's settings and what is
//! known of its cached token, as aligned `key  value` lines. Pure: the
//! caller reads the cache. The token itself appears only when asked for.
//! Every value is shown through `escape_for_terminal`: the token type,
//! scope and claims come from the endpoint, the URLs from the file.

use std::time::Duration;

use clap::ValueEnum;
use serde_json::{Value, json};

use crate::config::{Endpoint, Profile, url_for_humans};
use crate::protocol::jwt;
use crate::protocol::token::Token;
use crate::util::duration;
use crate::util::text::escape_for_terminal;

/// Where the profile's token is kept, and what is there.
pub enum CacheState<'a> {
    /// `cache = "none"`: nothing is kept.
    Off,
    /// A store and the token cached in it, if any.
    Store {
        /// The profile's `cache`: `keyring` or `file`.
        kind: String,
        /// The store for people: "Secret Service", "kernel keyring", "file cache in DIR".
        backend: String,
        /// What survives a reboot and for how long, when the store says.
        lifetime: Option<String>,
        token: Option<&'a Token>,
    },
}

/// Everything `show` prints, gathered by the caller.
pub struct Shown<'a> {
    pub profile: &'a Profile,
    pub cache: CacheState<'a>,
    pub now: i64,
    /// Print the token itself.
    pub reveal: bool,
}

/// The addresses read from a source when fetching, by reference.
fn sourced(p: &Profile) -> String {
    let named: Vec<String> = p
        .addresses
        .iter()
        .map(|(key, text)| match text {
            crate::secrets::Text::From(s) => format!("`{key}` from {}", s.describe()),
            crate::secrets::Text::Plain(_) => format!("`{key}`"),
        })
        .collect();
    if named.is_empty() {
        "-".into()
    } else {
        format!("read when fetching: {}", named.join(", "))
    }
}

/// The lines of `gettoken show`, without the final newline.
pub fn show(s: &Shown) -> String {
    let p = s.profile;
    let mut rows: Vec<[String; 2]> = Vec::new();
    let mut row = |k: &str, v: String| rows.push([format!("{k}:"), escape_for_terminal(&v)]);
    row("profile", p.name.clone());
    match &p.endpoint {
        Endpoint::OAuth2(o) => {
            row("flavour", "oauth2".into());
            let endpoint = match (&o.token_url, &o.issuer) {
                (Some(url), _) => url_for_humans(url),
                (None, Some(issuer)) => format!(
                    "found through OpenID discovery at issuer {}",
                    url_for_humans(issuer)
                ),
                (None, None) => sourced(p),
            };
            row("endpoint", endpoint);
            row("grant", o.grant.grant_type().to_string());
            if let Some(d) = &o.dpop {
                let key = match &d.key {
                    Some(_) => "`dpop_key`".to_string(),
                    None => format!(
                        "secret `{}` (made on first use)",
                        crate::config::Dpop::stored_name(&p.name)
                    ),
                };
                row("dpop", format!("{} key from {key}", d.alg.name()));
            }
            if !o.scope.is_empty() {
                row("scope asked", o.scope.join(" "));
            }
        }
        Endpoint::Jwt(spec) => {
            row("flavour", "jwt".into());
            row("endpoint", "none: the token is a JWT signed here".into());
            if let Some(alg) = spec.signing_alg {
                row("signing alg", alg.0.name().to_string());
            }
        }
        Endpoint::Http(h) => {
            row("flavour", "http".into());
            let url = match reqwest::Url::parse(&h.url_text) {
                Ok(url) => url_for_humans(&url),
                Err(_) if !p.addresses.is_empty() => sourced(p),
                Err(_) => "(not a URL)".into(),
            };
            row("endpoint", format!("{} {url}", h.method));
        }
    }
    let output = p
        .output
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    row("output", output);
    row("min_ttl", duration::human(p.min_ttl));
    let token = match &s.cache {
        CacheState::Off => {
            row("cache", "none (cache = \"none\": nothing is kept)".into());
            row(
                "token",
                format!("not kept: each `gettoken {}` fetches one", p.name),
            );
            None
        }
        CacheState::Store {
            kind,
            backend,
            lifetime,
            token,
        } => {
            row("cache", format!("{kind} ({backend})"));
            if let Some(lifetime) = lifetime {
                row("kept", lifetime.clone());
            }
            if token.is_none() {
                row(
                    "token",
                    format!(
                        "none cached (or cached for other settings): `gettoken {}` fetches one",
                        p.name
                    ),
                );
            }
            *token
        }
    };
    let mut jwt_parts = None;
    let mut id_parts = None;
    if let Some(t) = token {
        row("token", state(p, t, s.now));
        if let Some(at) = super::rfc3339(t.expires_at) {
            row("expires at", at);
        }
        row(
            "token type",
            t.token_type
                .clone()
                .unwrap_or_else(|| "(not stated)".into()),
        );
        if let Some(jkt) = &t.dpop_jkt {
            row("bound to", format!("the DPoP key with thumbprint {jkt}"));
        }
        if let Some(scope) = &t.scope {
            row("scope granted", scope.clone());
        }
        row(
            "refresh token",
            match (&t.refresh_token, refresh_from(s.profile)) {
                (Some(_), _) => "kept (not shown)".into(),
                (None, Some(from)) => format!("the login of `{from}` (refresh_from)"),
                (None, None) => "none".into(),
            },
        );
        row(
            "value",
            if s.reveal {
                t.access_token.expose().to_string()
            } else {
                "(hidden: --reveal prints it)".into()
            },
        );
        jwt_parts = jwt::decode(t.access_token.expose());
        if jwt_parts.is_none() {
            row("format", "opaque (not a JWT)".into());
        }
        let used = if p.id_token {
            " (printed: id_token = true)"
        } else {
            ""
        };
        if t.id_token.is_some() {
            row(
                "id token",
                match super::rfc3339(t.id_token_expiry()) {
                    Some(at) => format!("kept, expires at {at}{used}"),
                    None => format!("kept, no `exp`{used}"),
                },
            );
        }
        id_parts = t.id_token.as_ref().and_then(|i| jwt::decode(i.expose()));
    }
    let mut text = super::table(&rows);
    if let Some((header, claims)) = jwt_parts {
        text.push_str("\nJWT header (decoded, not verified):\n");
        text.push_str(&indented(&header));
        text.push_str("\nJWT claims (decoded, not verified):\n");
        text.push_str(&indented(&claims));
        let times = claim_times(&claims);
        if !times.is_empty() {
            text.push('\n');
            text.push_str(&times);
        }
    }
    if let Some((header, claims)) = id_parts {
        text.push_str("\nID token header (decoded, not verified):\n");
        text.push_str(&indented(&header));
        text.push_str("\nID token claims (decoded, not verified):\n");
        text.push_str(&indented(&claims));
        let times = claim_times(&claims);
        if !times.is_empty() {
            text.push('\n');
            text.push_str(&times);
        }
    }
    text
}

/// `gettoken show --json`: the same facts with stable field names
/// (docs/CONFIG.md): `profile`, `flavour`, `endpoint` (the URL, secrets in
/// it hidden; null when found by discovery), `issuer`, `grant`, `method`,
/// `scope_asked`, `output`, `min_ttl` (seconds), `cache` (`kind`, `store`,
/// `lifetime`), `token` (null when none is cached: `state` `valid`,
/// `renew` or `expired`; `expires_at`, `expires_in`, `token_type`,
/// `scope`, `refresh_token` (bool), `jwt` (`header` and `claims`, decoded
/// and not verified, or null), and `access_token` only with --reveal).
pub fn show_json(s: &Shown) -> String {
    let p = s.profile;
    let mut out = json!({ "profile": p.name });
    match &p.endpoint {
        Endpoint::OAuth2(o) => {
            out["flavour"] = "oauth2".into();
            out["endpoint"] = o.token_url.as_ref().map(url_for_humans).into();
            out["issuer"] = o.issuer.as_ref().map(url_for_humans).into();
            out["grant"] = o.grant.grant_type().to_string().into();
            out["method"] = Value::Null;
            out["scope_asked"] = o.scope.clone().into();
        }
        Endpoint::Http(h) => {
            out["flavour"] = "http".into();
            out["endpoint"] = reqwest::Url::parse(&h.url_text)
                .ok()
                .map(|u| url_for_humans(&u))
                .into();
            out["issuer"] = Value::Null;
            out["grant"] = Value::Null;
            out["method"] = h.method.to_string().into();
            out["scope_asked"] = json!([]);
        }
        Endpoint::Jwt(_) => {
            // Signed here: no endpoint, no grant.
            out["flavour"] = "jwt".into();
            out["endpoint"] = Value::Null;
            out["issuer"] = Value::Null;
            out["grant"] = Value::Null;
            out["method"] = Value::Null;
            out["scope_asked"] = json!([]);
        }
    }
    out["output"] = p
        .output
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .into();
    out["min_ttl"] = p.min_ttl.as_secs().into();
    let token = match &s.cache {
        CacheState::Off => {
            out["cache"] = json!({ "kind": "none", "store": null, "lifetime": null });
            None
        }
        CacheState::Store {
            kind,
            backend,
            lifetime,
            token,
        } => {
            out["cache"] = json!({ "kind": kind, "store": backend, "lifetime": lifetime });
            *token
        }
    };
    out["token"] = match token {
        None => Value::Null,
        Some(t) => {
            let left = t.seconds_left(s.now);
            let min_ttl = i64::try_from(p.min_ttl.as_secs()).unwrap_or(i64::MAX);
            let state = match left {
                Some(l) if l <= 0 => "expired",
                Some(l) if l < min_ttl => "renew",
                _ => "valid",
            };
            let mut t_json = json!({
                "state": state,
                "expires_at": super::rfc3339(t.expires_at),
                "expires_in": left.map(|l| l.max(0)),
                "token_type": t.token_type,
                "scope": t.scope,
                "refresh_token": t.refresh_token.is_some(),
                "jwt": jwt::decode(t.access_token.expose())
                    .map(|(header, claims)| json!({ "header": header, "claims": claims })),
            });
            if s.reveal {
                t_json["access_token"] = t.access_token.expose().into();
            }
            t_json
        }
    };
    out.to_string()
}

/// The login a `refresh_from` profile takes its refresh token from.
fn refresh_from(p: &Profile) -> Option<&str> {
    match &p.endpoint {
        Endpoint::OAuth2(o) => o.refresh_from.as_deref(),
        _ => None,
    }
}

/// How long the cached token is good for, in words.
fn state(p: &Profile, t: &Token, now: i64) -> String {
    let Some(left) = t.seconds_left(now) else {
        return "cached, expiry unknown".into();
    };
    let human = |s: i64| duration::human(Duration::from_secs(s.unsigned_abs()));
    let min_ttl = i64::try_from(p.min_ttl.as_secs()).unwrap_or(i64::MAX);
    if left <= 0 {
        let next = if t.refresh_token.is_some() {
            format!(
                "the next `gettoken {}` renews it with the refresh token",
                p.name
            )
        } else if let Some(from) = refresh_from(p) {
            format!(
                "the next `gettoken {}` renews it with the refresh token of `{from}`'s login",
                p.name
            )
        } else {
            format!("the next `gettoken {}` fetches a new one", p.name)
        };
        format!("expired {} ago: {next}", human(left))
    } else if left < min_ttl {
        format!(
            "valid for {}, less than min_ttl: the next `gettoken {}` renews it",
            human(left),
            p.name
        )
    } else {
        format!("valid for {}", human(left))
    }
}

/// Pretty JSON, indented by two spaces.
fn indented(value: &Value) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    pretty
        .lines()
        .map(|l| format!("  {}", escape_for_terminal(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The time claims (`exp`, `iat`, `nbf`) as RFC 3339, for reading.
fn claim_times(claims: &Value) -> String {
    ["exp", "iat", "nbf"]
        .iter()
        .filter_map(|k| {
            let at = claims.get(*k)?.as_i64()?;
            Some(format!("  {k}: {}", super::rfc3339(Some(at))?))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
