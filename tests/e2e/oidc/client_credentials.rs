//! Client credentials against the real server: discovery, `client_auth`
//! basic and body, scope/resource/audience in the token, a JWT cached by
//! its `exp`, and the server's refusals.

use super::*;
use crate::util::*;

fn profile(name: &str, issuer: &str, client: &str, secret: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"{client}\"\nclient_secret = \"{secret}\"\n{extra}"
    )
}

/// The claims of a JWT access token (not verified: the server made it).
fn claims(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn discovery_and_basic_auth_bring_a_token_with_the_scope_and_resource_asked() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let text = profile(
        "p",
        &issuer,
        "cc-basic",
        "cc-basic-secret-7Hq2xv",
        "scope = [\"api:read\"]\nresource = \"urn:gettoken:api\"\n",
    );
    let out = env.run(&text, &["p", "--format", "json", "-v"]);
    assert_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["scope"], "api:read");
    assert_eq!(json["token_type"], "Bearer");
    assert_json_expiry(&json, 30, 5);
    let token = json["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["aud"], "urn:gettoken:api");
    assert_eq!(c["scope"], "api:read");
    assert_eq!(c["client_id"], "cc-basic");
    assert_eq!(c["iss"], issuer.as_str());
    assert_stderr_contains(&out, "/.well-known/openid-configuration");
    assert_stderr_contains(&out, "Authorization: Basic (redacted)");
    assert_no_leak(&out, &["cc-basic-secret-7Hq2xv"]);
    assert!(!stderr(&out).contains(token), "token on stderr");
}

#[test]
fn body_auth_and_an_audience_reach_the_token() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let text = profile(
        "p",
        &issuer,
        "cc-body",
        "cc-body-secret-Lp93Zs",
        "client_auth = \"body\"\nscope = \"api:write\"\naudience = \"https://api.example/\"\n",
    );
    let out = env.run(&text, &["p", "-v"]);
    assert_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    let c = claims(&token);
    assert_eq!(c["aud"], "https://api.example/");
    assert_eq!(c["scope"], "api:write");
    assert_stderr_contains(&out, "client_secret=(redacted)");
    assert_no_leak(&out, &["cc-body-secret-Lp93Zs"]);
    assert_token_only_on_stdout(&out, &token);
}

/// `cc-noexp`'s replies have no `expires_in`: the JWT's `exp` decides, and
/// the token is cached until then.
#[test]
fn a_jwt_without_expires_in_is_cached_until_its_exp() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let before = count(&stats(&issuer, "cc-noexp"), "/grants/client_credentials");
    let text = format!(
        "[profiles.p]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"cc-noexp\"\nclient_secret = \"cc-noexp-secret-Qw81Rt\"\nresource = \"urn:gettoken:api\"\ncache = \"file\"\nmin_ttl = \"5s\"\n"
    );
    let config = env.write_profiles(&text);
    let run = |args: &[&str]| {
        env.bare_cmd()
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let first = run(&["p", "--format", "json"]);
    assert_code(&first, 0);
    let json = stdout_json(&first);
    let token = json["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        json["expires_at"].as_str().map(rfc3339_to_unix),
        claims(&token)["exp"].as_i64(),
        "the expiry is the JWT's exp"
    );
    let second = run(&["p", "-v"]);
    assert_code(&second, 0);
    assert_stdout(&second, &format!("{token}\n"));
    assert_stderr_contains(&second, "cache hit");
    let after = count(&stats(&issuer, "cc-noexp"), "/grants/client_credentials");
    assert_eq!(after - before, 1, "one request for two calls");
}

#[test]
fn a_wrong_secret_is_refused_with_the_servers_words() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let text = profile("p", &issuer, "cc-basic", "not-the-secret-8842", "");
    for args in [&["p"][..], &["p", "-v"]] {
        let out = env.run(&text, args);
        assert_failed_with(&out, 3);
        assert_stderr_contains(&out, "invalid_client");
        assert_stderr_contains(&out, "client authentication failed");
        assert_no_leak(&out, &["not-the-secret-8842"]);
    }
}

#[test]
fn an_unknown_client_is_refused() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let out = env.run(
        &profile("p", &issuer, "no-such-client", "whatever-1234", ""),
        &["p"],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_client");
    assert_no_leak(&out, &["whatever-1234"]);
}

#[test]
fn a_server_that_is_down_is_unreachable() {
    let env = Env::new();
    let down = closed_port_url();
    let out = env.run(
        &profile(
            "p",
            &down,
            "cc-basic",
            "cc-basic-secret-7Hq2xv",
            "retries = 0\n",
        ),
        &["p"],
    );
    assert_failed_with(&out, 4);
    assert_stderr_contains(&out, "openid-configuration");
}
