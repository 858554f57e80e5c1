//! git's credential helper protocol (git-credential(1), "IO FORMAT"):
//! reading git's `key=value` request and writing the answer. Pure: the
//! caller reads stdin and fetches the token.

use crate::protocol::token::Token;
use crate::secrets::Secret;
use crate::util::text::escape_for_terminal;

/// The most of a request gettoken reads: git's own requests are a few
/// hundred bytes.
pub const MAX_REQUEST: usize = 64 * 1024;

/// What git sent. Only the fields gettoken looks at are kept.
#[derive(Debug, Default)]
pub struct Request {
    pub protocol: Option<String>,
    pub host: Option<String>,
    /// The password git offers back on `erase` (the one that failed).
    pub password: Option<Secret>,
}

/// Parses git's request: `key=value` lines up to a blank line or the end.
/// Unknown keys are ignored, as the protocol asks; a line that is not
/// `key=value` is an error (its text is not quoted: it may be a secret).
pub fn parse(input: &str) -> Result<Request, String> {
    let mut request = Request::default();
    for (i, line) in input.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {} of git's request is not `key=value`",
                i + 1
            ));
        };
        match key {
            "protocol" => request.protocol = Some(value.to_string()),
            "host" => request.host = Some(value.to_string()),
            "password" => request.password = Some(Secret::new(value)),
            _ => {}
        }
    }
    Ok(request)
}

impl Request {
    /// `protocol://host` as git sent them, escaped for the terminal.
    pub fn describe(&self) -> String {
        escape_for_terminal(&format!(
            "{}://{}",
            self.protocol.as_deref().unwrap_or("?"),
            self.host.as_deref().unwrap_or("?")
        ))
    }
}

/// Why git must not be given the token for `request`: anything but https,
/// except plain http to loopback or with the profile's `insecure_http`. A
/// request that names no protocol (or ssh, or a spelling git never sends)
/// gets nothing: the token would go who knows where.
pub fn refusal(request: &Request, insecure_http: bool) -> Option<String> {
    match request.protocol.as_deref() {
        Some("https") => return None,
        Some("http") => {}
        None => {
            return Some(
                "git's request names no protocol: the token is given over https only".into(),
            );
        }
        Some(_) => {
            return Some(format!(
                "git asks for `{}`: the token is given over https only",
                request.describe()
            ));
        }
    }
    if insecure_http {
        return None;
    }
    let host = request.host.as_deref().unwrap_or("");
    let bare = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    if matches!(bare, "127.0.0.1" | "localhost" | "::1") {
        return None;
    }
    Some(format!(
        "git asks for plain http://{}: the token is given over https only (set insecure_http = true in the profile to allow it)",
        escape_for_terminal(host)
    ))
}

/// The answer to `get`: the username, the token as password, and
/// `password_expiry_utc` (UNIX seconds) when the expiry is known, so git
/// does not use the token past it.
pub fn answer(username: &str, token: &Token) -> String {
    let mut lines = vec![
        format!("username={username}"),
        format!("password={}", token.access_token.expose()),
    ];
    if let Some(at) = token.expires_at {
        lines.push(format!("password_expiry_utc={at}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_gets_no_token_but_on_loopback() {
        let req = |protocol: &str, host: &str| Request {
            protocol: Some(protocol.into()),
            host: Some(host.into()),
            password: None,
        };
        assert!(refusal(&req("https", "example.com"), false).is_none());
        assert!(refusal(&req("http", "example.com"), false).is_some());
        assert!(refusal(&req("http", "example.com:8080"), false).is_some());
        assert!(refusal(&req("http", "example.com"), true).is_none());
        for host in ["127.0.0.1", "127.0.0.1:3000", "localhost:80", "[::1]:8080"] {
            assert!(refusal(&req("http", host), false).is_none(), "{host}");
        }
        assert!(refusal(&req("http", "127.0.0.1.evil.example"), false).is_some());
    }

    #[test]
    fn other_or_missing_protocols_get_no_token() {
        let req = |protocol: Option<&str>, host: &str| Request {
            protocol: protocol.map(str::to_string),
            host: Some(host.into()),
            password: None,
        };
        let why = refusal(&req(None, "example.com"), true).unwrap();
        assert!(why.contains("names no protocol"), "{why}");
        for protocol in ["ssh", "HTTPS", "ftp", "", "https "] {
            // insecure_http allows plain http, nothing else.
            let why = refusal(&req(Some(protocol), "example.com"), true);
            assert!(why.is_some(), "{protocol:?}");
        }
        let why = refusal(&req(Some("ssh"), "ex\u{1b}[2Jample\u{202E}.com"), false).unwrap();
        assert!(
            why.contains("`ssh://ex\\u{1b}[2Jample\\u{202e}.com`"),
            "{why}"
        );
        let why = refusal(&req(Some("http"), "a\u{7f}b"), false).unwrap();
        assert!(why.contains("http://a\\u{7f}b"), "{why}");
    }

    #[test]
    fn reads_the_fields_up_to_a_blank_line() {
        let r = parse("protocol=https\nhost=example.com\npassword=p\n\nhost=other\n").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("example.com"));
        assert_eq!(r.password.unwrap().expose(), "p");
    }

    #[test]
    fn ignores_unknown_keys_and_keeps_equals_in_values() {
        let r = parse("capability[]=authtype\r\nwwwauth[]=Bearer x=y\nhost=a=b").unwrap();
        assert_eq!(r.host.as_deref(), Some("a=b"));
        assert!(parse("").unwrap().host.is_none());
    }

    #[test]
    fn a_line_without_equals_is_an_error_that_does_not_quote_it() {
        let err = parse("protocol=https\nhunter2\n").unwrap_err();
        assert!(err.contains("line 2") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn answer_has_username_password_and_expiry() {
        let mut token = Token {
            dpop_jkt: None,
            access_token: Secret::new("tok"),
            token_type: None,
            expires_at: Some(1_700_000_000),
            refresh_token: None,
            scope: None,
            extra: vec![],
            id_token: None,
        };
        assert_eq!(
            answer("oauth2", &token),
            "username=oauth2\npassword=tok\npassword_expiry_utc=1700000000"
        );
        token.expires_at = None;
        assert_eq!(answer("me", &token), "username=me\npassword=tok");
    }
}
