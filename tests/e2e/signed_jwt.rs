//! Locally signed credentials: a service-account key file and the
//! JWT-bearer grant (RFC 7523 2.1) against a stand-in of Google's token
//! endpoint, a signed-JWT value as a GitHub App's `Authorization` header,
//! and a certificate's thumbprint in a `private_key_jwt` header. Each
//! endpoint verifies what the vendor verifies (the signature with the
//! public key, the header, every claim) and answers as its documentation
//! shows, failures included.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::{Value, json};

use crate::util::*;

/// A throwaway RSA key made for this test (PKCS#1 PEM); never used anywhere else.
const TEST_RSA_PKCS1: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEowIBAAKCAQEAqMHIVOhD2xvL9/FtMNA1nr/sUsZESVB9h3DfqcuGPgqOCA3l\n\
FPTWmDiFznMb0DbL+/Nq+Wc0OWkKhefRXQv83P8T6oF3r/0cv1TM9kdrVIyTnzDY\n\
XNKftDwraMKHORNYQ/m0fD5lCkHlRytd1Eeq5VAKk8qhzMXgMou+4FFofefo22BT\n\
EWLIni/zafQ60KdxnfPWyD9xQprH+eXczh6gWIM0A+CbsAea9iDAL3PoIDxaCDSG\n\
YR5Q1bT/zwnIDndzg+214qaYQa24X3RqJvdUod4gm/vWMtKLSuwCVcKQzc0wl03D\n\
RjKELW5SgcEgXqiUGuyM3HQAq1r1e7sZfpNHwwIDAQABAoIBAErcf/KOgH+D8rUg\n\
T9heHNM5/2tu0Z8WSkFZhJatlvURuJUBGPT1cfbf6Be/v4BbtpyjjHpr2mJ3Yvgo\n\
8JrOtRMSQrL+UOpspaKIy02bPBUrMVdmkyyGMNuC75zO4q6ikr7A2FxfT3I/7iZm\n\
qf5/9mM4YSDTvHf69axmiru20Vw8WnFJHW6WIU9Vvwrtfl2QyAPicQHSlUXYkn/h\n\
C9Jp0khT+fqB713hz+CBG1tDo0b8Pr25Ss7xfBnFA/8IoYUO7GLHOHYb5dDfn3iN\n\
0GWBEjCGLIJGRzvaY/9X5m4op1nt8JvdQUqE5anObNS9FVZrfydJ6CDzTKW2W/Mh\n\
S7KPgt0CgYEA1sSFptKV7+hVR7f90FJLsfOso1SWmTXFzdJyph+Onbuardaqk1by\n\
Z5YtQ+25Jy6ef6yuKmIOLum5rRO+J3YP0qZc+WVlLPl7/CkzU37FELaeP/Tzd4nQ\n\
Gbzzf9hcbF0hzusIKK3+VfAnzNmXolEOBnUaJexpGKk7IrK2yBmyfdUCgYEAySfo\n\
+t92MjpmSdv8oVEKCoP057H0Kn0PcXBwZOBTcrqCplbPMYUhkNobR2uItPQ1rBfj\n\
kgnY5i/c5KcZRa43ecD2xMyApey7OO2Xsjak9ejXp42eBlkTbApMKibdq0m05mfL\n\
6xaY7G77bm5FRfdM+J6mMugj5mj0qnSvCZldwzcCgYBAgjT238gDkJCVAzHssdtk\n\
ryGKyayWhm1MnkqrlUz8Gc6jKph/ux0CejxMbAoyN7GJ/e8ucdd6xd9smkKCjdbA\n\
2hGRI6CZOrLAEgwFp00/8OploYjDvhRQts2Y9/8C2ZJ/GV+RAHoljAYYZL9EFP6W\n\
d/QLsg/7RVGq4W0/e2B+pQKBgQCH+znM9ekB9WaWgWcbahwelaumQS8s1dPtvLPO\n\
DbN7uEd/yOlRsYzKThboxfHpWbk6t/94Br4ghbSOwcMczrPj06U9zn0dLZY22q6U\n\
o8oKDrhSJTLxWZ/+hkuMpy9sjmwC4aIBLwp7sl63/UVJEe9vllgFy9YQ+VyEKlL1\n\
az7uKwKBgDWzZsRZ7PDA7vld9SWM/gbTe8kkK91Q1lS8mTNSiYJ8rzshvp8nCnsF\n\
vnioH5NDONQcRjWQKVHAp4HgOe3VwoUm+AFOKMrfHIVr++QyMWS5FjLSox3bMAB+\n\
ifitLs4WDCf8bdrg7VbKnMdDJrc7Cem3UltcZ4qOdjxBVznqecn3\n\
-----END RSA PRIVATE KEY-----\n";
/// Its public key, PKCS#1 DER, base64.
const TEST_RSA_PUBLIC: &str = "MIIBCgKCAQEAqMHIVOhD2xvL9/FtMNA1nr/sUsZESVB9h3DfqcuGPgqOCA3lFPTWmDiFznMb0DbL+/Nq+Wc0OWkKhefRXQv83P8T6oF3r/0cv1TM9kdrVIyTnzDYXNKftDwraMKHORNYQ/m0fD5lCkHlRytd1Eeq5VAKk8qhzMXgMou+4FFofefo22BTEWLIni/zafQ60KdxnfPWyD9xQprH+eXczh6gWIM0A+CbsAea9iDAL3PoIDxaCDSGYR5Q1bT/zwnIDndzg+214qaYQa24X3RqJvdUod4gm/vWMtKLSuwCVcKQzc0wl03DRjKELW5SgcEgXqiUGuyM3HQAq1r1e7sZfpNHwwIDAQAB";

