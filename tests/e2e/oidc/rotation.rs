//! Rotating refresh tokens against the real server (issue 15 point 6,
//! issue 17 point 5). oidc-provider rotates on every refresh: the one sent
//! is spent, and a spent one sent again is refused (`invalid_grant`) and
//! revokes the whole login, as Atlassian's rotating tokens are refused.
//!
//! - a `{ keyring = ... }` refresh token is written back on each rotation,
//!   so `secret set`, get, forget, get again never sends a spent one;
//! - one from the environment is warned about once;
//! - `refresh_from`: one device login, then a token per API (own scope,
//!   own cache entry), each rotation written back to the login's record.

use super::*;
use crate::util::*;
use serde_json::json;

/// `gettoken ARGS` running a device login, the user played; its stdout.
fn device_login(env: &Env, config: &std::path::Path, args: &[&str]) -> String {
    let run = Running::start(env, config, args, &[]);
    let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
    Browser::default().device_login(&complete, None, true);
    let out = run.finish();
    assert_code(&out, 0);
    stdout(&out).trim().to_string()
}

fn device_profile(name: &str, issuer: &str, client: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"{client}\"\nscope = \"openid offline_access\"\ncache = \"file\"\nlogin_timeout = \"3s\"\n{extra}\n"
    )
}

/// The refresh token of `profile`'s file cache record, if it has one.
fn record_refresh_token(env: &Env, profile: &str) -> Option<String> {
    let text = std::fs::read_to_string(env.file_cache_entry(profile)).expect("the cache entry");
    let record: Value = serde_json::from_str(&text).unwrap();
    record["refresh_token"].as_str().map(str::to_string)
}

fn gettoken(env: &Env, config: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    env.run_config(config, args, vars)
}

/// What the server answers a refresh token sent by hand.
fn refresh_by_hand(issuer: &str, client: &str, refresh: &str) -> RawReply {
    http(
        "POST",
        &format!("{issuer}/token"),
        &[],
        Some(&format!(
            "grant_type=refresh_token&client_id={client}&refresh_token={}",
            form_encode(refresh)
        )),
    )
}

#[test]
fn a_keyring_refresh_token_is_written_back_so_forget_never_sends_a_spent_one() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let secret = unique("rotating-rt");
    // A refresh token from a real login, as a user would paste it.
    let seed = device_profile("seed", &issuer, "device-rotate", "");
    let config = env.write_profiles(&seed);
    device_login(&env, &config, &["seed"]);
    let first = record_refresh_token(&env, "seed").expect("the login's refresh token");
    let set = env
        .bare_cmd()
        .args(["secret", "set", &secret])
        .write_stdin(format!("{first}\n"))
        .output()
        .unwrap();
    assert_code(&set, 0);
    let text = format!(
        "[profiles.kr]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"device-rotate\"\ngrant = \"refresh_token\"\nrefresh_token = {{ keyring = \"{secret}\" }}\nscope = \"openid offline_access\"\ncache = \"file\"\n"
    );
    let config = env.write_profiles(&text);
    let before = stats(&issuer, "device-rotate");
    let mut spent = vec![first.clone()];
    let mut tokens = vec![];
    for round in 0..3 {
        let out = gettoken(&env, &config, &["kr", "-v"], &[]);
        assert_code(&out, 0);
        assert_stderr_contains(&out, "written back to keyring secret");
        let token = stdout(&out).trim().to_string();
        assert!(!tokens.contains(&token), "round {round}: a new token");
        let live = record_refresh_token(&env, "kr").expect("the rotated refresh token");
        assert!(!spent.contains(&live), "round {round}: rotated");
        let mut secrets: Vec<&str> = spent.iter().map(String::as_str).collect();
        secrets.push(&live);
        assert_no_leak(&out, &secrets);
        assert!(!stderr(&out).contains(&token), "{}", stderr(&out));
        spent.push(live);
        tokens.push(token);
        // The record is gone: the next run has only the keyring.
        let forget = gettoken(&env, &config, &["forget", "kr"], &[]);
        assert_code(&forget, 0);
    }
    let after_stats = stats(&issuer, "device-rotate");
    let grew = |path: &str| count(&after_stats, path) - count(&before, path);
    assert_eq!(grew("/grants/refresh_token"), 3, "{after_stats}");
    assert_eq!(
        after_stats["errors"], before["errors"],
        "no spent refresh token was ever sent"
    );
    // The premise: the server refuses a spent one, as Atlassian does.
    let reply = refresh_by_hand(&issuer, "device-rotate", &first);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("invalid_grant"), "{}", reply.body);
    let _ = env.bare_cmd().args(["secret", "delete", &secret]).output();
}

