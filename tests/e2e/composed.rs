//! Values put together at run time (issue 15): addresses from a source,
//! `join` of literal text and sources, `$VAR` in file paths; each against
//! a local endpoint behaving as the vendor's public documentation says,
//! failure replies included, `-v` searched for secrets.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::util::*;

/// An unsigned-looking JWT with `claims` (gettoken reads, never checks).
pub fn jwt(claims: serde_json::Value) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

// ---- GitHub Actions OIDC ----
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; reply
// `{"count": N, "value": "<jwt>"}`; a bad request token: 401.

const GHA_REQUEST_TOKEN: &str = "gha-request-token-5e1f0a9b7c";
pub const GHA_PROFILE: &str = r#"
[profiles.github-oidc]
flavour = "http"
method = "GET"
body = "query"
url = { env = "ACTIONS_ID_TOKEN_REQUEST_URL" }
fields = { audience = "sts.amazonaws.com" }
headers = { Authorization = { join = ["bearer ", { env = "ACTIONS_ID_TOKEN_REQUEST_TOKEN" }] } }

[profiles.github-oidc.response]
token = "/value"
"#;

pub fn github_actions(id_token: String) -> Server {
    Server::start(move |req, _| {
        if req.method != "GET" || req.path() != "/_apis/pipelines/workflows/run-7/idtoken" {
            return Reply::json(404, json!({"message": "Not Found"}));
        }
        if req.header("authorization") != Some(&format!("bearer {GHA_REQUEST_TOKEN}")) {
            return Reply::json(401, json!({"message": "Bad credentials"}));
        }
        if req.query_param("api-version").as_deref() != Some("2.0")
            || req.query_param("audience").as_deref() != Some("sts.amazonaws.com")
        {
            return Reply::json(
                400,
                json!({"message": "audience and api-version are required"}),
            );
        }
        Reply::json(200, json!({"count": 1, "value": id_token}))
    })
}

pub fn gha_vars(server: &Server, request_token: &str) -> Vec<(String, String)> {
    vec![
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
            format!(
                "{}/_apis/pipelines/workflows/run-7/idtoken?api-version=2.0",
                server.url()
            ),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
            request_token.into(),
        ),
    ]
}

fn run_vars(
    env: &Env,
    profile: &str,
    args: &[&str],
    vars: &[(String, String)],
) -> std::process::Output {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.run_with_env(profile, args, &vars)
}

#[test]
fn github_actions_oidc_url_from_the_environment_and_a_joined_header() {
    let id_token =
        jwt(json!({"sub": "repo:acme/app:ref:refs/heads/main", "exp": now_unix() + 300}));
    let server = github_actions(id_token.clone());
    let env = Env::new();
    let vars = gha_vars(&server, GHA_REQUEST_TOKEN);
    let out = run_vars(&env, GHA_PROFILE, &["github-oidc"], &vars);
    assert_token_only_on_stdout(&out, &id_token);
    let out = run_vars(
        &env,
        GHA_PROFILE,
        &["github-oidc", "-v", "--format", "json"],
        &vars,
    );
    assert_code(&out, 0);
    assert_no_leak(&out, &[GHA_REQUEST_TOKEN]);
    assert!(!stderr(&out).contains(&id_token), "{}", stderr(&out));
    // The expiry is the JWT's `exp`.
    assert_json_expiry(&stdout_json(&out), 300, 10);
}

#[test]
fn github_actions_oidc_refused_request_token_and_unset_url() {
    let server = github_actions(jwt(json!({"exp": now_unix() + 300})));
    let env = Env::new();
    let wrong = "gha-wrong-request-token-77";
    let out = run_vars(
        &env,
        GHA_PROFILE,
        &["github-oidc", "-v"],
        &gha_vars(&server, wrong),
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Bad credentials");
    assert_no_leak(&out, &[wrong]);

    let out = env.run(GHA_PROFILE, &["github-oidc"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`ACTIONS_ID_TOKEN_REQUEST_URL` is not set");
    assert_eq!(server.count(), 1);
}

// ---- Azure workload identity ----
// POST /{tenant}/oauth2/v2.0/token, client_credentials with the federated
// token file as `client_assertion`; a wrong assertion: 400 AADSTS700211.

const AZ_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const AZ_CLIENT: &str = "0c6a6a1b-4a7b-4b48-8e7c-0f1b2a3c4d5e";
pub const AZURE_PROFILE: &str = r#"
[profiles.azure-workload]
flavour = "oauth2"
token_url = { join = ["BASE/", { env = "AZURE_TENANT_ID" }, "/oauth2/v2.0/token"] }
client_id = { env = "AZURE_CLIENT_ID" }
scope = "https://management.azure.com/.default"

[profiles.azure-workload.params]
client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
client_assertion = { file = "$AZURE_FEDERATED_TOKEN_FILE" }
"#;

fn entra(assertion: String, access: String) -> Server {
    Server::start(move |req, _| {
        if req.path() != format!("/{AZ_TENANT}/oauth2/v2.0/token") {
            return Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found.\r\nTrace ID: 1"}),
            );
        }
        let f = |k: &str| req.form_param(k);
        if f("grant_type").as_deref() != Some("client_credentials")
            || f("client_id").as_deref() != Some(AZ_CLIENT)
            || f("client_assertion_type").as_deref()
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Reply::json(400, json!({"error": "invalid_request"}));
        }
        if f("client_assertion").as_deref() != Some(assertion.as_str()) {
            return Reply::json(
                400,
                json!({"error": "invalid_client", "error_description": "AADSTS700211: No matching federated identity record found for presented assertion issuer."}),
            );
        }
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access}),
        )
    })
}