/// The same key as PKCS#8 (`BEGIN PRIVATE KEY`), as Google's key files hold it.
fn rsa_pkcs8_pem() -> String {
    let body: String = TEST_RSA_PKCS1
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let pkcs1 = STANDARD.decode(body).unwrap();
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    // rsaEncryption, NULL parameters.
    let algorithm = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut content = vec![0x02, 0x01, 0x00];
    content.extend_from_slice(&algorithm);
    content.extend(der(0x04, &pkcs1));
    let b64 = STANDARD.encode(der(0x30, &content));
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// `claims` as an RS256 JWT signed with the test key, header `kid`: what a
/// stand-in OpenID provider (a CI's token service, a realm) issues.
pub fn rs256_jwt(kid: &str, claims: &Value) -> String {
    let pem = rsa_pkcs8_pem();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let key = ring::signature::RsaKeyPair::from_pkcs8(&STANDARD.decode(body).unwrap()).unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A JWT's header and claims if its RS256 signature verifies with the test
/// key's public half.
pub fn verified(jwt: &str) -> Option<(Value, Value)> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return None;
    }
    let json = |s: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    };
    let (header, claims) = (json(parts[0])?, json(parts[1])?);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).ok()?;
    let public = STANDARD.decode(TEST_RSA_PUBLIC).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .ok()?;
    (header["alg"] == "RS256").then_some((header, claims))
}