#[test]
fn a_rotated_refresh_token_from_the_environment_is_warned_of_once() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let seed = device_profile("seed", &issuer, "device-envrt", "");
    let config = env.write_profiles(&seed);
    device_login(&env, &config, &["seed"]);
    let first = record_refresh_token(&env, "seed").expect("the login's refresh token");
    let text = format!(
        "[profiles.envrt]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"device-envrt\"\ngrant = \"refresh_token\"\nrefresh_token = {{ env = \"ROTATING_RT\" }}\nscope = \"openid offline_access\"\ncache = \"file\"\n"
    );
    let config = env.write_profiles(&text);
    let vars = [("ROTATING_RT", first.as_str())];
    let out = gettoken(&env, &config, &["envrt"], &vars);
    assert_code(&out, 0);
    assert_stderr_contains(&out, "the endpoint rotated the refresh token");
    assert_stderr_contains(
        &out,
        "comes from environment variable `ROTATING_RT`, which gettoken cannot write",
    );
    assert_stderr_contains(&out, "gettoken secret set NAME");
    assert_no_leak(&out, &[&first]);
    // The cache keeps the live one; the next rotation is not warned again.
    let out = gettoken(&env, &config, &["envrt", "--force", "-v"], &vars);
    assert_code(&out, 0);
    assert_stderr_contains(&out, "using the stored refresh token");
    assert!(
        !stderr(&out).contains("cannot write"),
        "said once: {}",
        stderr(&out)
    );
}

/// One login (`me`), two APIs each with its own scope: `read`, `write`.
fn lending_profiles(issuer: &str) -> String {
    let me = device_profile(
        "me",
        issuer,
        "device-lend",
        "scope = \"openid offline_access api:read api:write\"\nresource = \"https://api.example\"",
    )
    .replacen("scope = \"openid offline_access\"\n", "", 1);
    let api = |name: &str, scope: &str| {
        format!(
            "[profiles.{name}]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"device-lend\"\nrefresh_from = \"me\"\nscope = \"{scope}\"\nresource = \"https://api.example\"\ncache = \"file\"\nmin_ttl = \"5s\"\n"
        )
    };
    format!(
        "{me}{}{}",
        api("read", "api:read"),
        api("write", "api:write")
    )
}

fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims")
}

#[test]
fn one_login_gives_a_token_per_api_and_each_rotation_goes_back_to_the_login() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&lending_profiles(&issuer));
    let before = stats(&issuer, "device-lend");
    device_login(&env, &config, &["login", "me"]);
    let mut login_refresh = record_refresh_token(&env, "me").expect("the login's refresh token");
    let mut seen = vec![login_refresh.clone()];
    let mut tokens = vec![];
    for (name, scope) in [("read", "api:read"), ("write", "api:write")] {
        let out = gettoken(&env, &config, &[name, "-v"], &[]);
        assert_code(&out, 0);
        assert_stderr_contains(&out, "using the refresh token of `me`'s login");
        let token = stdout(&out).trim().to_string();
        let claims = jwt_claims(&token);
        assert_eq!(claims["scope"], scope, "{name}: {claims}");
        assert_eq!(claims["aud"], "https://api.example", "{name}: {claims}");
        assert_eq!(claims["client_id"], "device-lend", "{name}: {claims}");
        // Its own token under its own name, no refresh token of its own.
        assert_eq!(record_refresh_token(&env, name), None, "{name}");
        let rotated = record_refresh_token(&env, "me").expect("still logged in");
        assert!(!seen.contains(&rotated), "{name}: written back to `me`");
        let mut secrets: Vec<&str> = seen.iter().map(String::as_str).collect();
        secrets.push(&rotated);
        assert_no_leak(&out, &secrets);
        assert!(!stderr(&out).contains(&token), "{}", stderr(&out));
        seen.push(rotated.clone());
        login_refresh = rotated;
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
    // Cached under each profile's name (its 30-second token outlives
    // min_ttl): no request.
    let out = gettoken(&env, &config, &["read"], &[]);
    assert_eq!(stdout(&out).trim(), tokens[0]);
    // The login's own refresh uses the written-back refresh token.
    let out = gettoken(&env, &config, &["me", "--force", "-v"], &[]);
    assert_code(&out, 0);
    assert_stderr_contains(&out, "using the stored refresh token");
    assert_ne!(record_refresh_token(&env, "me").unwrap(), login_refresh);
    let after_stats = stats(&issuer, "device-lend");
    let grew = |path: &str| count(&after_stats, path) - count(&before, path);
    assert_eq!(
        grew("/device_authorizations"),
        1,
        "one login: {after_stats}"
    );
    assert_eq!(grew("/grants/refresh_token"), 3, "{after_stats}");
    assert_eq!(after_stats["errors"], before["errors"], "nothing refused");
    // Logging out of `me` ends them all: a new token of `write` is refused
    // in the server's words, both profiles named.
    let out = gettoken(&env, &config, &["logout", "me"], &[]);
    assert_code(&out, 0);
    let out = gettoken(&env, &config, &["write", "--force"], &[]);
    assert_code(&out, 3);
    assert_stderr_contains(&out, "profile `write`");
    assert_stderr_contains(&out, "run `gettoken login me`");
}

