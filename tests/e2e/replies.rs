//! Replies that are not a JSON body with the token at `/access_token`
//! (issue 15): plain text, form encoding, a token in a response header, an
//! expiry in a header, a 2xx that says it is an error, extra reply fields
//! for the caller. Each against a local endpoint behaving as the vendor's
//! public documentation says, failure replies included; `-v` runs
//! searched for secrets and tokens.

use serde_json::json;

use crate::composed::jwt;
use crate::util::*;

// ---- AWS IMDSv2 ----
// PUT /latest/api/token with `X-aws-ec2-metadata-token-ttl-seconds`; the
// token is the plain-text body and the TTL is echoed in a reply header;
// without the TTL header: 400.

pub const IMDS_PROFILE: &str = r#"
[profiles.aws-imds]
flavour = "http"
url = "BASE/latest/api/token"
method = "PUT"
body = "none"
headers = { X-aws-ec2-metadata-token-ttl-seconds = "21600" }

[profiles.aws-imds.response]
format = "text"
expires_in = "header:X-aws-ec2-metadata-token-ttl-seconds"
"#;

fn imds(token: &'static str) -> Server {
    Server::start(move |req, _| {
        if req.method != "PUT" || req.path() != "/latest/api/token" {
            return Reply::text(405, "");
        }
        match req.header("x-aws-ec2-metadata-token-ttl-seconds") {
            Some(ttl) if ttl.parse::<u32>().is_ok_and(|t| (1..=21600).contains(&t)) => {
                Reply::text(200, token).with_header("X-aws-ec2-metadata-token-ttl-seconds", ttl)
            }
            _ => Reply::text(400, "Bad Request: missing or invalid TTL"),
        }
    })
}