const CLIENT_EMAIL: &str = "deployer@my-project.iam.gserviceaccount.com";
const KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Google's token endpoint as its service-account documentation shows it
/// (developers.google.com/identity/protocols/oauth2/service-account): the
/// JWT-bearer grant, an RS256 assertion with iss, scope, aud = the token
/// URI, iat and exp at most an hour later.
fn google(token_uri_path: &'static str) -> Server {
    Server::start(move |req, _| {
        let refuse = |what: &str| {
            Reply::json(
                400,
                json!({"error": "invalid_grant", "error_description": what}),
            )
        };
        if req.form_param("grant_type").as_deref()
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Reply::json(
                400,
                json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}),
            );
        }
        let Some(assertion) = req.form_param("assertion") else {
            return Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": "Missing required parameter: assertion"}),
            );
        };
        let Some((header, claims)) = verified(&assertion) else {
            return refuse("Invalid JWT Signature.");
        };
        let now = now_unix();
        let aud = format!(
            "http://{}{token_uri_path}",
            req.header("host").unwrap_or("")
        );
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap_or(0),
            claims["exp"].as_i64().unwrap_or(0),
        );
        if header["kid"] != KEY_ID || header["typ"] != "JWT" {
            return refuse("Invalid JWT Signature.");
        }
        if claims["iss"] != CLIENT_EMAIL || claims["aud"] != aud.as_str() {
            return refuse(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
            );
        }
        if (iat - now).abs() > 30 || exp <= now || exp - iat > 3600 {
            return refuse(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
            );
        }
        if claims["scope"] != SCOPE {
            return refuse("Invalid OAuth scope or ID token audience provided.");
        }
        Reply::json(
            200,
            json!({"access_token": "ya29.c.stand-in-token", "expires_in": 3599, "token_type": "Bearer"}),
        )
    })
}

fn key_file(env: &Env, server: &Server, private_key: &str) -> std::path::PathBuf {
    let key = json!({
        "type": "service_account",
        "project_id": "my-project",
        "private_key_id": KEY_ID,
        "private_key": private_key,
        "client_email": CLIENT_EMAIL,
        "client_id": "123456789012345678901",
        "token_uri": format!("{}/token", server.url()),
    });
    env.write_file("sa.json", &serde_json::to_string_pretty(&key).unwrap())
}

fn google_profile(server: &Server, key: &std::path::Path) -> String {
    let k = key.display();
    format!(
        r#"[profiles.gcp]
flavour = "oauth2"
cache = "file"
token_url = "{}/token"
insecure_http = true
grant = "jwt_bearer"
private_key = {{ json = {{ file = "{k}", pointer = "/private_key" }} }}
key_id = {{ json = {{ file = "{k}", pointer = "/private_key_id" }} }}
assertion_issuer = {{ json = {{ file = "{k}", pointer = "/client_email" }} }}
scope = "{SCOPE}"
"#,
        server.url()
    )
}

fn key_chunks(pem: &str) -> Vec<String> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    body.as_bytes()
        .chunks(40)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

#[test]
fn a_service_account_key_file_is_one_short_profile() {
    let env = Env::new();
    let server = google("/token");
    let pem = rsa_pkcs8_pem();
    let key = key_file(&env, &server, &pem);
    let text = google_profile(&server, &key);
    let out = env.run(&text, &["gcp", "-v"]);
    assert_code(&out, 0);
    assert_stdout(&out, "ya29.c.stand-in-token\n");
    let assertion = server.only_request().form_param("assertion").unwrap();
    let mut secrets: Vec<String> = key_chunks(&pem);
    secrets.push(assertion.split('.').nth(2).unwrap().to_string());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_leak(&out, &secrets);
    // A hit: nothing read or signed, no request.
    let again = env.run(&text, &["gcp", "-v"]);
    assert_code(&again, 0);
    assert_stdout(&again, "ya29.c.stand-in-token\n");
    assert_eq!(server.count(), 1, "{}", stderr(&again));
}

