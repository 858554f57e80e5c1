//! What `gettoken NAME` prints: the bare token, a header line (`--header`,
//! the profile's `header`/`scheme`/`output`), or JSON (`--format json`), and
//! `gettoken get NAME` as a synonym. stdout carries nothing else.

use serde_json::{Value, json};

use crate::util::*;

const TOKEN: &str = "out-token-4f5e6d7c";

/// The usual endpoint: lower-case `bearer`, one hour, two scopes.
fn standard() -> Server {
    Server::json(
        200,
        json!({
            "access_token": TOKEN,
            "token_type": "bearer",
            "expires_in": 3600,
            "scope": "read write",
        }),
    )
}

fn profile(base: &str, extra: &str) -> String {
    format!(
        r#"
[profiles.out]
flavour = "oauth2"
token_url = "{base}/token"
client_id = "out-client"
client_secret = "out-secret"
{extra}
"#
    )
}

fn run(server: &Server, extra: &str, args: &[&str]) -> std::process::Output {
    Env::new().run(&profile(&server.url(), extra), args)
}

#[test]
fn default_output_is_the_token_and_a_newline() {
    let server = standard();
    let out = run(&server, "", &["out"]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[test]
fn get_subcommand_is_the_same_as_the_bare_name() {
    let server = standard();
    let out = run(&server, "", &["get", "out"]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let out = run(&server, "", &["get", "out", "--header"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn header_flag_capitalises_lower_case_bearer() {
    let server = standard();
    let out = run(&server, "", &["out", "--header"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
    let out = run(&server, "", &["out", "-H"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn format_header_is_the_same_as_the_header_flag() {
    let server = standard();
    let out = run(&server, "", &["out", "--format", "header"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn scheme_defaults_to_bearer_without_a_token_type() {
    let server = Server::json(200, json!({"access_token": TOKEN, "expires_in": 3600}));
    let out = run(&server, "", &["out", "-H"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn scheme_follows_another_token_type() {
    let server = Server::json(
        200,
        json!({"access_token": TOKEN, "token_type": "DPoP", "expires_in": 3600}),
    );
    let out = run(&server, "", &["out", "-H"]);
    assert_stdout(&out, &format!("Authorization: DPoP {TOKEN}\n"));
}

#[test]
fn profile_header_and_scheme() {
    let server = standard();
    let out = run(
        &server,
        r#"header = "X-Auth-Token"
scheme = "Token""#,
        &["out", "--header"],
    );
    assert_stdout(&out, &format!("X-Auth-Token: Token {TOKEN}\n"));
}

#[test]
fn empty_scheme_gives_the_bare_token() {
    let server = standard();
    let out = run(
        &server,
        r#"header = "X-Api-Token"
scheme = """#,
        &["out", "-H"],
    );
    assert_stdout(&out, &format!("X-Api-Token: {TOKEN}\n"));
}

#[test]
fn scheme_in_defaults_applies_to_the_profile() {
    let server = standard();
    let env = Env::new();
    let text = format!(
        "[defaults]\ncache = \"none\"\nscheme = \"Token\"\n{}",
        profile(&server.url(), "")
    );
    let path = env.write_file("custom.toml", &text);
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(path)
        .args(["out", "-H"])
        .output()
        .unwrap();
    assert_stdout(&out, &format!("Authorization: Token {TOKEN}\n"));
}

#[test]
fn output_header_in_the_profile() {
    let server = standard();
    let out = run(&server, r#"output = "header""#, &["out"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn format_overrides_the_profile_output() {
    let server = standard();
    let out = run(
        &server,
        r#"output = "header""#,
        &["out", "--format", "token"],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[test]
fn output_json_in_the_profile() {
    let server = standard();
    let out = run(&server, r#"output = "json""#, &["out"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
}

#[test]
fn format_json_has_all_the_fields() {
    let server = standard();
    let out = run(&server, "", &["out", "--format", "json"]);
    assert!(
        stdout(&out).ends_with('\n'),
        "JSON output ends with a newline"
    );
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
    assert_eq!(
        json["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer"),
        "token_type: {json}"
    );
    assert_json_expiry(&json, 3600, 60);
    let scope = &json["scope"];
    assert!(
        scope == &json!("read write") || scope == &json!(["read", "write"]),
        "scope: {json}"
    );
}

#[test]
fn expires_in_as_a_numeric_string() {
    let server = Server::json(
        200,
        json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": "1800"}),
    );
    let out = run(&server, "", &["out", "--format", "json"]);
    let json = stdout_json(&out);
    assert_json_expiry(&json, 1800, 60);
}

#[test]
fn expires_at_as_rfc3339() {
    let at = now_unix() + 7200;
    let stamp = jiff::Timestamp::from_second(at).unwrap().to_string();
    let server = Server::json(200, json!({"token": TOKEN, "valid_until": stamp}));
    let env = Env::new();
    let text = format!(
        r#"
[profiles.out]
flavour = "http"
url = "{}/token"

[profiles.out.response]
token = "/token"
expires_at = "/valid_until"
"#,
        server.url()
    );
    let out = env.run(&text, &["out", "--format", "json"]);
    let json = stdout_json(&out);
    assert_json_expiry(&json, 7200, 60);
}

#[test]
fn jwt_exp_claim_is_used_when_no_expiry_is_given() {
    use base64::Engine as _;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let exp = now_unix() + 5400;
    let jwt = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "typ": "JWT"})),
        b64(&json!({"sub": "svc", "exp": exp})),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"not-a-real-signature"),
    );
    let server = Server::json(200, json!({"access_token": jwt, "token_type": "Bearer"}));
    let out = run(&server, "", &["out", "--format", "json"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(jwt));
    assert_json_expiry(&json, 5400, 60);
    assert_eq!(rfc3339_to_unix(json["expires_at"].as_str().unwrap()), exp);
}

#[test]
fn verbose_keeps_stdout_to_the_token() {
    let server = standard();
    let out = run(&server, "", &["out", "-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &["out-secret"]);
}

#[test]
fn verbose_header_output_keeps_stdout_to_the_header() {
    let server = standard();
    let out = run(&server, "", &["out", "-v", "-H"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
    assert!(
        !stderr(&out).contains(TOKEN),
        "token on stderr: {}",
        stderr(&out)
    );
    assert_no_leak(&out, &["out-secret"]);
}