#[test]
fn refresh_from_a_profile_never_logged_in_says_to_log_in_there() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&lending_profiles(&issuer));
    let before = stats(&issuer, "device-lend");
    let out = gettoken(&env, &config, &["read"], &[]);
    assert_code(&out, 3);
    assert_stderr_contains(
        &out,
        "profile `read` takes its refresh token from the login of profile `me` (read -> me), which holds none: run `gettoken login me`",
    );
    let after_stats = stats(&issuer, "device-lend");
    assert_eq!(
        count(&after_stats, "/device_authorizations"),
        count(&before, "/device_authorizations"),
        "no login started"
    );
}

#[test]
fn a_cycle_of_refresh_from_is_refused_with_the_chain() {
    let env = Env::new();
    let url = closed_port_url();
    let profile = |name: &str, from: &str| {
        format!(
            "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\nrefresh_from = \"{from}\"\n"
        )
    };
    let config = env.write_profiles(&format!(
        "{}{}{}",
        profile("a", "b"),
        profile("b", "c"),
        profile("c", "a")
    ));
    let out = gettoken(&env, &config, &["a"], &[]);
    assert_code(&out, 2);
    assert_stderr_contains(
        &out,
        "profile `a`: `refresh_from` leads back to a profile on the way: a -> b -> c -> a",
    );
    // A login that is no OAuth 2.0 profile has none to lend.
    let config = env.write_profiles(&format!(
        "{}[profiles.h]\nflavour = \"http\"\nurl = \"{url}\"\nresponse = {{ token = \"/t\" }}\n",
        profile("a", "h")
    ));
    let out = gettoken(&env, &config, &["a"], &[]);
    assert_code(&out, 2);
    assert_stderr_contains(
        &out,
        "profile `a`: `refresh_from` names profile `h`, which is not flavour \"oauth2\" and has no login to lend (a -> h)",
    );
}

/// Atlassian's token endpoint as its OAuth 2.0 (3LO) documentation
/// describes it, with rotating refresh tokens: a JSON body with
/// `grant_type`, `client_id`, `client_secret`, `refresh_token`; a new
/// refresh token in every reply; a spent or unknown one refused with 403
/// `invalid_grant`. The live one starts as `first`.
fn atlassian(first: &str) -> Server {
    let live = std::sync::Mutex::new((first.to_string(), 0u32));
    Server::start(move |req, _| {
        let body = req.json().unwrap_or_default();
        let mut live = live.lock().unwrap();
        let sent = body["refresh_token"].as_str().unwrap_or_default();
        if req.path() != "/oauth/token"
            || body["grant_type"] != "refresh_token"
            || body["client_id"] != "atlassian-app-client-id"
            || body["client_secret"] != "atl-client-secret-5Rt"
            || sent != live.0
        {
            return Reply::json(
                403,
                json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
            );
        }
        live.1 += 1;
        live.0 = format!("atl-rt-rotated-{}", live.1);
        Reply::json(
            200,
            json!({"access_token": format!("atl-at-{}", live.1), "token_type": "Bearer", "expires_in": 3600, "refresh_token": live.0, "scope": "read:jira-work offline_access"}),
        )
    })
}

