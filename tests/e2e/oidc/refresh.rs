//! Refresh against the real server: after the access token expires, the
//! stored refresh token is used (counted at the server) and the rotated one
//! replaces it. `device-refresh`'s access tokens live 5 seconds.

use super::*;
use crate::util::*;

fn cached_refresh_token(env: &Env) -> String {
    let text = std::fs::read_to_string(env.root().join("cache/gettoken/token~dev.json"))
        .expect("the cache entry");
    let record: Value = serde_json::from_str(&text).unwrap();
    record["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

#[test]
fn an_expired_token_is_renewed_with_the_rotated_refresh_token() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    // login_timeout is short: should a refresh fail, the device login that
    // follows fails fast instead of waiting for a user.
    let text = format!(
        "[profiles.dev]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"device-refresh\"\nscope = \"openid offline_access\"\ncache = \"file\"\nmin_ttl = \"1s\"\nlogin_timeout = \"3s\"\n"
    );
    let config = env.write_profiles(&text);
    let before = stats(&issuer, "device-refresh");

    let run = Running::start(&env, &config, &["dev"], &[]);
    let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
    Browser::default().device_login(&complete, None, true);
    let first = run.finish();
    assert_code(&first, 0);
    let first_token = stdout(&first).trim().to_string();
    let first_refresh = cached_refresh_token(&env);

    let mut tokens = vec![first_token];
    let mut refresh_tokens = vec![first_refresh];
    for _ in 0..2 {
        // Let the 5-second access token expire for real.
        std::thread::sleep(Duration::from_secs(6));
        let out = env
            .bare_cmd()
            .arg("--config")
            .arg(&config)
            .args(["dev", "-v"])
            .output()
            .unwrap();
        assert_code(&out, 0);
        assert_stderr_contains(&out, "using the stored refresh token");
        let token = stdout(&out).trim().to_string();
        assert!(!tokens.contains(&token), "a new access token");
        let refresh = cached_refresh_token(&env);
        assert!(
            !refresh_tokens.contains(&refresh),
            "the rotated refresh token is stored"
        );
        let mut secrets: Vec<&str> = refresh_tokens.iter().map(String::as_str).collect();
        secrets.push(&refresh);
        assert_no_leak(&out, &secrets);
        assert!(!stderr(&out).contains(&token));
        tokens.push(token);
        refresh_tokens.push(refresh);
    }
    let after_stats = stats(&issuer, "device-refresh");
    let grew = |path: &str| count(&after_stats, path) - count(&before, path);
    assert_eq!(grew("/grants/refresh_token"), 2, "{after_stats}");
    assert_eq!(
        grew("/grants/urn:ietf:params:oauth:grant-type:device_code"),
        1,
        "{after_stats}"
    );
    assert_eq!(
        grew("/device_authorizations"),
        1,
        "one login for three tokens"
    );
}
