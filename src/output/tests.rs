use std::path::Path;

use super::*;
use crate::config::Config;
use crate::secret::Secret;

fn profile(extra: &str) -> Profile {
    let text = format!("[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n{extra}");
    Config::parse(Path::new("t.toml"), &text, &[])
        .unwrap()
        .profile("p")
        .unwrap()
}

fn token(token_type: Option<&str>) -> Token {
    Token {
        access_token: Secret::new("abc"),
        token_type: token_type.map(str::to_string),
        expires_at: Some(1_000_100),
        refresh_token: None,
        scope: Some("read".into()),
    }
}

#[test]
fn header_normalises_bearer() {
    assert_eq!(
        render(&profile(""), &token(Some("bearer")), Format::Header, 0),
        "Authorization: Bearer abc"
    );
    assert_eq!(
        render(&profile(""), &token(None), Format::Header, 0),
        "Authorization: Bearer abc"
    );
    assert_eq!(
        render(&profile(""), &token(Some("DPoP")), Format::Header, 0),
        "Authorization: DPoP abc"
    );
}

#[test]
fn profile_header_and_scheme_win() {
    let p = profile("header = \"X-Auth-Token\"\nscheme = \"\"\n");
    assert_eq!(
        render(&p, &token(Some("bearer")), Format::Header, 0),
        "X-Auth-Token: abc"
    );
    let p = profile("scheme = \"Token\"\n");
    assert_eq!(
        render(&p, &token(Some("bearer")), Format::Header, 0),
        "Authorization: Token abc"
    );
}

#[test]
fn token_and_json() {
    assert_eq!(render(&profile(""), &token(None), Format::Token, 0), "abc");
    let json: serde_json::Value = serde_json::from_str(&render(
        &profile(""),
        &token(Some("bearer")),
        Format::Json,
        1_000_000,
    ))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "access_token": "abc", "token_type": "Bearer",
            "expires_at": "1970-01-12T13:48:20Z", "expires_in": 100, "scope": "read"
        })
    );
}

#[test]
fn table_aligns_columns() {
    let rows = [
        ["PROFILE".to_string(), "STATE".to_string()],
        ["p".to_string(), "valid".to_string()],
    ];
    assert_eq!(table(&rows), "PROFILE  STATE\np        valid");
}
