use std::path::Path;

use super::*;
use crate::config::Config;
use crate::secrets::Secret;

fn profile(extra: &str) -> Profile {
    let text = format!("[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n{extra}");
    Config::parse(Path::new("t.toml"), &text, &[])
        .unwrap()
        .profile("p")
        .unwrap()
}

fn token(token_type: Option<&str>) -> Token {
    Token {
        dpop_jkt: None,
        access_token: Secret::new("abc"),
        token_type: token_type.map(str::to_string),
        expires_at: Some(1_000_100),
        refresh_token: None,
        scope: Some("read".into()),
        extra: vec![],
        id_token: None,
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

#[test]
fn exec_credential_for_kubectl() {
    let json: serde_json::Value = serde_json::from_str(&render(
        &profile(""),
        &token(None),
        Format::ExecCredential,
        0,
    ))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"token": "abc", "expirationTimestamp": "1970-01-12T13:48:20Z"}
        })
    );
    let mut t = token(None);
    t.expires_at = None;
    let json: serde_json::Value =
        serde_json::from_str(&exec_credential(&t, "client.authentication.k8s.io/v1beta1")).unwrap();
    assert_eq!(json["status"], serde_json::json!({"token": "abc"}));
    assert_eq!(json["apiVersion"], "client.authentication.k8s.io/v1beta1");
}

#[test]
fn export_line_quotes_for_the_shell() {
    assert_eq!(
        render(&profile(""), &token(None), Format::Env, 0),
        "export GETTOKEN_TOKEN='abc'"
    );
    assert_eq!(export_line("T", r"a'b$c\d"), r"export T='a'\''b$c\d'");
    assert_eq!(shell_quote(""), "''");
}

fn shown(profile: &Profile, token: Option<&Token>, reveal: bool) -> String {
    show(&Shown {
        profile,
        cache: CacheState::Store {
            kind: "file".into(),
            backend: "test".into(),
            lifetime: None,
            token,
        },
        now: 1_000_000,
        reveal,
    })
}

#[test]
fn show_hides_the_token_unless_asked() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"ES256"}"#),
        b64(r#"{"sub":"me","exp":1000100}"#)
    );
    let mut t = token(Some("bearer"));
    t.access_token = Secret::new(jwt.clone());
    let p = profile("scope = \"read\"\nmin_ttl = \"5m\"\n");
    let text = shown(&p, Some(&t), false);
    assert!(!text.contains(&jwt), "{text}");
    for needle in [
        "oauth2",
        "https://x/t",
        "valid for 1m 40s, less than min_ttl",
        "1970-01-12T13:48:20Z",
        "\"sub\": \"me\"",
        "\"alg\": \"ES256\"",
        "(decoded, not verified)",
        "exp: 1970-01-12T13:48:20Z",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    assert!(shown(&p, Some(&t), true).contains(&jwt));
    let none = shown(&p, None, false);
    assert!(none.contains("none cached"), "{none}");
    t.expires_at = Some(999_000);
    assert!(shown(&p, Some(&t), false).contains("expired 16m 40s ago"));
}
