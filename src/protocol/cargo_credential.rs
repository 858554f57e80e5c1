//! cargo's credential-provider protocol, version 1: one line of JSON each
//! way. The provider says hello (`{"v":[1]}`), cargo sends a request
//! (`get`, `login`, `logout`) naming its registry, the provider answers
//! `{"Ok":...}` or `{"Err":...}`. Pure: the caller reads and writes the
//! lines and fetches the token.

use serde_json::{Value, json};

use crate::protocol::token::Token;

/// The provider's first line.
pub const HELLO: &str = r#"{"v":[1]}"#;

/// The most of one request line gettoken reads.
pub const MAX_REQUEST: usize = 64 * 1024;

/// What cargo asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A token to read from, publish to, yank from... the registry.
    Get,
    /// `cargo login`: cargo offers a token to keep.
    Login,
    /// `cargo logout`: forget the token.
    Logout,
    /// A kind this version does not know.
    Other(String),
}

/// A request of cargo, as much of it as gettoken uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    /// The registry's index URL (`sparse+https://host/index/`).
    pub index_url: String,
    /// The registry's name in cargo's configuration, when it has one.
    pub name: Option<String>,
    /// The arguments after the program in `credential-provider`.
    pub args: Vec<String>,
}

/// Reads one request line. An error says what is wrong with it.
pub fn parse_request(line: &str) -> Result<Request, String> {
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("cargo's request is not JSON: {e}"))?;
    if v.get("v").and_then(Value::as_u64) != Some(1) {
        return Err("cargo's request is not version 1 of the credential protocol".into());
    }
    let registry = v.get("registry").unwrap_or(&Value::Null);
    let index_url = registry
        .get("index-url")
        .and_then(Value::as_str)
        .ok_or("cargo's request names no registry index-url")?
        .to_string();
    let action = match v.get("kind").and_then(Value::as_str).unwrap_or("") {
        "get" => Action::Get,
        "login" => Action::Login,
        "logout" => Action::Logout,
        other => Action::Other(other.to_string()),
    };
    let args = v
        .get("args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Request {
        action,
        index_url,
        name: registry
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string),
        args,
    })
}

/// The profile and scheme written after the program in cargo's
/// `credential-provider = ["gettoken", "cargo-credential", "PROFILE",
/// "--scheme", "Bearer"]`: cargo passes them in the request's `args`, not
/// on the command line. The command's own name is skipped.
pub fn options(args: &[String]) -> Result<(Option<String>, Option<String>), String> {
    let (mut profile, mut scheme) = (None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some(value) = arg.strip_prefix("--scheme=") {
            scheme = Some(value.to_string());
        } else if arg == "--scheme" {
            scheme = Some(
                rest.next()
                    .ok_or("--scheme needs a value (Bearer)")?
                    .clone(),
            );
        } else if arg.starts_with('-') {
            return Err(format!(
                "credential-provider: unknown option `{arg}` (only --scheme)"
            ));
        } else if arg == "cargo-credential" && profile.is_none() {
        } else if profile.is_none() {
            profile = Some(arg.clone());
        } else {
            return Err(format!(
                "credential-provider: one profile only, not also `{arg}`"
            ));
        }
    }
    Ok((profile, scheme))
}

/// The answer to `get`: the token (after `scheme ` when one is given, as
/// some registries want `Bearer TOKEN`), cached by cargo until it
/// expires, or for this cargo run when its lifetime is unknown. The
/// token serves every operation (read, publish, yank).
pub fn get_answer(token: &Token, scheme: Option<&str>) -> String {
    let value = match scheme {
        Some(scheme) => format!("{scheme} {}", token.access_token.expose()),
        None => token.access_token.expose().to_string(),
    };
    let mut ok = json!({
        "kind": "get",
        "token": value,
        "operation_independent": true,
    });
    match token.expires_at {
        Some(at) => {
            ok["cache"] = "expires".into();
            ok["expiration"] = at.max(0).into();
        }
        None => ok["cache"] = "session".into(),
    }
    json!({ "Ok": ok }).to_string()
}

/// The answer to `login` and `logout`: done.
pub fn done(kind: &str) -> String {
    json!({ "Ok": { "kind": kind } }).to_string()
}

/// No token here for this registry: cargo tries its other providers.
pub fn not_found() -> String {
    json!({ "Err": { "kind": "not-found" } }).to_string()
}

/// This provider does not do the operation.
pub fn not_supported() -> String {
    json!({ "Err": { "kind": "operation-not-supported" } }).to_string()
}

/// Any other failure, shown by cargo with `message`.
pub fn other(message: &str) -> String {
    json!({ "Err": { "kind": "other", "message": message } }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn token(expires_at: Option<i64>) -> Token {
        Token {
            dpop_jkt: None,
            access_token: Secret::new("tok"),
            token_type: None,
            expires_at,
            refresh_token: None,
            scope: None,
            extra: vec![],
            id_token: None,
        }
    }

    #[test]
    fn requests_of_cargo() {
        let r = parse_request(
            r#"{"v":1,"registry":{"index-url":"sparse+https://r.example/index/","name":"my","headers":["WWW-Authenticate: Cargo"]},"kind":"get","operation":"read","args":["--bearer"]}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Request {
                action: Action::Get,
                index_url: "sparse+https://r.example/index/".into(),
                name: Some("my".into()),
                args: vec!["--bearer".into()],
            }
        );
        let r = parse_request(r#"{"v":1,"registry":{"index-url":"https://x/"},"kind":"logout"}"#)
            .unwrap();
        assert_eq!((r.action, r.name), (Action::Logout, None));
        assert!(parse_request("{").is_err());
        assert!(parse_request(r#"{"v":2,"registry":{"index-url":"x"},"kind":"get"}"#).is_err());
        assert!(parse_request(r#"{"v":1,"kind":"get"}"#).is_err());
    }

    #[test]
    fn options_from_the_args_of_cargo() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(options(&args(&["cargo-credential"])), Ok((None, None)));
        assert_eq!(
            options(&args(&["cargo-credential", "p", "--scheme", "Bearer"])),
            Ok((Some("p".into()), Some("Bearer".into())))
        );
        assert_eq!(
            options(&args(&["--scheme=Token", "p"])),
            Ok((Some("p".into()), Some("Token".into())))
        );
        assert!(options(&args(&["--scheme"])).is_err());
        assert!(options(&args(&["-x"])).is_err());
        assert!(options(&args(&["a", "b"])).is_err());
    }

    #[test]
    fn get_answers_the_token_and_its_expiry() {
        let v: Value = serde_json::from_str(&get_answer(&token(Some(1700000000)), None)).unwrap();
        assert_eq!(
            v,
            json!({"Ok": {"kind": "get", "token": "tok", "cache": "expires", "expiration": 1700000000, "operation_independent": true}})
        );
        let v: Value = serde_json::from_str(&get_answer(&token(None), Some("Bearer"))).unwrap();
        assert_eq!(v["Ok"]["token"], "Bearer tok");
        assert_eq!(v["Ok"]["cache"], "session");
        assert_eq!(not_found(), r#"{"Err":{"kind":"not-found"}}"#);
        assert_eq!(done("logout"), r#"{"Ok":{"kind":"logout"}}"#);
        assert!(other("m").contains(r#""message":"m""#));
    }
}