#[test]
fn a_key_that_is_not_the_registered_one_is_refused_as_google_says() {
    let env = Env::new();
    let server = google("/token");
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key = key_file(&env, &server, &other.serialize_pem());
    let out = env.run(&google_profile(&server, &key), &["gcp", "-v"]);
    assert_code(&out, 3);
    assert_stderr_contains(&out, "Invalid JWT Signature.");
    let chunks = key_chunks(&other.serialize_pem());
    assert_no_leak(&out, &chunks.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn a_key_file_without_the_field_or_with_a_bad_key_is_a_usage_error() {
    let env = Env::new();
    let server = google("/token");
    let key = key_file(&env, &server, "hunter2-not-a-key");
    let out = env.run(&google_profile(&server, &key), &["gcp", "-v"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "`private_key` is not a PEM private key");
    assert_no_leak(&out, &["hunter2-not-a-key"]);
    let text = google_profile(&server, &key).replace("/private_key\"", "/privat_key\"");
    let out = env.run(&text, &["gcp"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "field `/privat_key` of file");
    assert_stderr_contains(&out, "no field at `/privat_key`");
    assert_eq!(server.count(), 0);
}

/// GitHub's "Authenticating as a GitHub App installation": an RS256 app
/// JWT (iss = the app id, iat, exp at most 10 minutes on) as a Bearer
/// token to POST /app/installations/{id}/access_tokens; 201 with `token`
/// and `expires_at`, 401 with GitHub's message otherwise.
fn github() -> Server {
    Server::start(|req, _| {
        let refuse = |message: &str| {
            Reply::json(
                401,
                json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"}),
            )
        };
        if req.method != "POST" || req.path() != "/app/installations/42/access_tokens" {
            return Reply::json(404, json!({"message": "Not Found", "status": "404"}));
        }
        let Some(jwt) = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return refuse("A JSON web token could not be decoded");
        };
        let Some((_, claims)) = verified(jwt) else {
            return refuse("A JSON web token could not be decoded");
        };
        let now = now_unix();
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap_or(0),
            claims["exp"].as_i64().unwrap_or(0),
        );
        if claims["iss"] != "123456" && claims["iss"] != 123456 {
            return refuse("Integration not found");
        }
        if iat > now + 5 || exp <= now || exp - iat > 600 {
            return refuse("'Expiration time' claim ('exp') is too far in the future");
        }
        let expires = jiff::Timestamp::from_second(now + 3600).unwrap();
        Reply::json(
            201,
            json!({"token": "ghs_standInInstallationToken", "expires_at": expires.to_string(), "permissions": {"contents": "read"}}),
        )
    })
}

fn github_profile(server: &Server, key: &std::path::Path, lifetime: &str) -> String {
    format!(
        r#"[profiles.app]
flavour = "http"
cache = "file"
url = "{}/app/installations/42/access_tokens"
method = "POST"
insecure_http = true
body = "none"
git_username = "x-access-token"
response = {{ token = "/token", expires_at = "/expires_at" }}
[profiles.app.headers]
Accept = "application/vnd.github+json"
Authorization = {{ jwt = {{ key = {{ file = "{}" }}, signing_alg = "RS256", lifetime = "{lifetime}", backdate = "60s", claims = {{ iss = "123456" }}, prefix = "Bearer " }} }}
"#,
        server.url(),
        key.display()
    )
}

#[test]
fn a_github_app_installation_token_with_a_signed_jwt_header() {
    let env = Env::new();
    let server = github();
    let key = env.write_file("app.pem", TEST_RSA_PKCS1);
    let text = github_profile(&server, &key, "9m");
    let out = env.run(&text, &["app", "-v"]);
    assert_code(&out, 0);
    assert_stdout(&out, "ghs_standInInstallationToken\n");
    let jwt = server
        .only_request()
        .header("authorization")
        .unwrap()
        .to_string();
    let mut secrets = key_chunks(TEST_RSA_PKCS1);
    secrets.push(jwt.split('.').nth(2).unwrap().to_string());
    assert_no_leak(
        &out,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // Cached: no JWT signed on a hit.
    assert_code(&env.run(&text, &["app"]), 0);
    assert_eq!(server.count(), 1);
    // GitHub refuses an app JWT of more than 10 minutes.
    let long = github_profile(&server, &key, "11m").replace("[profiles.app", "[profiles.app2");
    let out = env.run(&long, &["app2"]);
    assert_code(&out, 3);
    assert_stderr_contains(&out, "too far in the future");
}

#[test]
fn a_signed_jwt_whose_key_cannot_be_read_is_a_usage_error() {
    let env = Env::new();
    let server = github();
    let key = env.root().join("missing.pem");
    let out = env.run(&github_profile(&server, &key, "9m"), &["app"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "Authorization.jwt.key");
    let bad = env.write_file("bad.pem", "hunter2-not-a-key");
    let out = env.run(&github_profile(&server, &bad, "9m"), &["app", "-v"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "cannot sign the JWT");
    assert_no_leak(&out, &["hunter2-not-a-key"]);
    let text = github_profile(&server, &bad, "9m").replace("\"RS256\"", "\"HS256\"");
    let out = env.run(&text, &["app"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "unknown signing algorithm \"HS256\"");
    assert_eq!(server.count(), 0);
}

/// Entra ID's certificate credentials: a `private_key_jwt` assertion whose
/// header names the registered certificate by `x5t` (base64url SHA-1 of
/// its DER); AADSTS700027 otherwise.
#[test]
fn entra_certificate_credentials_carry_the_x5t_thumbprint() {
    let env = Env::new();
    let pkcs8 = rsa_pkcs8_pem();
    let pair = rcgen::KeyPair::from_pem(&pkcs8).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["gettoken-test".into()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    let x5t = URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.der()).as_ref());
    let server = Server::start(move |req, _| {
        let refuse = |d: &str| {
            Reply::json(
                401,
                json!({"error": "invalid_client", "error_description": d, "error_codes": [700027]}),
            )
        };
        let ok = req.form_param("client_assertion_type").as_deref()
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        let Some((header, claims)) = req
            .form_param("client_assertion")
            .filter(|_| ok)
            .and_then(|a| verified(&a))
        else {
            return refuse("AADSTS700027: The client assertion's signature is invalid.");
        };
        if header["x5t"] != x5t.as_str() {
            return refuse(
                "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.",
            );
        }
        let aud = format!(
            "http://{}/tenant/oauth2/v2.0/token",
            req.header("host").unwrap_or("")
        );
        if claims["iss"] != "app-1"
            || claims["sub"] != "app-1"
            || claims["aud"] != aud.as_str()
            || claims["jti"].as_str().is_none_or(str::is_empty)
        {
            return refuse(
                "AADSTS700023: Client assertion audience claim does not match Realm issuer.",
            );
        }
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ0eXAi.entra.stand-in"}),
        )
    });
    let key = env.write_file("app.pem", &pkcs8);
    let cert_path = env.write_file("app.crt", &cert.pem());
    let text = format!(
        "[profiles.entra]\nflavour = \"oauth2\"\ntoken_url = \"{}/tenant/oauth2/v2.0/token\"\ninsecure_http = true\nclient_id = \"app-1\"\nclient_auth = \"private_key_jwt\"\nprivate_key = {{ file = \"{}\" }}\ncertificate = {{ file = \"{}\" }}\nscope = \"https://graph.microsoft.com/.default\"\n",
        server.url(),
        key.display(),
        cert_path.display()
    );
    let out = env.run(&text, &["entra", "-v"]);
    assert_code(&out, 0);
    assert_stdout(&out, "eyJ0eXAi.entra.stand-in\n");
    // Without the certificate the header has no x5t: Entra refuses.
    let bare = text
        .lines()
        .filter(|l| !l.starts_with("certificate"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("[profiles.entra]", "[profiles.entra2]");
    let out = env.run(&bare, &["entra2"]);
    assert_code(&out, 3);
    assert_stderr_contains(&out, "AADSTS700027");
    // Something that is not a certificate is a usage error, before any request.
    let n = server.count();
    let not_cert = env.write_file("bad.crt", "hunter2");
    let out = env.run(
        &text
            .replace(
                &cert_path.display().to_string(),
                &not_cert.display().to_string(),
            )
            .replace("[profiles.entra]", "[profiles.entra3]"),
        &["entra3"],
    );
    assert_code(&out, 2);
    assert_stderr_contains(&out, "`certificate` holds no PEM certificate");
    assert_no_leak(&out, &["hunter2"]);
    assert_eq!(server.count(), n);
}
