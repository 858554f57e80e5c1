//! docker's credential helper protocol (docker-credential-helpers): the
//! server URL docker sends on stdin, and the JSON answers. Pure: the caller
//! reads stdin and fetches the token.

use serde_json::json;

use crate::protocol::token::Token;

/// The most of a request gettoken reads: a server URL, or `store`'s JSON.
pub const MAX_REQUEST: usize = 64 * 1024;

/// What a helper prints on stdout (exit 1) when it has nothing for the
/// server: docker and skopeo match these exact words and go on without
/// credentials.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// The server URL of a `get` or `erase` request: the first line, trimmed.
/// An empty one is an error (docker's own helpers say the same words).
pub fn server_url(input: &str) -> Result<String, String> {
    let url = input.lines().next().unwrap_or("").trim();
    if url.is_empty() {
        return Err("no server URL on stdin: docker sends the registry's URL".into());
    }
    Ok(url.to_string())
}

/// The answer to `get`.
pub fn answer(server_url: &str, username: &str, token: &Token) -> String {
    json!({
        "ServerURL": server_url,
        "Username": username,
        "Secret": token.access_token.expose(),
    })
    .to_string()
}

/// The answer to `list`: server URL to username.
pub fn list(entries: &[(String, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(host, user)| (host.clone(), user.clone().into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    #[test]
    fn the_server_url_is_the_first_line() {
        assert_eq!(server_url("127.0.0.1:5000\n").unwrap(), "127.0.0.1:5000");
        assert_eq!(
            server_url("https://index.docker.io/v1/").unwrap(),
            "https://index.docker.io/v1/"
        );
        assert!(server_url("\n").is_err());
        assert!(server_url("").is_err());
    }

    #[test]
    fn get_answers_server_username_and_secret() {
        let token = Token {
            dpop_jkt: None,
            access_token: Secret::new("tok"),
            token_type: None,
            expires_at: None,
            refresh_token: None,
            scope: None,
            extra: vec![],
            id_token: None,
        };
        let v: serde_json::Value =
            serde_json::from_str(&answer("r.example", "oauth2accesstoken", &token)).unwrap();
        assert_eq!(
            v,
            json!({"ServerURL": "r.example", "Username": "oauth2accesstoken", "Secret": "tok"})
        );
        assert_eq!(list(&[("a".into(), "u".into())]), r#"{"a":"u"}"#);
    }
}
