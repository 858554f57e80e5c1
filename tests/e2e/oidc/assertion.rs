//! `client_auth = "private_key_jwt"` (RFC 7523) against the real server,
//! whose clients hold the public keys of the keys it wrote for the tests.

use super::*;
use crate::util::*;

fn jwt_profile(issuer: &str, client: &str, key: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"{client}\"\nprivate_key = {key}\n{extra}"
    )
}

fn pem_body(path: &std::path::Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

#[test]
fn rs256_with_a_key_file_and_a_kid() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let key = client_key("client-rs256.pem");
    let text = jwt_profile(
        &issuer,
        "jwt-rs256",
        &format!("{{ file = \"{}\" }}", key.display()),
        "key_id = \"rs-test-1\"\nsigning_alg = \"RS256\"\nscope = \"api:read\"\n",
    );
    let out = env.run(&text, &["p", "--format", "json", "-v"]);
    assert_code(&out, 0);
    assert_eq!(stdout_json(&out)["scope"], "api:read");
    assert_stderr_contains(&out, "client_assertion=(redacted)");
    assert_stderr_contains(
        &out,
        "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    );
    let body = pem_body(&key);
    for line in body.as_bytes().chunks(40) {
        assert_no_leak(&out, &[std::str::from_utf8(line).unwrap()]);
    }
}

/// ES256 from a SEC1 key in an environment variable, the algorithm chosen
/// from the key.
#[test]
fn es256_with_a_sec1_key_from_the_environment() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let pem = std::fs::read_to_string(client_key("client-es256.pem")).unwrap();
    assert!(pem.contains("BEGIN EC PRIVATE KEY"), "SEC1");
    let text = jwt_profile(&issuer, "jwt-es256", "{ env = \"CLIENT_KEY\" }", "");
    let out = env.run_with_env(&text, &["p", "-v"], &[("CLIENT_KEY", &pem)]);
    assert_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    assert!(!stderr(&out).contains(&token));
    assert_no_leak(&out, &[&pem_body(&client_key("client-es256.pem"))[..40]]);
}

#[test]
fn a_key_the_server_does_not_know_is_refused_in_its_words() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    // The EC key, for the RSA client.
    let key = client_key("client-es256.pem");
    let text = jwt_profile(
        &issuer,
        "jwt-rs256",
        &format!("{{ file = \"{}\" }}", key.display()),
        "",
    );
    let out = env.run(&text, &["p"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_client");
}

#[test]
fn what_is_not_a_key_is_a_configuration_error() {
    let env = Env::new();
    let text = jwt_profile(
        "https://login.example",
        "c",
        "\"hunter2-not-a-pem\"",
        "token_url = \"https://login.example/token\"\n",
    )
    .replace("issuer = \"https://login.example\"\n", "");
    let out = env.run(&text, &["p"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`private_key` is not a PEM private key");
    assert_no_leak(&out, &["hunter2-not-a-pem"]);
}
