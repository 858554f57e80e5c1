//! `flavour = "oauth2"` against a standard RFC 6749 token endpoint: client
//! authentication (Basic per 2.3.1, body, none), scope, audience, resource,
//! extra params, a JSON body, issuer discovery, and the standard errors.

use serde_json::json;

use crate::util::*;

const TOKEN: &str = "std-access-token-a1b2c3";
const SECRET: &str = "Std-secret-Zx9Vb7";

fn cc_profile(base: &str, extra: &str) -> String {
    format!(
        r#"
[profiles.acme-std]
flavour = "oauth2"
token_url = "{base}/oauth2/token"
{extra}
"#
    )
}

fn run(base: &str, extra: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["acme-std"];
    all.extend_from_slice(args);
    env.run_with_env(&cc_profile(base, extra), &all, &[("STD_SECRET", SECRET)])
}

/// Runs a failing case, then again with `-v`: both exit `code` and the
/// verbose run shows neither the secret nor the Basic credentials.
fn fails_quietly(base: &str, extra: &str, code: i32) {
    let client = "client_id = \"svc-app\"\nclient_secret = { env = \"STD_SECRET\" }";
    let profile = format!("{client}\n{extra}");
    assert_failed_with(&run(base, &profile, &[]), code);
    let verbose = run(base, &profile, &["-v"]);
    assert_failed_with(&verbose, code);
    assert_no_leak(
        &verbose,
        &[SECRET, &basic_credentials_b64("svc-app", SECRET)],
    );
}

#[test]
fn client_credentials_is_the_default_grant_with_basic_auth() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }"#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, "/oauth2/token");
    assert_eq!(
        req.content_type().as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.header("authorization"),
        Some(basic_header("svc-app", SECRET).as_str())
    );
    assert_eq!(
        req.form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(
        req.form_param("client_secret"),
        None,
        "the secret goes only in the header"
    );
}

#[test]
fn basic_auth_urlencodes_a_colon_in_the_client_id() {
    // RFC 6749 2.3.1: id and secret are form-urlencoded before Basic, so a
    // colon in the id cannot be mistaken for the separator.
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "app:1"
client_secret = "s3cret""#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.basic_auth_raw().as_deref(), Some("app%3A1:s3cret"));
    assert_eq!(
        req.basic_auth(),
        Some(("app:1".to_string(), "s3cret".to_string()))
    );
}

#[test]
fn basic_auth_urlencodes_spaces_and_reserved_characters() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "my app:é/1"
client_secret = "p@ss w:rd+%&=""#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    let raw = req.basic_auth_raw().expect("a Basic Authorization header");
    assert_eq!(
        raw.matches(':').count(),
        1,
        "colons inside id and secret must be encoded: {raw:?}"
    );
    assert!(!raw.contains(' '), "spaces must be encoded: {raw:?}");
    assert_eq!(
        req.basic_auth(),
        Some(("my app:é/1".to_string(), "p@ss w:rd+%&=".to_string())),
        "form-urldecoding each half gives back id and secret: {raw:?}"
    );
}

#[test]
fn body_client_auth_puts_the_client_in_the_form() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }
client_auth = "body""#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.header("authorization"), None);
    assert_eq!(
        req.form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(req.form_param("client_id").as_deref(), Some("svc-app"));
    assert_eq!(req.form_param("client_secret").as_deref(), Some(SECRET));
}

#[test]
fn none_client_auth_sends_no_credentials() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "public-app"
client_auth = "none""#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.form_param("client_secret"), None);
}

#[test]
fn scope_list_is_joined_by_spaces() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = "x-secret"
scope = ["read", "write:all", "openid"]"#,
        &[],
    );
    assert_code(&out, 0);
    let req = server.only_request();
    assert_eq!(
        req.form_param("scope").as_deref(),
        Some("read write:all openid")
    );
}

#[test]
fn scope_string_is_sent_as_written() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = "x-secret"
scope = "api://default/.default offline_access""#,
        &[],
    );
    assert_code(&out, 0);
    let req = server.only_request();
    assert_eq!(
        req.form_param("scope").as_deref(),
        Some("api://default/.default offline_access")
    );
}

#[test]
fn audience_resource_and_params_are_sent() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = "x-secret"
audience = "https://api.example.test/"
resource = "urn:example:orders"
params = { tenant = "acme & co", "x-extra" = "1" }"#,
        &[],
    );
    assert_code(&out, 0);
    let req = server.only_request();
    assert_eq!(
        req.form_param("audience").as_deref(),
        Some("https://api.example.test/")
    );
    assert_eq!(
        req.form_param("resource").as_deref(),
        Some("urn:example:orders")
    );
    assert_eq!(req.form_param("tenant").as_deref(), Some("acme & co"));
    assert_eq!(req.form_param("x-extra").as_deref(), Some("1"));
    assert_eq!(
        req.form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
}

