//! `flavour = "http"`: the request is built from the profile as written —
//! method, URL (trailing slash and query kept), body encoding, nested
//! fields, extra headers — and the reply is read through JSON Pointers.

use serde_json::json;

use crate::util::*;

const TOKEN: &str = "http-flavour-token-9z8y7x";

fn token_server() -> Server {
    Server::json(200, json!({"result": {"token": TOKEN}}))
}

/// A profile `h` with the given URL and extra keys, reading `/result/token`.
fn profile(url: &str, extra: &str) -> String {
    format!(
        r#"
[profiles.h]
flavour = "http"
url = "{url}"
{extra}

[profiles.h.response]
token = "/result/token"
"#
    )
}

fn run(url: &str, extra: &str) -> std::process::Output {
    Env::new().run(&profile(url, extra), &["h"])
}

#[test]
fn default_is_post_with_a_json_body() {
    let server = token_server();
    let out = run(
        &format!("{}/login", server.url()),
        r#"fields = { user = "alice", pass = "pw-1" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, "/login");
    assert_eq!(req.content_type().as_deref(), Some("application/json"));
    assert_eq!(req.json(), Some(json!({"user": "alice", "pass": "pw-1"})));
}

#[test]
fn method_is_used_as_written() {
    let server = token_server();
    let out = run(
        &format!("{}/session", server.url()),
        r#"method = "PUT"
fields = { user = "alice" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.json(), Some(json!({"user": "alice"})));
}

#[test]
fn get_with_query_fields() {
    let server = token_server();
    let out = run(
        &format!("{}/token", server.url()),
        r#"method = "GET"
body = "query"
fields = { key = "k 1&2", mode = "x" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path(), "/token");
    assert_eq!(req.query_param("key").as_deref(), Some("k 1&2"));
    assert_eq!(req.query_param("mode").as_deref(), Some("x"));
    assert!(req.body.is_empty());
}

#[test]
fn url_trailing_slash_is_kept() {
    let server = token_server();
    let out = run(&format!("{}/auth/token/", server.url()), "");
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(server.only_request().url, "/auth/token/");
}

#[test]
fn url_without_trailing_slash_gets_none_added() {
    let server = token_server();
    let out = run(&format!("{}/auth/token", server.url()), "");
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(server.only_request().url, "/auth/token");
}

#[test]
fn url_query_is_kept_as_written() {
    let server = token_server();
    let out = run(
        &format!("{}/auth/?tenant=acme&v=2", server.url()),
        r#"fields = { user = "alice" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.url, "/auth/?tenant=acme&v=2");
    assert_eq!(req.json(), Some(json!({"user": "alice"})));
}

#[test]
fn query_fields_are_added_to_a_url_that_has_a_query() {
    let server = token_server();
    let out = run(
        &format!("{}/auth/?tenant=acme", server.url()),
        r#"body = "query"
fields = { user = "alice" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.path(), "/auth/");
    assert_eq!(req.query_param("tenant").as_deref(), Some("acme"));
    assert_eq!(req.query_param("user").as_deref(), Some("alice"));
}

#[test]
fn form_body() {
    let server = token_server();
    let out = run(
        &format!("{}/login", server.url()),
        r#"body = "form"
fields = { user = "alice@example.com", pass = "a b&c=d" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(
        req.content_type().as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let mut form = req.form();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("pass".to_string(), "a b&c=d".to_string()),
            ("user".to_string(), "alice@example.com".to_string()),
        ]
    );
    assert_eq!(req.raw_query(), None);
}

#[test]
fn query_body_puts_fields_in_the_query_string() {
    let server = token_server();
    let out = run(
        &format!("{}/login/", server.url()),
        r#"body = "query"
fields = { user = "alice", "device-info" = "my laptop #1" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path(), "/login/");
    assert_eq!(req.query_param("user").as_deref(), Some("alice"));
    assert_eq!(
        req.query_param("device-info").as_deref(),
        Some("my laptop #1")
    );
    assert!(req.body.is_empty(), "body: {:?}", req.body_str());
}

#[test]
fn none_body_sends_nothing() {
    let server = token_server();
    let out = run(
        &format!("{}/token", server.url()),
        r#"method = "GET"
body = "none""#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "GET");
    assert_eq!(req.url, "/token");
    assert!(req.body.is_empty(), "body: {:?}", req.body_str());
}

#[test]
fn nested_fields_become_nested_json() {
    let server = token_server();
    let out = run(
        &format!("{}/login", server.url()),
        r#"
[profiles.h.fields]
grant = "password"

[profiles.h.fields.credentials]
username = "alice"
password = "pw-2"

[profiles.h.fields.credentials.device]
name = "ci"
tags = ["a", "b"]
"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(
        req.json(),
        Some(json!({
            "grant": "password",
            "credentials": {
                "username": "alice",
                "password": "pw-2",
                "device": {"name": "ci", "tags": ["a", "b"]},
            },
        })),
        "body: {}",
        req.body_str()
    );
}

#[test]
fn extra_headers_are_sent() {
    let server = token_server();
    let out = run(
        &format!("{}/login", server.url()),
        r#"headers = { "X-Api-Key" = "key-123", Accept = "application/vnd.acme+json", "X-Tenant" = "acme" }
fields = { user = "alice" }"#,
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.header("x-api-key"), Some("key-123"));
    assert_eq!(req.header("accept"), Some("application/vnd.acme+json"));
    assert_eq!(req.header("x-tenant"), Some("acme"));
}

const SECRET: &str = "Hf-S3cret-q8w7";

/// Runs a failing profile with a secret field, plainly and with `-v`; the
/// `-v` run must leak neither the secret nor any of `leak`.
fn run_failing(url: &str, extra: &str, code: i32, leak: &[&str]) {
    let text = profile(
        url,
        &format!("{extra}\nfields = {{ key = {{ env = \"HF_SECRET\" }} }}"),
    );
    let env = Env::new();
    let out = env.run_with_env(&text, &["h"], &[("HF_SECRET", SECRET)]);
    assert_failed_with(&out, code);
    let verbose = env.run_with_env(&text, &["h", "-v"], &[("HF_SECRET", SECRET)]);
    assert_failed_with(&verbose, code);
    let mut secrets = vec![SECRET];
    secrets.extend_from_slice(leak);
    assert_no_leak(&verbose, &secrets);
}

#[test]
fn missing_token_in_reply_exits_4() {
    // The token is at the wrong place: not where the profile says.
    let server = Server::json(200, json!({"result": {}, "token": TOKEN}));
    run_failing(
        &format!("{}/login", server.url()),
        "retries = 0",
        4,
        &[TOKEN],
    );
}

#[test]
fn reply_that_is_not_json_exits_4() {
    let server = Server::always(Reply::text(200, "OK"));
    run_failing(&format!("{}/login", server.url()), "retries = 0", 4, &[]);
}

#[test]
fn client_error_is_not_retried_and_exits_3() {
    let server = Server::json(403, json!({"detail": "forbidden here"}));
    run_failing(&format!("{}/login", server.url()), "", 3, &[]);
    assert_eq!(
        server.count(),
        2,
        "a 4xx other than 408/429 is never retried (one request per run, two runs)"
    );
}

#[test]
fn connection_refused_exits_4() {
    run_failing(
        &format!("{}/login", closed_port_url()),
        "retries = 0",
        4,
        &[],
    );
}

#[test]
fn success_verbose_prints_the_token_once() {
    let server = token_server();
    let env = Env::new();
    let out = env.run(
        &profile(
            &format!("{}/login", server.url()),
            r#"fields = { user = "alice" }"#,
        ),
        &["h", "--verbose"],
    );
    assert_token_only_on_stdout(&out, TOKEN);
}
