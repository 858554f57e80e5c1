//! Google Cloud workload identity federation (issue 15, point 9): the ready
//! profiles of profiles.example.toml (`gcp-github-oidc`, `gcp-federated`,
//! `gcp-deployer`) run as written, only their Google URLs pointed at
//! stand-ins and the cache in a file. A GitHub Actions token service signs
//! the job's OIDC token; Google's Security Token Service verifies it as a
//! workload identity pool's OIDC provider does (signature against the
//! provider's keys, issuer, audience, age, attribute condition) and checks
//! the RFC 8693 request (grant, audience, scope, token types, no
//! `Authorization` header); IAM Credentials' `generateAccessToken` takes the
//! federated token as Bearer and checks the JSON body (`scope` list,
//! `lifetime`) and who may impersonate the service account. Failures are
//! answered in Google's documented shapes: STS `{"error", "error_description"}`,
//! IAM `{"error": {"code", "message", "status"}}`. `-v` runs are searched for
//! the request token, the OIDC token and the federated token.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::signed_jwt::{rs256_jwt, verified};
use crate::util::*;

const EXAMPLE: &str = include_str!("../../profiles.example.toml");

const PROVIDER: &str =
    "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github";
const GHA_ISSUER: &str = "https://token.actions.githubusercontent.com";
const GHA_KID: &str = "38826b17-6a30-5f9b-b169-8beb8202f723";
const REQUEST_TOKEN: &str = "gha-runtime-request-token-71c0d2";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const SERVICE_ACCOUNT: &str = "deployer@my-project.iam.gserviceaccount.com";
/// The provider's attribute condition: `assertion.repository == 'acme/app'`.
const REPOSITORY: &str = "acme/app";

/// The GitHub Actions token service: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD`
/// with `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the reply
/// `{"count": 1, "value": JWT}`, RS256, iss/aud/sub/repository, five minutes.
fn github(repository: &'static str, issued: Arc<Mutex<Vec<String>>>) -> Server {
    Server::start(move |req, _| {
        if req.method != "GET" || req.path() != "/_apis/pipelines/workflows/run-7/idtoken" {
            return Reply::json(404, json!({"message": "Not Found"}));
        }
        if req.header("authorization") != Some(&format!("bearer {REQUEST_TOKEN}")) {
            return Reply::json(401, json!({"message": "Bad credentials"}));
        }
        let Some(audience) = req.query_param("audience") else {
            return Reply::json(400, json!({"message": "audience is required"}));
        };
        let now = now_unix();
        let jwt = rs256_jwt(
            GHA_KID,
            &json!({
                "iss": GHA_ISSUER,
                "aud": audience,
                "sub": format!("repo:{repository}:ref:refs/heads/main"),
                "repository": repository,
                "ref": "refs/heads/main",
                "jti": format!("jti-{now}"),
                "iat": now,
                "nbf": now - 5,
                "exp": now + 300,
            }),
        );
        issued.lock().unwrap().push(jwt.clone());
        Reply::json(200, json!({"count": 1, "value": jwt}))
    })
}

/// The federated tokens STS issued, and the repository each stands for.
type Federated = Arc<Mutex<Vec<(String, String)>>>;

