//! ID tokens (issue 15, point 5) against a stand-in token endpoint: kept
//! in the cache beside the access token, printed with `--id-token` or
//! `id_token = true` in every output, renewed by their own `exp`; a
//! refresh reply without one keeps the previous one while it is valid,
//! else the grant runs. The real OIDC server's are in oidc/id_token.rs.

use serde_json::json;

use crate::composed::jwt;
use crate::util::*;

const PASSWORD: &str = "alice-password-9d1f3e";

/// The password grant answers with an ID token (`exp` in `first_life`
/// seconds for the first, an hour after); the refresh grant without one
/// (OpenID Connect Core 12.2: it MAY leave it out).
fn endpoint(first_life: i64) -> Server {
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Server::start(move |req, _| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        match req.form_param("grant_type").as_deref() {
            Some("password") if req.form_param("password").as_deref() == Some(PASSWORD) => {
                let life = if i == 1 { first_life } else { 3600 };
                Reply::json(
                    200,
                    json!({
                        "access_token": format!("access-{i}"),
                        "token_type": "Bearer",
                        "expires_in": 600,
                        "refresh_token": format!("refresh-{i}"),
                        "id_token": jwt(json!({"sub": "alice", "aud": "app", "n": i, "exp": now_unix() + life})),
                    }),
                )
            }
            Some("refresh_token") => Reply::json(
                200,
                json!({"access_token": format!("access-{i}"), "token_type": "Bearer", "expires_in": 600}),
            ),
            _ => Reply::json(400, json!({"error": "invalid_grant"})),
        }
    })
}

fn profile(server: &Server, extra: &str) -> String {
    format!(
        "[profiles.app]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\ngrant = \"password\"\nusername = \"alice\"\npassword = \"{PASSWORD}\"\nscope = \"openid\"\ncache = \"file\"\nmin_ttl = \"1s\"\n{extra}",
        server.url()
    )
}

fn grants(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.form_param("grant_type").unwrap_or_default())
        .collect()
}

fn claim_n(token: &str) -> i64 {
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["n"]
        .as_i64()
        .unwrap()
}

#[test]
fn the_id_token_is_printed_in_every_output_and_cached() {
    let server = endpoint(3600);
    let env = Env::new();
    let text = profile(&server, "");
    let out = env.run_as_is(&text, &["app", "--id-token"], &[]);
    assert_code(&out, 0);
    let id = stdout(&out).trim().to_string();
    assert_eq!(claim_n(&id), 1);
    // The access token is still there, for the same cache entry.
    let out = env.run_as_is(&text, &["app"], &[]);
    assert_token_only_on_stdout(&out, "access-1");
    let out = env.run_as_is(&text, &["app", "--id-token", "-H", "-v"], &[]);
    assert_stdout(&out, &format!("Authorization: Bearer {id}\n"));
    assert_no_leak(&out, &[PASSWORD, "refresh-1", "access-1"]);
    assert!(!stderr(&out).contains(&id), "{}", stderr(&out));
    let out = env.run_as_is(&text, &["app", "--id-token", "--force", "-v"], &[]);
    let forced = stdout(&out).trim().to_string();
    assert!(!stderr(&out).contains(&forced), "{}", stderr(&out));
    assert_no_leak(&out, &[PASSWORD, "refresh-1", "access-1", "access-2"]);
    let out = env.run_as_is(&text, &["app", "--id-token", "--format", "json"], &[]);
    let json = stdout_json(&out);
    let id = forced;
    assert_eq!(json["access_token"].as_str(), Some(id.as_str()), "{json}");
    assert_json_expiry(&json, 3600, 10);
    let out = env.run_as_is(&text, &["app", "--id-token", "--format", "env"], &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains(&id), "{}", stdout(&out));
    // `id_token = true` in the profile: the same, without the flag.
    let out = env.run_as_is(&profile(&server, "id_token = true\n"), &["app"], &[]);
    assert_token_only_on_stdout(&out, &id);
    let out = env.run_as_is(&text, &["show", "app"], &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("ID token claims"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&id), "{}", stdout(&out));
    // The forced run refreshed: the reply had no ID token, the kept one serves.
    assert_eq!(grants(&server), ["password", "refresh_token"]);
}

#[test]
fn a_refresh_without_an_id_token_keeps_a_valid_one() {
    let server = endpoint(3600);
    let env = Env::new();
    let text = profile(&server, "");
    let first = stdout(&env.run_as_is(&text, &["app", "--id-token"], &[]));
    // The access token (600s) is due under --min-ttl 20m; the ID token
    // (an hour) is not: the refresh serves, its reply's lack kept up.
    let out = env.run_as_is(&text, &["app", "--id-token", "--min-ttl", "20m", "-v"], &[]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), first);
    assert_no_leak(&out, &[PASSWORD, "refresh-1"]);
    assert_eq!(grants(&server), ["password", "refresh_token"]);
}

#[test]
fn an_expired_id_token_is_renewed_by_the_grant_when_a_refresh_brings_none() {
    let server = endpoint(2);
    let env = Env::new();
    let text = profile(&server, "");
    let first = stdout(&env.run_as_is(&text, &["app", "--id-token"], &[]));
    assert_eq!(claim_n(first.trim()), 1);
    std::thread::sleep(std::time::Duration::from_secs(3));
    // The access token is fresh, the ID token is not.
    let out = env.run_as_is(&text, &["app", "--id-token", "-v"], &[]);
    assert_code(&out, 0);
    assert_eq!(claim_n(stdout(&out).trim()), 3);
    assert_stderr_contains(&out, "no fresh ID token");
    assert_no_leak(&out, &[PASSWORD, "refresh-1"]);
    assert_eq!(grants(&server), ["password", "refresh_token", "password"]);
    // Cached again.
    let out = env.run_as_is(&text, &["app", "--id-token"], &[]);
    assert_eq!(claim_n(stdout(&out).trim()), 3);
    assert_eq!(server.count(), 3);
}

#[test]
fn a_reply_without_an_id_token_says_how_to_get_one() {
    let server = Server::token("plain-access-token-4c1");
    let env = Env::new();
    let text = format!(
        "[profiles.app]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\n",
        server.url()
    );
    let out = env.run_as_is(&text, &["app", "--id-token"], &[]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "no `id_token`");
    assert_stderr_contains(&out, "openid");
    assert_no_leak(&out, &["plain-access-token-4c1"]);
}
