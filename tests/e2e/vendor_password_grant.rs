//! Vendor 2 of docs/PROVIDERS.md (OLX group / Autovit): an OAuth2 password grant
//! and a vendor-specific `partner` grant, client authentication by HTTP Basic
//! or in the body, a lower-case `bearer` token type, and RFC 6749 errors with
//! extra human-readable (Polish) fields.

use serde_json::json;

use crate::util::*;

const CLIENT_ID: &str = "autovit-client-17";
const CLIENT_SECRET: &str = "Cs-autovit-X9q2";
const USERNAME: &str = "dealer+cars@example.com";
const PASSWORD: &str = "Pw-autovit-h7&k=2 x";
const PARTNER_CODE: &str = "partner-code-44";
const PARTNER_SECRET: &str = "Ps-autovit-77zQ";
const TOKEN: &str = "autovit-access-0f9e8d7c";
const REFRESH: &str = "autovit-refresh-1a2b3c4d";
const PATH: &str = "/api/open/oauth/token";

fn password_profile(base: &str) -> String {
    r#"
[profiles.autovit]
flavour = "oauth2"
token_url = "BASE/api/open/oauth/token"
grant = "password"
client_id = "autovit-client-17"
client_secret = { env = "AUTOVIT_CLIENT_SECRET" }
username = "dealer+cars@example.com"
password = { env = "AUTOVIT_PASSWORD" }
"#
    .replace("BASE", base)
}

fn partner_profile(base: &str) -> String {
    r#"
[profiles.partner]
flavour = "oauth2"
token_url = "BASE/api/open/oauth/token"
grant = "partner"
client_auth = "body"
client_id = "autovit-client-17"
client_secret = { env = "AUTOVIT_CLIENT_SECRET" }
params = { partner_code = "partner-code-44", partner_secret = { env = "AUTOVIT_PARTNER_SECRET" } }
"#
    .replace("BASE", base)
}

fn error(status: u16, code: &str, description: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "error": code,
            "error_description": description,
            "error_human_title": "Błąd",
            "error_human_message": "",
        }),
    )
}

/// The vendor's endpoint: Basic or body client authentication, then the grant.
fn vendor() -> Server {
    Server::start(|req, _| {
        if req.method != "POST" || req.url != PATH {
            return Reply::json(404, json!({"error": "not_found"}));
        }
        if req.content_type().as_deref() != Some("application/x-www-form-urlencoded") {
            return error(400, "invalid_request", "Expected a form body");
        }
        let client = match req.basic_auth() {
            Some(pair) => Some(pair),
            None => match (req.form_param("client_id"), req.form_param("client_secret")) {
                (Some(id), Some(secret)) => Some((id, secret)),
                _ => None,
            },
        };
        if client != Some((CLIENT_ID.to_string(), CLIENT_SECRET.to_string())) {
            return error(401, "invalid_client", "Bad client credentials");
        }
        let granted = match req.form_param("grant_type").as_deref() {
            Some("password") => {
                req.form_param("username").as_deref() == Some(USERNAME)
                    && req.form_param("password").as_deref() == Some(PASSWORD)
            }
            Some("partner") => {
                if req.form_param("partner_code").as_deref() != Some(PARTNER_CODE)
                    || req.form_param("partner_secret").as_deref() != Some(PARTNER_SECRET)
                {
                    return error(
                        400,
                        "invalid_grant",
                        "Invalid partner credentials parameter",
                    );
                }
                true
            }
            _ => return error(400, "unsupported_grant_type", "Unsupported grant type"),
        };
        if !granted {
            return error(400, "invalid_grant", "Invalid user credentials");
        }
        Reply::json(
            200,
            json!({
                "access_token": TOKEN,
                "token_type": "bearer",
                "expires_in": 43200,
                "refresh_token": REFRESH,
                "scope": "adverts-write read",
            }),
        )
    })
}

fn run_password(server: &Server, password: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["autovit"];
    all.extend_from_slice(args);
    env.run_with_env(
        &password_profile(&server.url()),
        &all,
        &[
            ("AUTOVIT_CLIENT_SECRET", CLIENT_SECRET),
            ("AUTOVIT_PASSWORD", password),
        ],
    )
}

