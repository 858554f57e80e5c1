//! Vendor 5 of docs/PROVIDERS.md ("Generating a Token"): credentials in the query
//! string of a POST, a URL whose trailing slash matters, an absolute UNIX
//! expiry 30 days out, and errors as an `errors` object.

use serde_json::json;

use crate::util::*;

const USERNAME: &str = "jane.doe";
const PASSWORD: &str = "Pw-v5 &=?+#x9";
const DEVICE: &str = "gettoken e2e (ci runner #7)";
const TOKEN: &str = "v5-access-token-deadbeef42";
const PATH: &str = "/v1/oauth/";
const THIRTY_DAYS: i64 = 30 * 24 * 3600;

fn profile(base: &str, path: &str) -> String {
    format!(
        r#"
[profiles.v5]
flavour = "http"
url = "{base}{path}"
body = "query"

[profiles.v5.fields]
username = "{USERNAME}"
password = {{ env = "V5_PASSWORD" }}
device-info = "{DEVICE}"

[profiles.v5.response]
token = "/data/access_token"
expires_at = "/data/expiry"
success = "/success"
error = "/errors"
"#
    )
}

/// The vendor's endpoint: the path must end in a slash, credentials are in
/// the query string.
fn vendor(expiry: i64) -> Server {
    Server::start(move |req, _| {
        if req.method != "POST" || req.path() != PATH {
            return Reply::text(404, "Not Found");
        }
        if req.query_param("username").as_deref() != Some(USERNAME) {
            return Reply::json(
                200,
                json!({"success": false, "errors": {"username": "Unknown user"}}),
            );
        }
        if req.query_param("password").as_deref() != Some(PASSWORD) {
            return Reply::json(
                200,
                json!({"success": false, "errors": {"password": "Invalid password"}}),
            );
        }
        Reply::json(
            200,
            json!({"success": true, "data": {"access_token": TOKEN, "expiry": expiry}}),
        )
    })
}

fn run(server: &Server, path: &str, password: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["v5"];
    all.extend_from_slice(args);
    env.run_with_env(
        &profile(&server.url(), path),
        &all,
        &[("V5_PASSWORD", password)],
    )
}

#[test]
fn credentials_go_in_the_query_string() {
    let server = vendor(now_unix() + THIRTY_DAYS);
    let out = run(&server, PATH, PASSWORD, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path(), PATH, "the trailing slash is kept");
    let mut query = req.query();
    query.sort();
    assert_eq!(
        query,
        vec![
            ("device-info".to_string(), DEVICE.to_string()),
            ("password".to_string(), PASSWORD.to_string()),
            ("username".to_string(), USERNAME.to_string()),
        ]
    );
    assert!(
        req.body.is_empty(),
        "body = \"query\": nothing in the body, got {:?}",
        req.body_str()
    );
}

#[test]
fn absolute_expiry_30_days_out() {
    let expiry = now_unix() + THIRTY_DAYS;
    let server = vendor(expiry);
    let out = run(&server, PATH, PASSWORD, &["--format", "json"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
    assert_json_expiry(&json, THIRTY_DAYS, 120);
    let at = rfc3339_to_unix(json["expires_at"].as_str().unwrap());
    assert_eq!(
        at, expiry,
        "expires_at is the endpoint's own expiry: {json}"
    );
}

#[test]
fn wrong_password_exits_3_with_the_errors_object() {
    let server = vendor(now_unix() + THIRTY_DAYS);
    let out = run(&server, PATH, "Pw-v5-wrong &x", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid password");
    assert_eq!(server.count(), 1);
}

#[test]
fn wrong_password_verbose_leaks_nothing() {
    let server = vendor(now_unix() + THIRTY_DAYS);
    let out = run(&server, PATH, "Pw-v5-wrong &x", &["-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid password");
    assert_no_leak(&out, &["Pw-v5-wrong &x", PASSWORD]);
}

#[test]
fn url_without_trailing_slash_is_not_rewritten() {
    // The URL is used exactly as written: no slash is added, so this vendor
    // answers 404 (a refusal, exit 3).
    let server = vendor(now_unix() + THIRTY_DAYS);
    let out = run(&server, "/v1/oauth", PASSWORD, &[]);
    assert_failed_with(&out, 3);
    let req = server.only_request();
    assert_eq!(req.path(), "/v1/oauth");
    let out = run(&server, "/v1/oauth", PASSWORD, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[PASSWORD]);
}

#[test]
fn success_verbose_leaks_nothing() {
    let server = vendor(now_unix() + THIRTY_DAYS);
    let out = run(&server, PATH, PASSWORD, &["-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &[PASSWORD]);
}
