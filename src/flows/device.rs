//! The device authorization grant (RFC 8628): gettoken asks for a code,
//! tells the user where to approve it, and polls the token endpoint until
//! the server answers, within the code's lifetime and `login_timeout`.

use std::time::{Duration, Instant};

use super::reply;
use crate::config::{OAuth2, Profile};
use crate::error::Failure;
use crate::flows::discovery::Endpoints;
use crate::http::Transport;
use crate::protocol::request::{self, GrantKind};
use crate::protocol::response::{self, DeviceAuthorization, Poll};
use crate::protocol::token::Token;
use crate::secrets::Resolve;
use crate::util::clock::Clock;

/// What to do after a login that was denied, expired or not finished.
pub const LOGIN_HINT: &str = "run gettoken again and approve the login in the browser within `login_timeout`; `-v` shows each poll";

/// RFC 8628 3.5: `slow_down` adds 5 seconds to the interval.
const SLOW_DOWN: u64 = 5;

pub fn login(
    profile: &Profile,
    o: &OAuth2,
    urls: &Endpoints,
    transport: &dyn Transport,
    resolver: &mut dyn Resolve,
    clock: Clock,
) -> anyhow::Result<Token> {
    let device_url = urls.device.as_deref().expect("discovered for this grant");
    let req = request::device_authorization(profile, o, device_url, &urls.token, resolver)?;
    let reply = transport.send(&req)?;
    let auth = response::device_authorization(reply.status, &reply.body, &profile.response.error);
    // (When the reply does not parse, -v still hides `device_code` by name.)
    if let Ok(a) = &auth {
        crate::secrets::redact::register(&a.device_code);
    }
    reply::log_reply(&reply, auth.is_ok());
    let auth = auth.map_err(|f| Failure {
        message: format!("device authorization at {device_url}: {}", f.message),
        ..f
    })?;

    // Past the code's lifetime the server says `expired_token`: one more
    // poll lets it say so.
    let lifetime = Duration::from_secs(
        auth.expires_in
            .saturating_add(auth.interval)
            .saturating_add(1),
    );
    let wait = lifetime.min(o.login_timeout);
    tell_user(profile, &auth, wait);
    let deadline = crate::util::duration::deadline_in(wait);
    let mut interval = auth.interval;
    loop {
        // The last poll comes at the deadline: an approval in the final
        // stretch still counts.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::refused(format!(
                "the device login was not approved within {}",
                crate::util::duration::human(wait)
            ))
            .with_hint(LOGIN_HINT)
            .into());
        }
        std::thread::sleep(Duration::from_secs(interval).min(left));
        let req = request::oauth2(
            profile,
            o,
            &urls.token,
            GrantKind::DeviceCode(&auth.device_code),
            resolver,
        )?;
        let reply = transport.send(&req)?;
        let poll = response::device_poll(reply.status, &reply.body, &profile.response, clock());
        if let Poll::Token(token) = &poll {
            reply::remember(token);
        }
        reply::log_reply(&reply, !matches!(poll, Poll::Failed(_)));
        match poll {
            Poll::Token(token) => {
                crate::log::info("device login approved");
                return Ok(token);
            }
            Poll::Pending => crate::log::debug!("authorization pending; next poll in {interval}s"),
            Poll::SlowDown => {
                interval += SLOW_DOWN;
                crate::log::debug!("the server asked to slow down; polling every {interval}s");
            }
            Poll::Failed(f) if f.kind == crate::error::Kind::Refused => {
                return Err(f.with_hint(LOGIN_HINT).into());
            }
            Poll::Failed(f) => return Err(f.into()),
        }
    }
}

/// Where to approve the code: on stderr, so stdout stays the token's.
fn tell_user(profile: &Profile, auth: &DeviceAuthorization, wait: Duration) {
    let mut lines = vec![
        format!(
            "profile `{}` needs your approval in a browser:",
            profile.name
        ),
        format!("  open  {}", auth.verification_uri),
        format!("  code  {}", auth.user_code),
    ];
    if let Some(complete) = &auth.verification_uri_complete {
        lines.push(format!("  or open {complete}"));
    }
    lines.push(format!(
        "waiting for approval (up to {})...",
        crate::util::duration::human(wait)
    ));
    for line in lines {
        crate::log::info(line);
    }
}