#[test]
fn azure_workload_identity_federated_token_file_and_tenant_from_the_environment() {
    let assertion = jwt(
        json!({"iss": "https://oidc.prod-aks.azure.com/x/", "sub": "system:serviceaccount:default:app", "exp": now_unix() + 3600}),
    );
    let access = "azure-access-token-4d2c9e8f1a";
    let server = entra(assertion.clone(), access.into());
    let env = Env::new();
    let file = env.write_file("azure-identity-token", &format!("{assertion}\n"));
    let profile = AZURE_PROFILE.replace("BASE", &server.url());
    let vars = vec![
        ("AZURE_TENANT_ID".to_string(), AZ_TENANT.to_string()),
        ("AZURE_CLIENT_ID".to_string(), AZ_CLIENT.to_string()),
        (
            "AZURE_FEDERATED_TOKEN_FILE".to_string(),
            file.display().to_string(),
        ),
    ];
    let out = run_vars(&env, &profile, &["azure-workload", "-v"], &vars);
    assert_token_only_on_stdout(&out, access);
    assert_no_leak(&out, &[&assertion]);

    // Another file: refused in Entra's words, control characters a space.
    std::fs::write(&file, "not-the-federated-token-3141").unwrap();
    let out = run_vars(&env, &profile, &["azure-workload", "-v"], &vars);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "AADSTS700211");
    assert_no_leak(&out, &["not-the-federated-token-3141"]);

    let mut unset = vars.clone();
    unset.pop();
    let out = run_vars(&env, &profile, &["azure-workload"], &unset);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`$AZURE_FEDERATED_TOKEN_FILE` is not set");

    // Another tenant: Entra's text with `\r\n` keeps its words apart.
    let mut other = vars.clone();
    other[0].1 = "00000000-0000-0000-0000-000000000000".into();
    let out = run_vars(&env, &profile, &["azure-workload"], &other);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Tenant not found. ");
    assert!(!stderr(&out).contains("found.Trace"), "{}", stderr(&out));
}

// ---- HTTP Basic for the http flavour (Jamf Pro API) ----
// POST /api/v1/auth/token with Basic user:password as they are; reply
// `{"token": "...", "expires": "<RFC 3339>"}`; wrong: 401.

const JAMF_USER: &str = "api-user@acme.example";
const JAMF_PASSWORD: &str = "jamf-pw 9+x/y%z";
pub const JAMF_PROFILE: &str = r#"
[profiles.jamf]
flavour = "http"
url = "BASE/api/v1/auth/token"
body = "none"
basic_username = "api-user@acme.example"
basic_password = { env = "JAMF_PASSWORD" }

[profiles.jamf.response]
token = "/token"
expires_at = "/expires"
"#;