#[test]
fn aws_imdsv2_plain_text_token_with_its_ttl_in_a_header() {
    let token = "AQAEAImdsV2-token-7f3c==";
    let server = imds(token);
    let env = Env::new();
    let profile = IMDS_PROFILE.replace("BASE", &server.url());
    let out = env.run(&profile, &["aws-imds", "--format", "json", "-v"]);
    assert_code(&out, 0);
    let shown = stdout_json(&out);
    assert_eq!(shown["access_token"], token);
    assert_json_expiry(&shown, 21600, 10);
    assert!(!stderr(&out).contains(token), "{}", stderr(&out));

    let bad = profile.replace(
        "headers = { X-aws-ec2-metadata-token-ttl-seconds = \"21600\" }\n",
        "",
    );
    let out = env.run(&bad, &["aws-imds", "-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "missing or invalid TTL");
}

// ---- A plain-text token endpoint (Azure AI services issueToken) ----
// POST /sts/v1.0/issueToken with `Ocp-Apim-Subscription-Key`; the body is
// a JWT valid 10 minutes; a bad key: 401 with a JSON error.

pub const SPEECH_PROFILE: &str = r#"
[profiles.azure-speech]
flavour = "http"
url = "BASE/sts/v1.0/issueToken"
body = "none"
headers = { Ocp-Apim-Subscription-Key = { env = "SPEECH_KEY" } }

[profiles.azure-speech.response]
format = "text"
error = "/error/message"
"#;

#[test]
fn plain_text_token_endpoint_expiry_from_the_jwt() {
    let key = "speech-subscription-key-0e9d8c";
    let token = jwt(json!({"region": "westeurope", "exp": now_unix() + 600}));
    let body = token.clone();
    let server = Server::start(move |req, _| {
        if req.header("ocp-apim-subscription-key") == Some(key) {
            Reply::text(200, &body)
        } else {
            Reply::json(
                401,
                json!({"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint."}}),
            )
        }
    });
    let env = Env::new();
    let profile = SPEECH_PROFILE.replace("BASE", &server.url());
    let out = env.run_with_env(
        &profile,
        &["azure-speech", "-v", "--format", "json"],
        &[("SPEECH_KEY", key)],
    );
    assert_code(&out, 0);
    assert_eq!(stdout_json(&out)["access_token"], token.as_str());
    assert_json_expiry(&stdout_json(&out), 600, 10);
    assert_no_leak(&out, &[key]);
    assert!(!stderr(&out).contains(&token));
    let out = env.run_with_env(
        &profile,
        &["azure-speech", "-v"],
        &[("SPEECH_KEY", "wrong-speech-key-11")],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Access denied due to invalid subscription key");
    assert_no_leak(&out, &["wrong-speech-key-11"]);
}

// ---- A token in a response header (OpenStack Keystone) ----
// POST /v3/auth/tokens, password method; 201 with the token in
// `X-Subject-Token` and its expiry in the body; wrong password: 401.

pub const KEYSTONE_PROFILE: &str = r#"
[profiles.openstack]
flavour = "http"
url = "BASE/v3/auth/tokens"

[profiles.openstack.fields.auth.identity]
methods = ["password"]
password = { user = { name = "admin", domain = { id = "default" }, password = { env = "OS_PASSWORD" } } }

[profiles.openstack.response]
token = "header:X-Subject-Token"
expires_at = "/token/expires_at"
error = ["/error/title", "/error/message"]
"#;

#[test]
fn token_in_a_response_header() {
    let password = "keystone-pw-5a6b7c";
    let token = "gAAAAABkeystone-subject-token-xyz";
    let server = Server::start(move |req, _| {
        let given = req.json().and_then(|b| {
            b.pointer("/auth/identity/password/user/password")
                .and_then(|v| v.as_str().map(str::to_string))
        });
        if req.path() == "/v3/auth/tokens" && given.as_deref() == Some(password) {
            Reply::json(201, json!({"token": {"methods": ["password"], "expires_at": "2999-01-01T00:00:00.000000Z", "user": {"name": "admin"}}}))
                .with_header("X-Subject-Token", token)
        } else {
            Reply::json(
                401,
                json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}),
            )
        }
    });
    let env = Env::new();
    let profile = KEYSTONE_PROFILE.replace("BASE", &server.url());
    let out = env.run_with_env(
        &profile,
        &["openstack", "-v", "--format", "header"],
        &[("OS_PASSWORD", password)],
    );
    assert_code(&out, 0);
    assert_stdout(&out, &format!("Authorization: Bearer {token}\n"));
    assert_no_leak(&out, &[password]);
    assert!(!stderr(&out).contains(token), "{}", stderr(&out));
    let out = env.run_with_env(
        &profile,
        &["openstack", "-v"],
        &[("OS_PASSWORD", "wrong-os-pw-3")],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(
        &out,
        "Unauthorized: The request you have made requires authentication.",
    );
    assert_no_leak(&out, &["wrong-os-pw-3"]);
}

// ---- HTTP 200 carrying an error, and extra reply fields (Zoho) ----
// POST /oauth/v2/token; an expired code: HTTP 200 `{"error": "invalid_code"}`;
// success names `api_domain`, which the caller needs with the token.

pub const ZOHO_PROFILE: &str = r#"
[profiles.zoho]
flavour = "oauth2"
token_url = "BASE/oauth/v2/token"
grant = "refresh_token"
client_id = "1000.ZOHOCLIENT"
client_secret = { env = "ZOHO_SECRET" }
client_auth = "body"
refresh_token = { env = "ZOHO_REFRESH" }

[profiles.zoho.response]
refusal = "/error"

[profiles.zoho.response.extra]
API_DOMAIN = "/api_domain"
"#;

#[test]
fn a_2xx_reply_with_an_error_field_is_a_refusal_and_extra_fields_are_shown() {
    let secret = "zoho-client-secret-4f";
    let refresh = "1000.zoho-refresh-token-9e";
    let access = "1000.zoho-access-token-2d";
    let server = Server::start(move |req, _| {
        if req.form_param("client_secret").as_deref() == Some(secret)
            && req.form_param("refresh_token").as_deref() == Some(refresh)
        {
            Reply::json(
                200,
                json!({"access_token": access, "api_domain": "https://www.zohoapis.eu", "token_type": "Bearer", "expires_in": 3600}),
            )
        } else {
            Reply::json(200, json!({"error": "invalid_code"}))
        }
    });
    let env = Env::new();
    let profile = ZOHO_PROFILE.replace("BASE", &server.url());
    let vars = [("ZOHO_SECRET", secret), ("ZOHO_REFRESH", refresh)];
    let out = env.run_with_env(&profile, &["zoho", "-v", "--format", "env"], &vars);
    assert_code(&out, 0);
    assert_stdout(
        &out,
        &format!("export GETTOKEN_TOKEN='{access}'\nexport API_DOMAIN='https://www.zohoapis.eu'\n"),
    );
    assert_no_leak(&out, &[secret, refresh]);
    let out = env.run_with_env(&profile, &["zoho", "--format", "json"], &vars);
    assert_eq!(
        stdout_json(&out)["extra"]["API_DOMAIN"],
        "https://www.zohoapis.eu"
    );

    let spent = [
        ("ZOHO_SECRET", secret),
        ("ZOHO_REFRESH", "1000.spent-refresh-1"),
    ];
    let out = env.run_with_env(&profile, &["zoho", "-v"], &spent);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "the endpoint refused the request: invalid_code");
    assert_no_leak(&out, &[secret, "1000.spent-refresh-1"]);
}

