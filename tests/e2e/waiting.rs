//! Saying when waiting: on a terminal, a fetch that is slow or tried again
//! prints one "waiting for URL..." line; without a terminal nothing extra
//! unless `-v`. A `min_ttl` no shorter than the tokens' lifetime is warned
//! about once per profile.

use crate::util::*;

/// A profile file of `p` (0600: it holds a client secret); `extra` must
/// hold `cache = ...`.
fn write(env: &Env, url: &str, extra: &str) -> std::path::PathBuf {
    env.write_profiles_mode(&profile(url, extra), 0o600)
}

fn profile(url: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\ninsecure_http = true\nclient_id = \"c\"\nclient_secret = \"cs-40233\"\n{extra}"
    )
}

/// `script` (util-linux), or `false` after a counted skip.
fn have_script() -> bool {
    let there = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !there {
        component_missing("script (util-linux)", "apt-get install -y bsdutils");
    }
    there
}

/// Runs `gettoken --config CONFIG ARGS` on a pseudo-terminal; what the
/// terminal showed (stdout and stderr together), without CRs.
fn on_a_terminal(env: &Env, config: &std::path::Path, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("gettoken");
    let line = format!("'{}' --config '{}' {args}", bin.display(), config.display());
    let mut cmd = std::process::Command::new("script");
    env.isolate_std(&mut cmd);
    cmd.args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

fn busy_then_token() -> Server {
    Server::replies(vec![
        Reply::json(503, serde_json::json!({"error": "busy"})),
        Reply::json(
            200,
            serde_json::json!({"access_token": "at-waited-1", "expires_in": 3600}),
        ),
    ])
}

#[test]
fn a_retry_on_a_terminal_says_which_try() {
    if !have_script() {
        return;
    }
    let env = Env::new();
    let server = busy_then_token();
    let config = write(&env, &server.url(), "retries = 2\ncache = \"file\"\n");
    let text = on_a_terminal(&env, &config, "p");
    let want = format!(
        "gettoken: waiting for {}/token (try 2 of 3)...\n",
        server.url()
    );
    assert!(text.contains(&want), "{text}");
    assert_eq!(text.matches("waiting for").count(), 1, "{text}");
    assert!(text.contains("at-waited-1"), "{text}");
}

#[test]
fn a_slow_reply_on_a_terminal_is_said_once() {
    if !have_script() {
        return;
    }
    let env = Env::new();
    let server = Server::start(|_, _| {
        std::thread::sleep(std::time::Duration::from_millis(1800));
        Reply::json(
            200,
            serde_json::json!({"access_token": "at-slow-2", "expires_in": 3600}),
        )
    });
    let config = write(&env, &server.url(), "cache = \"file\"\n");
    let text = on_a_terminal(&env, &config, "p");
    let want = format!("gettoken: waiting for {}/token...\n", server.url());
    assert!(text.contains(&want), "{text}");
    assert_eq!(text.matches("waiting for").count(), 1, "{text}");
    assert!(text.contains("at-slow-2"), "{text}");
}

#[test]
fn a_fast_reply_on_a_terminal_says_nothing() {
    if !have_script() {
        return;
    }
    let env = Env::new();
    let server = Server::json(
        200,
        serde_json::json!({"access_token": "at-fast-3", "expires_in": 3600}),
    );
    let config = write(&env, &server.url(), "cache = \"file\"\n");
    let text = on_a_terminal(&env, &config, "p");
    assert_eq!(text, "at-fast-3\n");
}

#[test]
fn without_a_terminal_waiting_is_said_only_with_verbose() {
    let env = Env::new();
    let server = busy_then_token();
    let config = write(&env, &server.url(), "retries = 2\ncache = \"none\"\n");
    let out = env.run_config(&config, &["p"], &[]);
    assert_code(&out, 0);
    assert_eq!(stderr(&out), "");
    let server = busy_then_token();
    let config = write(&env, &server.url(), "retries = 2\ncache = \"none\"\n");
    let out = env.run_config(&config, &["p", "-v"], &[]);
    assert_code(&out, 0);
    assert_stderr_contains(
        &out,
        &format!("waiting for {}/token (try 2 of 3)...", server.url()),
    );
}

#[test]
fn a_min_ttl_as_long_as_the_lifetime_is_warned_about_once() {
    let env = Env::new();
    let server = Server::counting(
        |i| serde_json::json!({"access_token": format!("at-short-{i}"), "expires_in": 30}),
    );
    let config = write(&env, &server.url(), "min_ttl = \"60s\"\ncache = \"file\"\n");
    let warning = "its tokens live";
    // The first call: nothing to say yet.
    let first = env.run_config(&config, &["p"], &[]);
    assert_code(&first, 0);
    assert_eq!(stderr(&first), "");
    // The second drops a valid token for min_ttl: said, once.
    let second = env.run_config(&config, &["p"], &[]);
    assert_code(&second, 0);
    assert_stderr_contains(&second, warning);
    assert_stderr_contains(&second, "min_ttl (60s)");
    assert_eq!(stderr(&second).lines().count(), 1, "{}", stderr(&second));
    let third = env.run_config(&config, &["p"], &[]);
    assert_code(&third, 0);
    assert_eq!(stderr(&third), "");
    assert_eq!(server.count(), 3);
    // A different min_ttl is a different warning.
    let config = write(&env, &server.url(), "min_ttl = \"2m\"\ncache = \"file\"\n");
    let fourth = env.run_config(&config, &["p"], &[]);
    assert_stderr_contains(&fourth, "min_ttl (120s)");
    // A lifetime longer than min_ttl: never said.
    let env = Env::new();
    let server = Server::counting(
        |i| serde_json::json!({"access_token": format!("at-long-{i}"), "expires_in": 90}),
    );
    let config = write(&env, &server.url(), "min_ttl = \"60s\"\ncache = \"file\"\n");
    for _ in 0..2 {
        let out = env.run_config(&config, &["p"], &[]);
        assert_code(&out, 0);
        assert_eq!(stderr(&out), "");
    }
    assert_eq!(server.count(), 1);
}
