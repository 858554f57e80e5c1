//! ID tokens from the real server (issue 15, point 5): a device login with
//! `openid` gives one, kept in the cache, printed by `--id-token`, decoded
//! by `show`, and renewed by the refresh grant (oidc-provider sends a new
//! one on refresh) when the 5-second access token has run out.

use super::*;
use crate::util::*;

#[test]
fn a_device_login_keeps_the_id_token_and_a_refresh_renews_it() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let text = format!(
        "[profiles.dev]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"device-idtoken\"\nscope = \"openid offline_access\"\ncache = \"file\"\nmin_ttl = \"1s\"\nlogin_timeout = \"3s\"\n"
    );
    let config = env.write_profiles(&text);
    let run = Running::start(&env, &config, &["dev", "--id-token"], &[]);
    let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
    Browser::default().device_login(&complete, None, true);
    let first = run.finish();
    assert_code(&first, 0);
    let id = stdout(&first).trim().to_string();
    let claims = claims(&id);
    assert_eq!(claims["aud"], "device-idtoken", "{claims}");
    assert_eq!(claims["iss"].as_str(), Some(issuer.as_str()), "{claims}");
    let gettoken = |args: &[&str]| {
        env.bare_cmd()
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let out = gettoken(&["show", "dev"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("ID token claims"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("\"aud\": \"device-idtoken\""),
        "{}",
        stdout(&out)
    );
    std::thread::sleep(Duration::from_secs(6));
    let out = gettoken(&["dev", "--id-token", "-v"]);
    assert_code(&out, 0);
    assert_stderr_contains(&out, "using the stored refresh token");
    let renewed = stdout(&out).trim().to_string();
    assert!(!stderr(&out).contains(&renewed), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&id), "{}", stderr(&out));
    assert_ne!(renewed, id, "the refresh reply brought a new ID token");
    assert_eq!(claims_of(&renewed)["sub"], claims["sub"]);
}

fn claims(jwt: &str) -> Value {
    claims_of(jwt)
}

fn claims_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