fn run_partner(server: &Server, partner_secret: &str, args: &[&str]) -> std::process::Output {
    let env = Env::new();
    let mut all = vec!["partner"];
    all.extend_from_slice(args);
    env.run_with_env(
        &partner_profile(&server.url()),
        &all,
        &[
            ("AUTOVIT_CLIENT_SECRET", CLIENT_SECRET),
            ("AUTOVIT_PARTNER_SECRET", partner_secret),
        ],
    )
}

#[test]
fn password_grant_with_basic_client_auth() {
    let server = vendor();
    let out = run_password(&server, PASSWORD, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.url, PATH);
    assert_eq!(
        req.content_type().as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.header("authorization"),
        Some(basic_header(CLIENT_ID, CLIENT_SECRET).as_str())
    );
    assert_eq!(req.form_param("grant_type").as_deref(), Some("password"));
    assert_eq!(req.form_param("username").as_deref(), Some(USERNAME));
    assert_eq!(req.form_param("password").as_deref(), Some(PASSWORD));
    assert_eq!(
        req.form_param("client_secret"),
        None,
        "with Basic auth the secret is not also sent in the body"
    );
}

#[test]
fn lower_case_bearer_becomes_bearer_in_the_header() {
    let server = vendor();
    let out = run_password(&server, PASSWORD, &["-H"]);
    assert_stdout(&out, &format!("Authorization: Bearer {TOKEN}\n"));
}

#[test]
fn format_json_reports_expiry_and_scope() {
    let server = vendor();
    let out = run_password(&server, PASSWORD, &["--format", "json"]);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], json!(TOKEN));
    assert_json_expiry(&json, 43200, 60);
    let scope = &json["scope"];
    assert!(
        scope == &json!("adverts-write read") || scope == &json!(["adverts-write", "read"]),
        "scope: {json}"
    );
    assert!(
        !stdout(&out).contains(REFRESH),
        "the refresh token is not part of the output: {json}"
    );
}

#[test]
fn wrong_password_exits_3_with_the_endpoint_error() {
    let server = vendor();
    let out = run_password(&server, "Wrong-pw-55", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_grant");
    assert_stderr_contains(&out, "Invalid user credentials");
    assert_eq!(server.count(), 1, "a 400 is never retried");
    let out = run_password(&server, "Wrong-pw-55", &["-v"]);
    assert_failed_with(&out, 3);
    assert_no_leak(
        &out,
        &[
            "Wrong-pw-55",
            CLIENT_SECRET,
            &basic_credentials_b64(CLIENT_ID, CLIENT_SECRET),
        ],
    );
}

#[test]
fn partner_grant_with_body_client_auth_and_params() {
    let server = vendor();
    let out = run_partner(&server, PARTNER_SECRET, &[]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
    let req = server.only_request();
    assert_eq!(req.url, PATH);
    assert_eq!(
        req.header("authorization"),
        None,
        "client_auth = body: no Basic header"
    );
    assert_eq!(req.form_param("grant_type").as_deref(), Some("partner"));
    assert_eq!(req.form_param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        req.form_param("client_secret").as_deref(),
        Some(CLIENT_SECRET)
    );
    assert_eq!(
        req.form_param("partner_code").as_deref(),
        Some(PARTNER_CODE)
    );
    assert_eq!(
        req.form_param("partner_secret").as_deref(),
        Some(PARTNER_SECRET)
    );
}

#[test]
fn partner_grant_bad_credentials_exits_3_with_error_and_description() {
    let server = vendor();
    let out = run_partner(&server, "Ps-wrong-31", &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_grant");
    assert_stderr_contains(&out, "Invalid partner credentials parameter");
    assert_eq!(server.count(), 1, "a 400 is never retried");
}

#[test]
fn partner_grant_bad_credentials_verbose_leaks_nothing() {
    let server = vendor();
    let out = run_partner(&server, "Ps-wrong-31", &["-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid partner credentials parameter");
    assert_no_leak(&out, &["Ps-wrong-31", PARTNER_SECRET, CLIENT_SECRET]);
}

#[test]
fn password_grant_success_verbose_leaks_nothing() {
    let server = vendor();
    let out = run_password(&server, PASSWORD, &["-v"]);
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(
        &out,
        &[
            PASSWORD,
            CLIENT_SECRET,
            REFRESH,
            &basic_credentials_b64(CLIENT_ID, CLIENT_SECRET),
        ],
    );
}