/// Google's Security Token Service, `POST /v1/token`
/// (cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token), for
/// the one pool provider above: OIDC issuer GitHub Actions, its key, the
/// default allowed audience `https://iam.googleapis.com/` + the provider's
/// name, and the attribute condition on the repository.
fn sts(federated: Federated) -> Server {
    Server::start(move |req, i| {
        let refuse = |error: &str, description: String| {
            Reply::json(
                400,
                json!({"error": error, "error_description": description}),
            )
        };
        if req.method != "POST" || req.path() != "/v1/token" {
            return Reply::json(404, json!({"error": {"code": 404, "status": "NOT_FOUND"}}));
        }
        let form = |k: &str| req.form_param(k).unwrap_or_default();
        if form("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" {
            return refuse(
                "unsupported_grant_type",
                format!("Invalid value for \"grant_type\": {}", form("grant_type")),
            );
        }
        let audience = form("audience");
        let rest = audience.strip_prefix("//iam.googleapis.com/").unwrap_or("");
        let parts: Vec<&str> = rest.split('/').collect();
        let shaped = parts.len() == 8
            && parts[0] == "projects"
            && parts[1].bytes().all(|b| b.is_ascii_digit())
            && parts[2..4] == ["locations", "global"]
            && parts[4] == "workloadIdentityPools"
            && parts[6] == "providers";
        if !shaped {
            return refuse(
                "invalid_request",
                "Invalid value for \"audience\". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.".into(),
            );
        }
        if rest != PROVIDER {
            return refuse(
                "invalid_target",
                "The target service indicated by the \"audience\" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.".into(),
            );
        }
        if form("requested_token_type") != "urn:ietf:params:oauth:token-type:access_token" {
            return refuse(
                "invalid_request",
                "Invalid value for \"requested_token_type\".".into(),
            );
        }
        if !matches!(
            form("subject_token_type").as_str(),
            "urn:ietf:params:oauth:token-type:jwt" | "urn:ietf:params:oauth:token-type:id_token"
        ) {
            return refuse(
                "invalid_request",
                "Invalid value for \"subject_token_type\".".into(),
            );
        }
        if !form("scope").split(' ').any(|s| s == SCOPE) {
            return refuse("invalid_scope", "Invalid scope.".into());
        }
        let subject = form("subject_token");
        let Some((header, claims)) = verified(&subject) else {
            return refuse(
                "invalid_grant",
                "Unable to verify the ID Token signature.".into(),
            );
        };
        if header["kid"] != GHA_KID {
            return refuse(
                "invalid_grant",
                "Error connecting to the given credential's issuer.".into(),
            );
        }
        if claims["iss"] != GHA_ISSUER {
            return refuse(
                "invalid_grant",
                format!(
                    "The issuer in ID Token {} does not match the expected ones: {GHA_ISSUER}",
                    claims["iss"].as_str().unwrap_or("null")
                ),
            );
        }
        let allowed = format!("https://iam.googleapis.com/{PROVIDER}");
        let audiences: Vec<&str> = match &claims["aud"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !audiences.contains(&allowed.as_str()) {
            return refuse(
                "invalid_grant",
                format!(
                    "The audience in ID Token [{}] does not match the expected audience.",
                    audiences.join(", ")
                ),
            );
        }
        let now = now_unix();
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap_or(0),
            claims["exp"].as_i64().unwrap_or(0),
        );
        if exp + 60 < now || iat > now + 60 {
            return refuse(
                "invalid_grant",
                format!("ID Token issued at {iat} is stale to sign-in."),
            );
        }
        let repository = claims["repository"].as_str().unwrap_or("");
        if repository != REPOSITORY {
            return refuse(
                "unauthorized_client",
                "The given credential is rejected by the attribute condition.".into(),
            );
        }
        let token = format!("ya29.d.federated-{i}-{now}");
        federated
            .lock()
            .unwrap()
            .push((token.clone(), repository.to_string()));
        Reply::json(
            200,
            json!({
                "access_token": token,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": (exp - now).min(3600),
            }),
        )
    })
}

/// Google's API error body.
fn google_error(code: u16, status: &str, message: &str) -> Reply {
    Reply::json(
        code,
        json!({"error": {"code": code, "message": message, "status": status}}),
    )
}

/// IAM Credentials, `POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`
/// (cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken):
/// Bearer a federated token of a principal granted
/// roles/iam.workloadIdentityUser on SERVICE_ACCOUNT; body `{"scope": [...],
/// "lifetime": "Ns"}` (at most an hour); reply `accessToken`, `expireTime`.
/// An account that does not exist or is not granted is the same 403.
fn iam(federated: Federated, issued: Arc<Mutex<Vec<String>>>) -> Server {
    Server::start(move |req, i| {
        let Some(email) = req
            .path()
            .strip_prefix("/v1/projects/-/serviceAccounts/")
            .and_then(|rest| rest.strip_suffix(":generateAccessToken"))
        else {
            return google_error(404, "NOT_FOUND", "Requested entity was not found.");
        };
        let bearer = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        let principal = federated
            .lock()
            .unwrap()
            .iter()
            .find(|(t, _)| t == bearer)
            .map(|(_, repository)| repository.clone());
        let Some(repository) = principal else {
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            );
        };
        if email != SERVICE_ACCOUNT || repository != REPOSITORY {
            let mut reply = google_error(
                403,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            );
            let mut body: Value = serde_json::from_slice(&reply.body).unwrap();
            body["error"]["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "iam.googleapis.com",
                "metadata": {"permission": "iam.serviceAccounts.getAccessToken"}
            }]);
            reply.body = serde_json::to_vec(&body).unwrap();
            return reply;
        }
        let body = req.json().unwrap_or_default();
        let scopes_ok = body["scope"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string));
        if !req
            .content_type()
            .is_some_and(|c| c.starts_with("application/json"))
            || !scopes_ok
        {
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Expected a list of scopes.",
            );
        }
        let lifetime = body["lifetime"]
            .as_str()
            .and_then(|l| l.strip_suffix('s'))
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(3600);
        if lifetime > 3600 {
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "can not have lifetimes of more than 1 hour. Use the Org Policy Constraint constraints/iam.allowServiceAccountCredentialLifetimeExtension to allow up to 12 hours.",
            );
        }
        let token = format!("ya29.c.impersonated-{i}-{}", now_unix());
        issued.lock().unwrap().push(token.clone());
        let expire = jiff::Timestamp::from_second(now_unix() + lifetime).unwrap();
        Reply::json(
            200,
            json!({"accessToken": token, "expireTime": expire.to_string()}),
        )
    })
}

