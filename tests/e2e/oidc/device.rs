//! The device authorization grant (RFC 8628) against the real server; the
//! test plays the user, approving or denying the code in "a browser".

use super::*;
use crate::util::*;

fn device_profile(issuer: &str, client: &str, extra: &str) -> String {
    // `cache = "file"` unless `extra` chooses.
    let cache = if extra.contains("cache =") {
        ""
    } else {
        "cache = \"file\"\n"
    };
    format!(
        "[profiles.dev]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"{client}\"\nscope = \"openid offline_access\"\nmin_ttl = \"5s\"\n{cache}{extra}"
    )
}

/// What gettoken told the user: (verification_uri, user code,
/// verification_uri_complete).
fn instructions(run: &Running) -> (String, String, String) {
    let uri = run.wait_for("verification URI", |l| after(l, "open").map(str::to_string));
    let code = run.wait_for("user code", |l| after(l, "code").map(str::to_string));
    let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
    (uri, code, complete)
}

#[test]
fn approving_the_code_brings_a_token_and_later_calls_are_silent() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device", ""));
    let before = stats(&issuer, "device");
    let run = Running::start(&env, &config, &["dev"], &[]);
    let (uri, code, complete) = instructions(&run);
    assert_eq!(uri, format!("{issuer}/device"));
    assert!(
        complete.starts_with(&format!("{issuer}/device?user_code=")),
        "{complete}"
    );
    assert_eq!(code.len(), 9, "{code}");

    let done = Browser::default().device_login(&complete, None, true);
    assert!(done.body.contains("Device approved"), "{}", done.body);

    let out = run.finish();
    assert_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    assert!(!token.is_empty());
    assert!(!stderr(&out).contains(&token), "token on stderr");
    assert_stderr_contains(&out, "approved");

    let after_stats = stats(&issuer, "device");
    assert_eq!(
        count(&after_stats, "/early_polls"),
        count(&before, "/early_polls"),
        "every poll waited the interval"
    );
    assert!(count(&after_stats, "/polls") > count(&before, "/polls"));

    // Cached with its refresh token: the next call asks nobody anything.
    let again = env
        .bare_cmd()
        .arg("--config")
        .arg(&config)
        .arg("dev")
        .output()
        .unwrap();
    assert_code(&again, 0);
    assert_stdout(&again, &format!("{token}\n"));
    assert_eq!(stderr(&again), "", "a cached token is silent");
    let cache = std::fs::read_to_string(env.root().join("cache/gettoken/token~dev.json"))
        .expect("the file cache entry");
    let record: Value = serde_json::from_str(&cache).unwrap();
    assert!(
        record["refresh_token"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
}

#[test]
fn typing_the_code_at_the_verification_uri_works_too() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device", "cache = \"none\"\n"));
    let run = Running::start(&env, &config, &["dev", "-v"], &[]);
    let (uri, code, _) = instructions(&run);
    let done = Browser::default().device_login(&uri, Some(&code), true);
    assert!(done.body.contains("Device approved"), "{}", done.body);
    let out = run.finish();
    assert_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    assert!(!stderr(&out).contains(&token), "token on stderr with -v");
    assert_stderr_contains(&out, "device_code=(redacted)");
}

#[test]
fn denying_the_code_ends_with_access_denied() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device", ""));
    let run = Running::start(&env, &config, &["dev"], &[]);
    let (_, _, complete) = instructions(&run);
    // Cancelled at the confirm page.
    Browser::default().device_login(&complete, None, false);
    let out = run.finish();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "denied");
    assert_stderr_contains(&out, "hint: run gettoken again and approve");
    assert!(
        !env.root().join("cache/gettoken/token~dev.json").exists(),
        "nothing cached"
    );
}

/// `device-short`'s codes live 3 seconds: nobody approves, the server says
/// `expired_token`.
#[test]
fn a_code_nobody_approves_expires() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device-short", ""));
    let started = Instant::now();
    let out = Running::start(&env, &config, &["dev", "-v"], &[]).finish();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "expired");
    assert_stderr_contains(&out, "authorization_pending");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// `login_timeout` bounds the wait even when the code lives longer.
#[test]
fn the_wait_is_bounded_by_login_timeout() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device",
        "login_timeout = \"3s\"\n",
    ));
    let started = Instant::now();
    let out = Running::start(&env, &config, &["dev"], &[]).finish();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "not approved within 3s");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

/// `device-slow`'s first poll is answered `slow_down`: the next one must
/// come at least 5 seconds later (the server counts early polls).
#[test]
fn slow_down_stretches_the_interval() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device-slow",
        "cache = \"none\"\n",
    ));
    let before = stats(&issuer, "device-slow");
    let run = Running::start(&env, &config, &["dev", "-v"], &[]);
    let (_, _, complete) = instructions(&run);
    let started = Instant::now();
    Browser::default().device_login(&complete, None, true);
    let out = run.finish();
    assert_code(&out, 0);
    assert_stderr_contains(&out, "slow down");
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let after_stats = stats(&issuer, "device-slow");
    assert_eq!(
        count(&after_stats, "/early_polls"),
        count(&before, "/early_polls")
    );
    assert!(count(&after_stats, "/errors/slow_down") > count(&before, "/errors/slow_down"));
}

/// Some servers (GitHub's) answer polls with HTTP 200 and an `error`
/// instead of a 400: still "pending", not a failure. A local endpoint, for
/// this one quirk.
#[test]
fn a_pending_poll_answered_with_200_keeps_polling() {
    let env = Env::new();
    let server = Server::start(|req, i| match (req.path(), i) {
        ("/device", _) => Reply::json(
            200,
            serde_json::json!({"device_code": "dev-code-77812", "user_code": "WDJB-MJHT",
                "verification_uri": "https://github.example/login/device", "interval": 1}),
        ),
        (_, 1) => Reply::json(200, serde_json::json!({"error": "authorization_pending"})),
        _ => Reply::json(
            200,
            serde_json::json!({"access_token": "gho_tok_99127", "token_type": "bearer", "scope": "repo"}),
        ),
    });
    let text = format!(
        "[profiles.dev]\nflavour = \"oauth2\"\ntoken_url = \"{0}/token\"\ndevice_url = \"{0}/device\"\ngrant = \"device_code\"\nclient_id = \"Iv1.abc\"\nscope = \"repo\"\n",
        server.url()
    );
    let out = env.run(&text, &["dev", "-v"]);
    assert_code(&out, 0);
    assert_stdout(&out, "gho_tok_99127\n");
    assert_stderr_contains(&out, "WDJB-MJHT");
    assert_stderr_contains(&out, "authorization pending");
    assert_no_leak(&out, &["dev-code-77812"]);
    assert_eq!(server.count(), 3);
}