#[test]
fn unset_audience_and_resource_are_not_sent() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = "x-secret""#,
        &[],
    );
    assert_code(&out, 0);
    let req = server.only_request();
    for name in ["audience", "resource", "scope", "client_secret"] {
        assert_eq!(
            req.form_param(name),
            None,
            "{name} sent: {}",
            req.body_str()
        );
    }
}

#[test]
fn json_body_for_vendors_that_want_json() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }
client_auth = "body"
body = "json"
scope = ["a", "b"]"#,
        &[],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.content_type().as_deref(), Some("application/json"));
    let body = req.json().expect("a JSON body");
    assert_eq!(body["grant_type"], json!("client_credentials"));
    assert_eq!(body["client_id"], json!("svc-app"));
    assert_eq!(body["client_secret"], json!(SECRET));
    assert_eq!(body["scope"], json!("a b"));
}

#[test]
fn issuer_discovery_finds_the_token_endpoint() {
    let server = Server::start(|req, _| {
        if req.method == "GET" && req.path() == "/realms/acme/.well-known/openid-configuration" {
            // The token endpoint is deliberately not `{issuer}/token`.
            let port = req
                .header("host")
                .and_then(|h| h.rsplit(':').next())
                .unwrap_or("0")
                .to_string();
            let base = format!("http://127.0.0.1:{port}");
            Reply::json(
                200,
                json!({
                    "issuer": format!("{base}/realms/acme"),
                    "token_endpoint": format!("{base}/realms/acme/protocol/openid-connect/token"),
                    "device_authorization_endpoint": format!("{base}/realms/acme/device"),
                }),
            )
        } else if req.method == "POST" && req.url == "/realms/acme/protocol/openid-connect/token" {
            Reply::json(200, oauth_token(TOKEN))
        } else {
            Reply::json(404, json!({"error": "not_found"}))
        }
    });
    let env = Env::new();
    let profile = format!(
        r#"
[profiles.oidc]
flavour = "oauth2"
issuer = "{}/realms/acme"
client_id = "svc-app"
client_secret = "x-secret"
"#,
        server.url()
    );
    let out = env.run(&profile, &["oidc"]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let reqs = server.requests();
    let posts: Vec<_> = reqs.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "requests: {reqs:#?}");
    assert_eq!(posts[0].url, "/realms/acme/protocol/openid-connect/token");
    assert!(
        reqs.iter()
            .any(|r| r.method == "GET" && r.url == "/realms/acme/.well-known/openid-configuration"),
        "discovery document fetched: {reqs:#?}"
    );
}

#[test]
fn standard_error_exits_3_with_error_and_description() {
    let server = Server::json(
        401,
        json!({"error": "invalid_client", "error_description": "Client secret has expired"}),
    );
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }"#,
        &[],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_client");
    assert_stderr_contains(&out, "Client secret has expired");
    assert_stderr_contains(&out, "acme-std");
    assert_eq!(server.count(), 1);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }"#,
        &["-v"],
    );
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[SECRET, &basic_credentials_b64("svc-app", SECRET)]);
}

#[test]
fn reply_that_is_not_json_exits_4() {
    let server = Server::always(Reply::text(200, "<html>maintenance</html>"));
    fails_quietly(&server.url(), "retries = 0", 4);
}

#[test]
fn reply_without_a_token_exits_4() {
    let server = Server::json(200, json!({"token_type": "Bearer", "expires_in": 60}));
    fails_quietly(&server.url(), "retries = 0", 4);
}

#[test]
fn server_error_exits_4_after_retries() {
    let server = Server::json(500, json!({"error": "server_error"}));
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }
retries = 1"#,
        &[],
    );
    assert_failed_with(&out, 4);
    assert_eq!(server.count(), 2);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }
retries = 1"#,
        &["-v"],
    );
    assert_failed_with(&out, 4);
    assert_no_leak(&out, &[SECRET, &basic_credentials_b64("svc-app", SECRET)]);
}

#[test]
fn success_verbose_leaks_nothing() {
    let server = Server::token(TOKEN);
    let out = run(
        &server.url(),
        r#"client_id = "svc-app"
client_secret = { env = "STD_SECRET" }"#,
        &["-v"],
    );
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &[SECRET, &basic_credentials_b64("svc-app", SECRET)]);
}