/// The three stand-ins and what each issued.
struct Google {
    github: Server,
    sts: Server,
    iam: Server,
    oidc_tokens: Arc<Mutex<Vec<String>>>,
    federated: Federated,
    impersonated: Arc<Mutex<Vec<String>>>,
}

impl Google {
    fn start(repository: &'static str) -> Google {
        let oidc_tokens = Arc::new(Mutex::new(Vec::new()));
        let federated: Federated = Arc::new(Mutex::new(Vec::new()));
        let impersonated = Arc::new(Mutex::new(Vec::new()));
        Google {
            github: github(repository, Arc::clone(&oidc_tokens)),
            sts: sts(Arc::clone(&federated)),
            iam: iam(Arc::clone(&federated), Arc::clone(&impersonated)),
            oidc_tokens,
            federated,
            impersonated,
        }
    }

    /// The example file, its Google hosts replaced by the stand-ins, the
    /// cache in a file.
    fn profiles(&self) -> String {
        EXAMPLE
            .replacen("[defaults]\n", "[defaults]\ncache = \"file\"\n", 1)
            .replace("https://sts.googleapis.com", &self.sts.url())
            .replace("https://iamcredentials.googleapis.com", &self.iam.url())
    }

    /// The runner's variables for the GitHub stand-in.
    fn vars(&self) -> Vec<(String, String)> {
        vec![
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
                format!(
                    "{}/_apis/pipelines/workflows/run-7/idtoken?api-version=2.0",
                    self.github.url()
                ),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
                REQUEST_TOKEN.into(),
            ),
        ]
    }

    fn counts(&self) -> (usize, usize, usize) {
        (self.github.count(), self.sts.count(), self.iam.count())
    }

    /// Every credential a run must not show: the request token, and every
    /// OIDC and federated token issued so far.
    fn secrets(&self) -> Vec<String> {
        let mut all = vec![REQUEST_TOKEN.to_string()];
        all.extend(self.oidc_tokens.lock().unwrap().iter().cloned());
        all.extend(
            self.federated
                .lock()
                .unwrap()
                .iter()
                .map(|(t, _)| t.clone()),
        );
        all
    }
}

fn run(env: &Env, text: &str, args: &[&str], google: &Google) -> std::process::Output {
    let vars = google.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.run_as_is(text, args, &vars)
}

fn assert_hidden(out: &std::process::Output, google: &Google) {
    let secrets = google.secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_leak(out, &secrets);
}

