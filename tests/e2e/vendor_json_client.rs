//! Vendor 3 of docs/PROVIDERS.md ("Get Access Token"): client_id/client_secret in
//! a JSON body (or a form, "if required"), extra dynamic fields, and many
//! error statuses: 4xx refusals, and a transient 503 worth a bounded retry.

use std::time::Duration;

use serde_json::json;

use crate::util::*;

const CLIENT_ID: &str = "v3-client-8812";
const CLIENT_SECRET: &str = "Cs-v3-secret-Lm4p";
const TOKEN: &str = "v3-access-token-55aa66bb";
const PATH: &str = "/auth/v2/accesstoken";

fn profile(base: &str, extra: &str) -> String {
    format!(
        r#"
[profiles.vendor3]
flavour = "http"
url = "{base}{PATH}"
{extra}

[profiles.vendor3.fields]
client_id = "{CLIENT_ID}"
client_secret = {{ env = "VENDOR3_SECRET" }}
scope = "orders.read"

[profiles.vendor3.response]
token = "/access_token"
expires_in = "/expires_in"
error = ["/message", "/errors"]
"#
    )
}

fn success() -> Reply {
    Reply::json(
        200,
        json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}),
    )
}

fn not_found() -> Reply {
    Reply::json(404, json!({"message": "client id not found"}))
}

fn unavailable() -> Reply {
    Reply::json(503, json!({"message": "something went wrong"}))
}

/// The vendor's endpoint, accepting a JSON or a form body.
fn vendor() -> Server {
    Server::start(|req, _| {
        if req.method != "POST" || req.url != PATH {
            return Reply::json(404, json!({"message": "no such route"}));
        }
        let fields: Option<(String, String, String)> = match req.content_type().as_deref() {
            Some("application/json") => req.json().and_then(|b| {
                Some((
                    b.get("client_id")?.as_str()?.to_string(),
                    b.get("client_secret")?.as_str()?.to_string(),
                    b.get("scope")?.as_str()?.to_string(),
                ))
            }),
            Some("application/x-www-form-urlencoded") => (|| {
                Some((
                    req.form_param("client_id")?,
                    req.form_param("client_secret")?,
                    req.form_param("scope")?,
                ))
            })(),
            _ => None,
        };
        let Some((id, secret, scope)) = fields else {
            return Reply::json(
                412,
                json!({"message": "Validation errors", "errors": {"client_id": "is required"}}),
            );
        };
        if id != CLIENT_ID {
            return not_found();
        }
        if secret != CLIENT_SECRET {
            return Reply::json(401, json!({"message": "invalid token"}));
        }
        if scope != "orders.read" {
            return Reply::json(400, json!({"message": "invalid scope"}));
        }
        success()
    })
}

fn run(server: &Server, extra: &str, secret: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["vendor3"];
    all.extend_from_slice(args);
    env.run_with_env(
        &profile(&server.url(), extra),
        &all,
        &[("VENDOR3_SECRET", secret)],
    )
}

#[test]
fn json_body_with_client_credentials_and_extra_field() {
    let server = vendor();
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.content_type().as_deref(), Some("application/json"));
    assert_eq!(
        req.json(),
        Some(
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": "orders.read"})
        )
    );
}

#[test]
fn form_body_works_too() {
    let server = vendor();
    let out = run(&server, r#"body = "form""#, CLIENT_SECRET, &[]);
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
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("client_secret".to_string(), CLIENT_SECRET.to_string()),
            ("scope".to_string(), "orders.read".to_string()),
        ]
    );
}

#[test]
fn client_id_not_found_404_exits_3() {
    let server = Server::always(not_found());
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "client id not found");
    assert_eq!(server.count(), 1, "a 404 is never retried");
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}

#[test]
fn wrong_secret_401_exits_3() {
    let server = vendor();
    let out = run(&server, "", "Cs-v3-wrong-0000", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid token");
    assert_eq!(server.count(), 1, "a 401 is never retried");
    let out = run(&server, "", "Cs-v3-wrong-0000", &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &["Cs-v3-wrong-0000", CLIENT_SECRET]);
}

#[test]
fn invalid_scope_400_exits_3() {
    let server = Server::json(400, json!({"message": "invalid scope"}));
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid scope");
    assert_eq!(server.count(), 1);
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}

#[test]
fn validation_errors_412_exit_3() {
    let server = Server::json(
        412,
        json!({"message": "Validation errors", "errors": {"client_secret": "must be 32 characters"}}),
    );
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Validation errors");
    assert_stderr_contains(&out, "must be 32 characters");
    assert_eq!(server.count(), 1, "a 412 is never retried");
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}

#[test]
fn transient_503_once_then_success() {
    let server = Server::replies(vec![unavailable(), success()]);
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(server.count(), 2, "one failure, one retry");
    let reqs = server.requests();
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the retry sends the same request"
    );
}

#[test]
fn persistent_503_exits_4_after_default_retries() {
    let server = Server::always(unavailable());
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 4);
    assert_eq!(server.count(), 3, "1 request + 2 retries (the default)");
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 4);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}

#[test]
fn retries_setting_bounds_the_attempts() {
    let server = Server::always(unavailable());
    let out = run(&server, "retries = 0", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 4);
    assert_eq!(server.count(), 1, "retries = 0: a single request");
    let out = run(&server, "retries = 0", CLIENT_SECRET, &["-v"]);
    assert_failed_with(&out, 4);
    assert_no_leak(&out, &[CLIENT_SECRET]);

    let server = Server::always(unavailable());
    let out = run(&server, "retries = 1", CLIENT_SECRET, &[]);
    assert_failed_with(&out, 4);
    assert_eq!(server.count(), 2, "retries = 1: two requests");
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::start(|_, i| {
        if i == 0 {
            unavailable().with_header("Retry-After", "2")
        } else {
            success()
        }
    });
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let waited = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        waited >= Duration::from_millis(1800),
        "Retry-After: 2 should delay the retry by about 2s, waited {waited:?}"
    );
}

#[test]
fn too_many_requests_429_is_retried() {
    let server = Server::start(|_, i| {
        if i == 0 {
            Reply::json(429, json!({"message": "slow down"})).with_header("Retry-After", "0")
        } else {
            success()
        }
    });
    let out = run(&server, "", CLIENT_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(server.count(), 2);
}

#[test]
fn success_verbose_leaks_nothing() {
    let server = vendor();
    let out = run(&server, "", CLIENT_SECRET, &["-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &[CLIENT_SECRET]);
}