#[test]
fn http_flavour_basic_auth_sends_user_and_password_as_they_are() {
    let token = "jamf-token-8c1e2f3a4b5d";
    let server = Server::start(move |req, _| {
        if req.method != "POST" || req.path() != "/api/v1/auth/token" {
            return Reply::json(404, json!({"httpStatus": 404, "errors": []}));
        }
        if req.basic_auth_raw().as_deref() != Some(&format!("{JAMF_USER}:{JAMF_PASSWORD}")) {
            return Reply::json(
                401,
                json!({"httpStatus": 401, "errors": [{"code": "INVALID_CREDENTIALS", "description": "Invalid credentials"}]}),
            );
        }
        Reply::json(
            200,
            json!({"token": token, "expires": "2999-01-01T00:00:00.000Z"}),
        )
    });
    let env = Env::new();
    let profile = JAMF_PROFILE.replace("BASE", &server.url());
    let out = env.run_with_env(
        &profile,
        &["jamf", "-v"],
        &[("JAMF_PASSWORD", JAMF_PASSWORD)],
    );
    assert_code(&out, 0);
    assert_stdout(&out, &format!("{token}\n"));
    assert_no_leak(&out, &[JAMF_PASSWORD]);
    let out = env.run_with_env(
        &profile,
        &["jamf", "-v"],
        &[("JAMF_PASSWORD", "jamf-wrong-pw-1")],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Invalid credentials");
    assert_no_leak(&out, &["jamf-wrong-pw-1"]);

    let half = profile.replace("basic_username = \"api-user@acme.example\"\n", "");
    let out = env.run_with_env(&half, &["jamf"], &[("JAMF_PASSWORD", JAMF_PASSWORD)]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "needs both `basic_username` and `basic_password`");
}

#[test]
fn oauth2_raw_basic_does_not_form_encode_the_client() {
    let access = "raw-basic-access-2f9a";
    let secret = "s3cr@t/+ pw";
    let server = Server::start(move |req, _| {
        if req.basic_auth_raw().as_deref() == Some(&format!("api-user@x:{secret}")) {
            Reply::json(200, oauth_token(access))
        } else {
            Reply::json(
                401,
                json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
            )
        }
    });
    let env = Env::new();
    let profile = format!(
        "[profiles.raw]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"api-user@x\"\nclient_secret = {{ env = \"RAW_SECRET\" }}\nclient_auth = \"raw_basic\"\n",
        server.url()
    );
    let out = env.run_with_env(&profile, &["raw", "-v"], &[("RAW_SECRET", secret)]);
    assert_token_only_on_stdout(&out, access);
    assert_no_leak(&out, &[secret]);
    // The form-encoding "basic" is refused by this server.
    let encoded = profile.replace("raw_basic", "basic");
    let out = env.run_with_env(&encoded, &["raw"], &[("RAW_SECRET", secret)]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "Bad client credentials");
}

// ---- Entra's multi-tenant discovery ----
// /organizations/v2.0/.well-known/openid-configuration names its issuer
// `.../{tenantid}/v2.0`; a document naming another host is still refused.

#[test]
fn entra_multi_tenant_discovery_names_its_issuer_with_a_placeholder() {
    let access = "entra-multi-tenant-token-3a";
    let server = Server::start(move |req, _| {
        let base = req
            .header("host")
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        match req.path() {
            "/organizations/v2.0/.well-known/openid-configuration" => Reply::json(
                200,
                json!({
                    "issuer": format!("{base}/{{tenantid}}/v2.0"),
                    "token_endpoint": format!("{base}/organizations/oauth2/v2.0/token"),
                }),
            ),
            "/evil/v2.0/.well-known/openid-configuration" => Reply::json(
                200,
                json!({
                    "issuer": "https://elsewhere.example/{tenantid}/v2.0",
                    "token_endpoint": format!("{base}/organizations/oauth2/v2.0/token"),
                }),
            ),
            "/organizations/oauth2/v2.0/token" => Reply::json(200, oauth_token(access)),
            _ => Reply::json(404, json!({"error": "not_found"})),
        }
    });
    let env = Env::new();
    let profile = |tenant: &str| {
        format!(
            "[profiles.entra]\nflavour = \"oauth2\"\nissuer = \"{}/{tenant}/v2.0\"\nclient_id = \"c\"\nclient_secret = {{ env = \"ENTRA_SECRET\" }}\nscope = \"api://x/.default\"\n",
            server.url()
        )
    };
    let out = env.run_with_env(
        &profile("organizations"),
        &["entra", "-v"],
        &[("ENTRA_SECRET", "entra-secret-77")],
    );
    assert_token_only_on_stdout(&out, access);
    assert_no_leak(&out, &["entra-secret-77"]);
    let out = env.run_with_env(
        &profile("evil"),
        &["entra"],
        &[("ENTRA_SECRET", "entra-secret-77")],
    );
    assert_failed_with(&out, 4);
    assert_stderr_contains(&out, "names issuer");
}

// ---- The ready profiles of profiles.example.toml, as they are ----

const EXAMPLE: &str = include_str!("../../profiles.example.toml");

#[test]
fn example_github_oidc_profile_runs_as_written() {
    let id_token = jwt(json!({"sub": "repo:acme/app", "exp": now_unix() + 300}));
    let server = github_actions(id_token.clone());
    let env = Env::new();
    let vars = gha_vars(&server, GHA_REQUEST_TOKEN);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = env.run_as_is(EXAMPLE, &["github-oidc", "--no-cache", "-v"], &vars);
    assert_code(&out, 0);
    assert_stdout(&out, &format!("{id_token}\n"));
    assert_no_leak(&out, &[GHA_REQUEST_TOKEN]);
}

// GitLab CI `id_tokens:` exchanged at Vault's JWT login: POST
// /v1/auth/jwt/login {"role", "jwt"}; reply auth.client_token with
// auth.lease_duration; a bad JWT: 400 {"errors": [...]}.
#[test]
fn example_gitlab_id_token_for_a_vault_token() {
    let id_token = jwt(
        json!({"iss": "https://gitlab.example.com", "aud": "https://vault.example.com", "exp": now_unix() + 300}),
    );
    let vault_token = "hvs.CAESIvaultToken9f8e";
    let expected = id_token.clone();
    let server = Server::start(move |req, _| {
        let body = req.json().unwrap_or_default();
        if req.path() == "/v1/auth/jwt/login"
            && body["role"] == "ci-deploy"
            && body["jwt"] == expected.as_str()
        {
            Reply::json(
                200,
                json!({"auth": {"client_token": vault_token, "lease_duration": 3600, "renewable": true}}),
            )
        } else {
            Reply::json(
                400,
                json!({"errors": ["error validating token: invalid audience (aud) claim"]}),
            )
        }
    });
    let env = Env::new();
    let url = server.url();
    let out = env.run_as_is(
        EXAMPLE,
        &["gitlab-vault", "--no-cache", "-v", "--format", "header"],
        &[
            ("VAULT_ADDR", url.as_str()),
            ("VAULT_ID_TOKEN", id_token.as_str()),
        ],
    );
    assert_code(&out, 0);
    assert_stdout(&out, &format!("X-Vault-Token: {vault_token}\n"));
    assert_no_leak(&out, &[&id_token]);
    assert!(!stderr(&out).contains(vault_token));
    let other = jwt(json!({"aud": "elsewhere", "exp": now_unix() + 300}));
    let out = env.run_as_is(
        EXAMPLE,
        &["gitlab-vault", "--no-cache", "-v"],
        &[
            ("VAULT_ADDR", url.as_str()),
            ("VAULT_ID_TOKEN", other.as_str()),
        ],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid audience");
    assert_no_leak(&out, &[&other]);
}

// Salesforce's username-password flow: password + security token joined;
// the reply's instance_url shown with the token; a wrong pair: 400
// invalid_grant "authentication failure".
#[test]
fn salesforce_password_joined_with_the_security_token_and_instance_url() {
    let access = "00Dxx0000001gPL!salesforce-access";
    let server = Server::start(move |req, _| {
        if req.form_param("password").as_deref() == Some("sf-pw-1sf-sectoken-2") {
            Reply::json(
                200,
                json!({"access_token": access, "instance_url": "https://acme.my.salesforce.com", "id": "https://login.salesforce.com/id/00D/005", "token_type": "Bearer", "issued_at": "1700000000000", "signature": "c2ln"}),
            )
        } else {
            Reply::json(
                400,
                json!({"error": "invalid_grant", "error_description": "authentication failure"}),
            )
        }
    });
    let env = Env::new();
    let profile = EXAMPLE
        .split("[profiles.salesforce-password]")
        .nth(1)
        .and_then(|rest| rest.split("\n# ").next())
        .unwrap()
        .replace("https://login.salesforce.com", &server.url())
        .replace(
            "{ keyring = \"sf-consumer-secret\" }",
            "\"sf-consumer-secret-0\"",
        )
        .replace("{ keyring = \"sf-password\" }", "{ env = \"SF_PASSWORD\" }")
        .replace(
            "{ keyring = \"sf-security-token\" }",
            "{ env = \"SF_TOKEN\" }",
        );
    let profile = format!("[profiles.salesforce-password]{profile}");
    let vars = [("SF_PASSWORD", "sf-pw-1"), ("SF_TOKEN", "sf-sectoken-2")];
    let out = env.run_with_env(
        &profile,
        &["salesforce-password", "-v", "--format", "env"],
        &vars,
    );
    assert_code(&out, 0);
    assert_stdout(
        &out,
        &format!(
            "export GETTOKEN_TOKEN='{access}'\nexport INSTANCE_URL='https://acme.my.salesforce.com'\n"
        ),
    );
    assert_no_leak(
        &out,
        &[
            "sf-pw-1sf-sectoken-2",
            "sf-sectoken-2",
            "sf-consumer-secret-0",
        ],
    );
    let out = env.run_with_env(
        &profile,
        &["salesforce-password", "-v"],
        &[("SF_PASSWORD", "sf-pw-1"), ("SF_TOKEN", "stale-token-3")],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_grant: authentication failure");
    assert_no_leak(&out, &["stale-token-3"]);
}