#[test]
fn the_ready_profiles_impersonate_a_service_account_through_sts() {
    let google = Google::start(REPOSITORY);
    let env = Env::new();
    let text = google.profiles();
    let out = run(&env, &text, &["gcp-deployer", "-v"], &google);
    assert_code(&out, 0);
    let impersonated = google.impersonated.lock().unwrap().clone();
    assert_eq!(impersonated.len(), 1, "{}", stderr(&out));
    assert_token_only_on_stdout(&out, &impersonated[0]);
    assert_hidden(&out, &google);
    assert_eq!(google.counts(), (1, 1, 1));
    // Token types and the lifetime are no secrets: `-v` shows them, and
    // the expiry line is not scrubbed for holding "3600s".
    for shown in [
        "subject_token_type=urn:ietf:params:oauth:token-type:jwt",
        "\"lifetime\":\"3600s\"",
        "token for `gcp-deployer` expires in 3",
    ] {
        assert_stderr_contains(&out, shown);
    }

    // What STS was sent: RFC 8693 as Google documents it, no client
    // authentication and no Authorization header.
    let sent = google.sts.only_request();
    assert_eq!(sent.header("authorization"), None);
    assert!(
        sent.content_type()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    );
    let mut form = sent.form();
    form.sort();
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "audience",
            "grant_type",
            "requested_token_type",
            "scope",
            "subject_token",
            "subject_token_type"
        ]
    );
    assert_eq!(
        sent.form_param("audience").unwrap(),
        format!("//iam.googleapis.com/{PROVIDER}")
    );
    // What IAM Credentials was sent: the JSON body with a list of scopes.
    let sent = google.iam.only_request();
    assert_eq!(
        sent.json().unwrap(),
        json!({"scope": [SCOPE], "lifetime": "3600s"})
    );
    let federated = google.federated.lock().unwrap()[0].0.clone();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {federated}").as_str())
    );

    // Cached, with the expiry of expireTime; no endpoint is asked again.
    let out = run(&env, &text, &["gcp-deployer", "--format", "json"], &google);
    let json = stdout_json(&out);
    assert_eq!(json["access_token"], impersonated[0].as_str());
    assert_json_expiry(&json, 3600, 5);
    // The federated token is a profile of its own, cached too, with STS's
    // expires_in (the OIDC token's five minutes).
    let out = run(&env, &text, &["gcp-federated", "-v"], &google);
    assert_token_only_on_stdout(&out, &federated);
    assert_eq!(google.counts(), (1, 1, 1));
    // A forced impersonation reuses the cached federated token.
    let out = run(&env, &text, &["gcp-deployer", "--force", "-v"], &google);
    assert_code(&out, 0);
    assert_hidden(&out, &google);
    assert_eq!(google.counts(), (1, 1, 2));
}

#[test]
fn sts_refusals_are_exit_3_in_googles_words_with_the_chain_named() {
    // The attribute condition refuses another repository's job.
    let google = Google::start("mallory/fork");
    let env = Env::new();
    for args in [&["gcp-deployer"][..], &["gcp-deployer", "-v"]] {
        let out = run(&env, &google.profiles(), args, &google);
        assert_failed_with(&out, 3);
        assert_stderr_contains(
            &out,
            "unauthorized_client: The given credential is rejected by the attribute condition.",
        );
        assert_stderr_contains(&out, "profile `gcp-federated`");
        assert_hidden(&out, &google);
    }
    assert_eq!(google.iam.count(), 0);

    // A token for another audience (the AWS one of `github-oidc`).
    let google = Google::start(REPOSITORY);
    let text = google.profiles().replace(
        &format!("fields = {{ audience = \"https://iam.googleapis.com/{PROVIDER}\" }}"),
        "fields = { audience = \"sts.amazonaws.com\" }",
    );
    assert!(text.contains("sts.amazonaws.com\" }\nheaders"));
    let out = run(&env, &text, &["gcp-federated", "-v"], &google);
    assert_failed_with(&out, 3);
    assert_stderr_contains(
        &out,
        "The audience in ID Token [sts.amazonaws.com] does not match the expected audience.",
    );
    assert_hidden(&out, &google);

    // A pool that is not there, and an audience that is no provider name.
    for (audience, says) in [
        (
            "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/old-pool/providers/github",
            "invalid_target: The target service indicated by the \"audience\" parameters is invalid.",
        ),
        (
            "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github",
            "invalid_request: Invalid value for \"audience\". This value should be the full resource name",
        ),
    ] {
        let text = google.profiles().replace(
            "audience = \"//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github\"",
            &format!("audience = \"{audience}\""),
        );
        let out = run(&env, &text, &["gcp-federated", "--force", "-v"], &google);
        assert_failed_with(&out, 3);
        assert_stderr_contains(&out, says);
        assert_hidden(&out, &google);
    }
}