// ---- A form-encoded reply (GitHub's OAuth token endpoint without
// `Accept: application/json`) ----

#[test]
fn a_form_encoded_reply() {
    let access = "gho_formEncodedToken16a";
    let server = Server::start(move |req, _| {
        if req.form_param("client_secret").as_deref() == Some("gh-secret-8") {
            Reply::text(
                200,
                &format!("access_token={access}&scope=repo%2Cgist&token_type=bearer"),
            )
            .with_header("Content-Type", "application/x-www-form-urlencoded")
        } else {
            Reply::text(
                200,
                "error=incorrect_client_credentials&error_description=The+client_id+and%2For+client_secret+passed+are+incorrect.",
            )
        }
    });
    let env = Env::new();
    let profile = format!(
        "[profiles.gh]\nflavour = \"oauth2\"\ntoken_url = \"{}/login/oauth/access_token\"\nclient_id = \"Iv1.abc\"\nclient_secret = {{ env = \"GH_SECRET\" }}\nclient_auth = \"body\"\n\n[profiles.gh.response]\nformat = \"form\"\nrefusal = \"/error\"\nlifetime = \"8h\"\n",
        server.url()
    );
    let out = env.run_with_env(
        &profile,
        &["gh", "--format", "json", "-v"],
        &[("GH_SECRET", "gh-secret-8")],
    );
    assert_code(&out, 0);
    let shown = stdout_json(&out);
    assert_eq!(shown["access_token"], access);
    assert_eq!(shown["scope"], "repo,gist");
    assert_eq!(shown["token_type"], "Bearer");
    assert_no_leak(&out, &["gh-secret-8"]);
    let out = env.run_with_env(&profile, &["gh", "-v"], &[("GH_SECRET", "gh-wrong-9")]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(
        &out,
        "The client_id and/or client_secret passed are incorrect.",
    );
}

// ---- `expires_in` in milliseconds (already on main: verified) ----

#[test]
fn expires_in_milliseconds() {
    let server = Server::json(
        200,
        json!({"access_token": "ms-token-5c", "expires_in": 3_600_000}),
    );
    let env = Env::new();
    let profile = format!(
        "[profiles.ms]\nflavour = \"oauth2\"\ntoken_url = \"{}/t\"\n\n[profiles.ms.response]\nexpiry_unit = \"ms\"\n",
        server.url()
    );
    let out = env.run(&profile, &["ms", "--format", "json"]);
    assert_json_expiry(&stdout_json(&out), 3600, 10);
}
