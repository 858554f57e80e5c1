//! Vendor 1 of docs/PROVIDERS.md (Availo "Generate Token"): a JSON login with
//! case-sensitive field names, the token nested in an envelope, a `status`
//! flag that may be false on HTTP 200, and a fixed 15-minute lifetime.

use serde_json::json;

use crate::util::*;

const ACCOUNT: &str = "ACME-0042";
const PASSWORD: &str = "Av-pw-9f3kQz!x";
const TOKEN: &str = "availo-token-6b1d0e7c5a";
const PATH: &str = "/api/Account/Generatetoken";

const PROFILE: &str = r#"
[profiles.availo]
flavour = "http"
url = "BASE/api/Account/Generatetoken"
body = "json"
fields = { AccountCode = "ACME-0042", Password = { env = "AVAILO_PASSWORD" } }

[profiles.availo.response]
token = "/Data/accessToken"
success = "/status"
error = "/message"
lifetime = "15m"
"#;

/// The vendor's endpoint: 200 in every case, `status` says whether it worked.
fn vendor() -> Server {
    Server::start(|req, _| {
        if req.method != "POST" || req.url != PATH {
            return Reply::json(404, json!({"message": "Not Found"}));
        }
        let body = req.json();
        let ok = req.content_type().as_deref() == Some("application/json")
            && body.as_ref().and_then(|b| b.get("AccountCode")) == Some(&json!(ACCOUNT))
            && body.as_ref().and_then(|b| b.get("Password")) == Some(&json!(PASSWORD));
        if ok {
            Reply::json(
                200,
                json!({"Data": {"accessToken": TOKEN}, "status": true, "message": null}),
            )
        } else {
            Reply::json(
                200,
                json!({"Data": null, "status": false, "message": "Invalid account code or password"}),
            )
        }
    })
}

fn run(server: &Server, password: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let profile = PROFILE.replace("BASE", &server.url());
    let mut all = vec!["availo"];
    all.extend_from_slice(args);
    env.run_with_env(&profile, &all, &[("AVAILO_PASSWORD", password)])
}

#[test]
fn success_prints_the_nested_token() {
    let server = vendor();
    let out = run(&server, PASSWORD, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(server.count(), 1);
}

#[test]
fn request_is_json_with_case_sensitive_field_names() {
    let server = vendor();
    let out = run(&server, PASSWORD, &[]);
    assert_code(&out, 0);
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, PATH);
    assert_eq!(req.content_type().as_deref(), Some("application/json"));
    assert_eq!(
        req.json(),
        Some(json!({"AccountCode": ACCOUNT, "Password": PASSWORD})),
        "body: {}",
        req.body_str()
    );
}

#[test]
fn fixed_lifetime_of_15_minutes() {
    let server = vendor();
    let out = run(&server, PASSWORD, &["--format", "json"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
    assert_json_expiry(&json, 15 * 60, 60);
}

#[test]
fn header_output_uses_bearer() {
    let server = vendor();
    let out = run(&server, PASSWORD, &["--header"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn status_false_on_http_200_exits_3_with_message() {
    let server = vendor();
    let out = run(&server, "wrong-password-1", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid account code or password");
    assert_eq!(server.count(), 1, "a refusal is not retried");
}

#[test]
fn status_false_on_http_200_verbose_leaks_nothing() {
    let server = vendor();
    let out = run(&server, "wrong-password-1", &["-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid account code or password");
    assert_no_leak(&out, &["wrong-password-1", PASSWORD, TOKEN]);
}

#[test]
fn status_false_is_an_error_even_with_a_token_present() {
    // A 200 with `status: false` is an error, never a token.
    let server = Server::json(
        200,
        json!({"Data": {"accessToken": TOKEN}, "status": false, "message": "Account locked"}),
    );
    let out = run(&server, PASSWORD, &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Account locked");
    let out = run(&server, PASSWORD, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[PASSWORD, TOKEN]);
}

#[test]
fn status_false_without_message_is_still_an_error() {
    let server = Server::json(200, json!({"Data": null, "status": false, "message": null}));
    let out = run(&server, PASSWORD, &[]);
    assert_failed_with(&out, 3);
    let out = run(&server, PASSWORD, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[PASSWORD]);
}

#[test]
fn success_verbose_prints_token_once_and_no_secret() {
    let server = vendor();
    let out = run(&server, PASSWORD, &["-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &[PASSWORD]);
    assert!(
        !stderr(&out).is_empty(),
        "-v should print diagnostics on stderr"
    );
}