#[test]
fn iam_credentials_refusals_are_exit_3_with_status_and_message() {
    let google = Google::start(REPOSITORY);
    let env = Env::new();
    // The federated principal is not granted on this service account.
    let text = google
        .profiles()
        .replace("serviceAccounts/deployer@", "serviceAccounts/auditor@");
    for args in [&["gcp-deployer"][..], &["gcp-deployer", "-v"]] {
        let out = run(&env, &text, args, &google);
        assert_failed_with(&out, 3);
        assert_stderr_contains(
            &out,
            "PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        );
        assert_hidden(&out, &google);
    }
    // The federated token was fetched once and cached; the impersonation
    // was refused twice.
    assert_eq!(google.counts(), (1, 1, 2));

    // A lifetime over the hour the organisation allows.
    let text = google
        .profiles()
        .replace("lifetime = \"3600s\"", "lifetime = \"43200s\"");
    let out = run(&env, &text, &["gcp-deployer", "-v"], &google);
    assert_failed_with(&out, 3);
    assert_stderr_contains(
        &out,
        "INVALID_ARGUMENT: can not have lifetimes of more than 1 hour.",
    );
    assert_hidden(&out, &google);
}

/// The commented lines of the example that read gcloud's credential
/// configuration file, uncommented, in place of the lines they stand for.
fn with_gcloud_file(text: &str) -> String {
    let commented: Vec<&str> = EXAMPLE
        .lines()
        .filter(|l| l.starts_with('#') && l.contains("{ json = { file = \"~/gcp-wif.json\""))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    assert_eq!(commented.len(), 3, "{commented:?}");
    let mut out = Vec::new();
    let mut profile = "";
    for line in text.lines() {
        if line.starts_with("[profiles.") {
            profile = line;
        }
        let key = line.split(" = ").next().unwrap_or("");
        let swap = (profile == "[profiles.gcp-federated]"
            && (key == "token_url" || key == "audience"))
            || (profile == "[profiles.gcp-deployer]" && key == "url");
        if swap && !line.starts_with('#') {
            let new = commented
                .iter()
                .find(|c| c.starts_with(&format!("{key} = ")))
                .unwrap();
            out.push(new.to_string());
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn gcloud_s_credential_configuration_file_can_supply_the_addresses() {
    let google = Google::start(REPOSITORY);
    let env = Env::new();
    // As `gcloud iam workload-identity-pools create-cred-config` writes it.
    let config = json!({
        "universe_domain": "googleapis.com",
        "type": "external_account",
        "audience": format!("//iam.googleapis.com/{PROVIDER}"),
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", google.sts.url()),
        "credential_source": {
            "url": "https://pipelines.actions.githubusercontent.com/idtoken",
            "headers": {"Authorization": "bearer ..."},
            "format": {"type": "json", "subject_token_field_name": "value"}
        },
        "service_account_impersonation_url": format!(
            "{}/v1/projects/-/serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken",
            google.iam.url()
        ),
        "service_account_impersonation": {"token_lifetime_seconds": 3600}
    });
    env.write_file("home/gcp-wif.json", &config.to_string());
    // No Google address is left in the profiles: they come from the file.
    let text =
        with_gcloud_file(&EXAMPLE.replacen("[defaults]\n", "[defaults]\ncache = \"file\"\n", 1));
    let out = run(&env, &text, &["gcp-deployer", "-v"], &google);
    assert_code(&out, 0);
    let impersonated = google.impersonated.lock().unwrap().clone();
    assert_token_only_on_stdout(&out, &impersonated[0]);
    assert_hidden(&out, &google);
    assert_eq!(google.counts(), (1, 1, 1));
}
