//! The browser login's keys: `redirect_uri` (a loopback address only:
//! host `127.0.0.1`, `localhost` or `[::1]`, any path) with
//! `redirect_port`, and `browser` (how the URL reaches a browser).

use super::{Result, bad};
use crate::config::model::{Browser, Redirect};
use crate::config::raw::{OneOrMany, RawProfile};

/// The hosts a redirect may name: the listener is on this machine.
pub const REDIRECT_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// `redirect_uri` and `redirect_port`, checked: default
/// `http://127.0.0.1:PORT/callback`, PORT any free one.
pub fn redirect(name: &str, raw: &RawProfile) -> Result<Redirect> {
    let Some(text) = raw.redirect_uri.as_deref() else {
        return Ok(Redirect {
            host: "127.0.0.1".into(),
            port: raw.redirect_port.unwrap_or(0),
            path: "/callback".into(),
        });
    };
    let url = reqwest::Url::parse(text)
        .map_err(|e| bad(name, format!("`redirect_uri` `{text}` is not a URL: {e}")))?;
    if url.scheme() != "http" {
        return Err(bad(
            name,
            "`redirect_uri` must be an http:// loopback address (RFC 8252 7.3): gettoken listens for it on this machine",
        ));
    }
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST => "127.0.0.1",
        Some(url::Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST => "[::1]",
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => "localhost",
        _ => {
            return Err(bad(
                name,
                format!(
                    "`redirect_uri` may only name host {}: gettoken listens for the redirect on this machine",
                    REDIRECT_HOSTS.join(", ")
                ),
            ));
        }
    };
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad(
            name,
            "`redirect_uri` takes a host, a port and a path, no query, fragment or user",
        ));
    }
    let port = match (url.port(), raw.redirect_port) {
        (Some(a), Some(b)) if a != b => {
            return Err(bad(
                name,
                format!("`redirect_uri` names port {a} and `redirect_port` {b}: keep one"),
            ));
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => 0,
    };
    Ok(Redirect {
        host: host.into(),
        port,
        path: url.path().to_string(),
    })
}

/// `browser`: `"auto"` (the default), `"paste"`, `"print"`, or a command
/// (a string or an argv list; run without a shell).
pub fn browser(name: &str, raw: &RawProfile) -> Result<Browser> {
    let argv = match raw.browser.clone() {
        None => return Ok(Browser::Auto),
        Some(OneOrMany::One(word)) => match word.as_str() {
            "auto" => return Ok(Browser::Auto),
            "paste" => return Ok(Browser::Paste),
            "print" => return Ok(Browser::Print),
            _ => vec![word],
        },
        Some(OneOrMany::Many(argv)) => argv,
    };
    if argv.first().is_none_or(|a| a.trim().is_empty()) {
        return Err(bad(
            name,
            "`browser` is \"auto\", \"paste\", \"print\" or a command: a list whose first item names the program",
        ));
    }
    Ok(Browser::Command(argv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(uri: Option<&str>, port: Option<u16>) -> RawProfile {
        RawProfile {
            redirect_uri: uri.map(str::to_string),
            redirect_port: port,
            ..RawProfile::default()
        }
    }

    #[test]
    fn loopback_hosts_and_any_path() {
        let r = redirect("p", &raw(Some("http://[::1]:8400/oauth/cb"), None)).unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("[::1]", 8400, "/oauth/cb")
        );
        let r = redirect("p", &raw(Some("http://localhost/cb"), Some(9000))).unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("localhost", 9000, "/cb")
        );
        let r = redirect("p", &raw(None, None)).unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("127.0.0.1", 0, "/callback")
        );
        for refused in [
            "http://example.com/cb",
            "http://127.0.0.2/cb",
            "https://127.0.0.1/cb",
            "http://127.0.0.1/cb?x=1",
            "http://localhost.example.com/cb",
        ] {
            assert!(
                redirect("p", &raw(Some(refused), None)).is_err(),
                "{refused}"
            );
        }
        assert!(redirect("p", &raw(Some("http://127.0.0.1:1/cb"), Some(2))).is_err());
    }
}