#[test]
fn example_jira_profile_keeps_its_rotating_refresh_token_in_the_keyring() {
    let server = atlassian("atl-rt-pasted-0");
    let env = Env::new();
    let (client_secret, refresh) = (unique("jira-client-secret"), unique("jira-refresh-token"));
    let text = include_str!("../../../profiles.example.toml")
        .replace(
            "https://auth.atlassian.com/oauth/token",
            &format!("{}/oauth/token", server.url()),
        )
        .replace("\"jira-client-secret\"", &format!("\"{client_secret}\""))
        .replace("\"jira-refresh-token\"", &format!("\"{refresh}\""));
    let config = env.write_profiles(&text);
    for (name, value) in [
        (&client_secret, "atl-client-secret-5Rt"),
        (&refresh, "atl-rt-pasted-0"),
    ] {
        let set = env
            .bare_cmd()
            .args(["secret", "set", name])
            .write_stdin(format!("{value}\n"))
            .output()
            .unwrap();
        assert_code(&set, 0);
    }
    for round in 1..=3 {
        let out = gettoken(&env, &config, &["jira", "-v"], &[]);
        assert_code(&out, 0);
        assert_eq!(stdout(&out).trim(), format!("atl-at-{round}"));
        assert_no_leak(
            &out,
            &[
                "atl-client-secret-5Rt",
                "atl-rt-pasted-0",
                "atl-rt-rotated-1",
                "atl-rt-rotated-2",
                "atl-rt-rotated-3",
            ],
        );
        assert_code(&gettoken(&env, &config, &["forget", "jira"], &[]), 0);
    }
    let sent: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.json().unwrap()["refresh_token"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        sent,
        ["atl-rt-pasted-0", "atl-rt-rotated-1", "atl-rt-rotated-2"],
        "each run sends the live one, never a spent one"
    );
    // A spent one put back by hand: refused in Atlassian's words, exit 3,
    // and the hint says how to get out.
    let set = env
        .bare_cmd()
        .args(["secret", "set", &refresh])
        .write_stdin("atl-rt-pasted-0\n")
        .output()
        .unwrap();
    assert_code(&set, 0);
    let out = gettoken(&env, &config, &["jira"], &[]);
    assert_code(&out, 3);
    assert_stderr_contains(&out, "Unknown or invalid refresh token.");
    assert_stderr_contains(&out, "gettoken secret set NAME");
    assert_no_leak(&out, &["atl-client-secret-5Rt", "atl-rt-pasted-0"]);
    for name in [&client_secret, &refresh] {
        let _ = env.bare_cmd().args(["secret", "delete", name]).output();
    }
}

#[test]
fn parallel_callers_of_a_keyring_refresh_token_never_send_a_spent_one() {
    let server = atlassian("atl-rt-pasted-0");
    let env = Env::new();
    let (client_secret, refresh) = (unique("par-client-secret"), unique("par-refresh-token"));
    // Two profiles naming the same secret, with no cache: only the secret's
    // lock keeps them from spending the same refresh token twice.
    let profile = |name: &str| {
        format!(
            "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{}/oauth/token\"\ngrant = \"refresh_token\"\nbody = \"json\"\nclient_auth = \"body\"\nclient_id = \"atlassian-app-client-id\"\nclient_secret = {{ keyring = \"{client_secret}\" }}\nrefresh_token = {{ keyring = \"{refresh}\" }}\ncache = \"none\"\n",
            server.url()
        )
    };
    let config = env.write_profiles(&format!("{}{}", profile("a"), profile("b")));
    for (name, value) in [
        (&client_secret, "atl-client-secret-5Rt"),
        (&refresh, "atl-rt-pasted-0"),
    ] {
        let set = env
            .bare_cmd()
            .args(["secret", "set", name])
            .write_stdin(format!("{value}\n"))
            .output()
            .unwrap();
        assert_code(&set, 0);
    }
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut cmd = std::process::Command::new(gettoken_bin());
            env.isolate_std(&mut cmd);
            cmd.arg("--config")
                .arg(&config)
                .arg(if i % 2 == 0 { "a" } else { "b" })
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_code(&out, 0);
    }
    // Each exited 0: none was refused. And each sent another one.
    let mut sent: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.json().unwrap()["refresh_token"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sent.len(), 6);
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 6, "a refresh token sent twice: {sent:?}");
    for name in [&client_secret, &refresh] {
        let _ = env.bare_cmd().args(["secret", "delete", name]).output();
    }
}
