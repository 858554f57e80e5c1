//! Vendor 4 of docs/PROVIDERS.md (Resales-Online "Retrieve a token"): OAuth2
//! client_credentials with the client in a form body, a numeric client id,
//! a `Content-Type: application/json` request refused, and errors carried in
//! `message`/`hint` rather than `error_description`.

use serde_json::json;

use crate::util::*;

const CLIENT_ID: &str = "1042";
const CLIENT_SECRET: &str = "Cs-resales-Qw8rTy";
const TOKEN: &str = "resales-access-3c4d5e6f";
const PATH: &str = "/oauth/token";

fn profile(base: &str, extra: &str) -> String {
    format!(
        r#"
[profiles.resales]
flavour = "oauth2"
token_url = "{base}{PATH}"
client_id = "{CLIENT_ID}"
client_secret = {{ env = "RESALES_SECRET" }}
client_auth = "body"
{extra}

[profiles.resales.response]
error = ["/error", "/message", "/hint"]
"#
    )
}

/// The vendor's endpoint: JSON is refused, the client must be in the form.
fn vendor() -> Server {
    Server::start(|req, _| {
        if req.method != "POST" || req.url != PATH {
            return Reply::json(404, json!({"error": "not_found", "message": "Not found"}));
        }
        let content_type = req
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.contains("application/json")
            || req.form_param("client_id").as_deref() != Some(CLIENT_ID)
            || req.form_param("grant_type").as_deref() != Some("client_credentials")
        {
            return Reply::json(
                400,
                json!({
                    "error": "invalid_request",
                    "message": "The request is missing a required parameter",
                    "hint": "Check the `client_id` parameter",
                }),
            );
        }
        if req.form_param("client_secret").as_deref() != Some(CLIENT_SECRET) {
            return Reply::json(
                401,
                json!({"error": "invalid_client", "message": "Client authentication failed"}),
            );
        }
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 7200, "access_token": TOKEN}),
        )
    })
}

fn run(server: &Server, extra: &str, secret: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["resales"];
    all.extend_from_slice(args);
    env.run_with_env(
        &profile(&server.url(), extra),
        &all,
        &[("RESALES_SECRET", secret)],
    )
}

#[test]
fn success_is_form_encoded_with_client_in_body() {
    let server = vendor();
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.content_type().as_deref(),
        Some("application/x-www-form-urlencoded"),
        "the request must be form-encoded"
    );
    assert!(
        req.json().is_none(),
        "the body must not be JSON: {}",
        req.body_str()
    );
    assert_eq!(req.header("authorization"), None);
    let mut form = req.form();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("client_secret".to_string(), CLIENT_SECRET.to_string()),
            ("grant_type".to_string(), "client_credentials".to_string()),
        ]
    );
}

#[test]
fn format_json_reports_two_hour_expiry() {
    let server = vendor();
    let out = run(&server, "", CLIENT_SECRET, &["--format", "json"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
    assert_json_expiry(&json, 7200, 60);
}

#[test]
fn wrong_secret_401_exits_3_with_message() {
    let server = vendor();
    let out = run(&server, "", "Cs-resales-wrong", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Client authentication failed");
    assert_eq!(server.count(), 1, "a 401 is never retried");
}

#[test]
fn wrong_secret_401_verbose_leaks_nothing() {
    let server = vendor();
    let out = run(&server, "", "Cs-resales-wrong", &["-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Client authentication failed");
    assert_no_leak(&out, &["Cs-resales-wrong", CLIENT_SECRET]);
}

#[test]
fn json_body_is_refused_with_message_and_hint() {
    // A profile that (wrongly, for this vendor) asks for a JSON body: the
    // vendor's 400 must reach the user with its `message` and `hint`.
    let server = vendor();
    let out = run(&server, r#"body = "json""#, CLIENT_SECRET, &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_request");
    assert_stderr_contains(&out, "The request is missing a required parameter");
    assert_stderr_contains(&out, "Check the `client_id` parameter");
    let req = server.only_request();
    assert_eq!(req.content_type().as_deref(), Some("application/json"));
    let out = run(&server, r#"body = "json""#, CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}

#[test]
fn success_verbose_leaks_nothing() {
    let server = vendor();
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}
