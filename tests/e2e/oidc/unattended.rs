//! Unattended and long-running use (issue 17) against the real server: no
//! login starts when no one can answer, `login` and `logout` (revocation,
//! checked by introspection), no login floods, `exec --refresh`.

use super::*;
use crate::util::*;

/// A device-code profile `dev` of client `client`, cached in a file.
fn device_profile(issuer: &str, client: &str, extra: &str) -> String {
    format!(
        "[profiles.dev]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"{client}\"\nscope = \"openid offline_access\"\nmin_ttl = \"5s\"\ncache = \"file\"\n{extra}"
    )
}

fn device_authorizations(issuer: &str, client: &str) -> u64 {
    count(&stats(issuer, client), "/device_authorizations")
}

const KUBECTL_NOT_INTERACTIVE: &str = r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#;
const KUBECTL_INTERACTIVE: &str = r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}"#;

// --- 1. interactive or not ------------------------------------------------------

/// In `auto` (the default) with no terminal, a login that is due fails at
/// once with exit 3 and the command to run, and asks the server nothing.
#[test]
fn no_login_starts_without_a_terminal() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device-gate", ""));
    let before = device_authorizations(&issuer, "device-gate");
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 5] = [
        (&["dev"], &[("GETTOKEN_INTERACTIVE", "auto")]),
        (&["dev", "-v"], &[("GETTOKEN_INTERACTIVE", "auto")]),
        (&["dev", "--no-interactive"], &[]),
        (&["dev"], &[("GETTOKEN_INTERACTIVE", "never")]),
        (
            &["dev"],
            &[
                ("GETTOKEN_INTERACTIVE", "auto"),
                ("KUBERNETES_EXEC_INFO", KUBECTL_NOT_INTERACTIVE),
            ],
        ),
    ];
    for (args, vars) in cases {
        let started = Instant::now();
        let out = env.run_config(&config, args, vars);
        assert_failed_with(&out, 3);
        assert_stderr_contains(&out, "run `gettoken login dev`");
        assert!(
            !stderr(&out).contains("needs your approval"),
            "{}",
            stderr(&out)
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?}: {:?}",
            started.elapsed()
        );
    }
    // With the default (the variable unset) too.
    let mut cmd = env.bare_cmd();
    cmd.env_remove("GETTOKEN_INTERACTIVE")
        .arg("--config")
        .arg(&config)
        .arg("dev");
    let out = cmd.output().unwrap();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "no terminal");
    assert_eq!(
        device_authorizations(&issuer, "device-gate"),
        before,
        "no device authorization was asked for"
    );
    let bad = env.run_config(&config, &["dev"], &[("GETTOKEN_INTERACTIVE", "sometimes")]);
    assert_failed_with(&bad, 2);
    assert_stderr_contains(&bad, "never, auto or always");
}

/// kubectl saying `interactive: true` lets the login start (no terminal).
#[test]
fn kubectl_saying_interactive_lets_the_login_start() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device",
        "login_timeout = \"2s\"\nlogin_cooldown = \"0s\"\n",
    ));
    let out = env.run_config(
        &config,
        &["dev"],
        &[
            ("GETTOKEN_INTERACTIVE", "auto"),
            ("KUBERNETES_EXEC_INFO", KUBECTL_INTERACTIVE),
        ],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "needs your approval");
    assert_stderr_contains(&out, "not approved within 2s");
}

/// On a terminal (`script` gives the run a pseudo-terminal) the login starts.
#[test]
fn a_terminal_lets_the_login_start() {
    let Some(issuer) = issuer() else { return };
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        component_missing("script (util-linux)", "apt-get install -y bsdutils");
        return;
    }
    let env = Env::new();
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device",
        "login_timeout = \"2s\"\nlogin_cooldown = \"0s\"\n",
    ));
    let bin = assert_cmd::cargo::cargo_bin("gettoken");
    let line = format!("'{}' --config '{}' dev", bin.display(), config.display());
    let mut cmd = std::process::Command::new("script");
    env.isolate_std(&mut cmd);
    cmd.env("GETTOKEN_INTERACTIVE", "auto")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("needs your approval"), "{text}");
    assert!(text.contains("not approved within 2s"), "{text}");
}

/// `{ prompt = ... }` follows the rule: under --no-interactive it is not asked.
#[test]
fn a_prompt_secret_is_not_asked_under_no_interactive() {
    let env = Env::new();
    let config = env.write_profiles(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\ninsecure_http = true\nclient_id = \"c\"\nclient_secret = { prompt = \"Secret\" }\ncache = \"none\"\n",
    );
    let out = env.run_config(&config, &["p", "--no-interactive"], &[]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "GETTOKEN_INTERACTIVE=never");
}

// --- 2. login and logout ----------------------------------------------------------

/// `active` in the server's introspection of `token` (RFC 7662), asked by
/// a confidential client (which may introspect any token).
fn introspect(issuer: &str, token: &str) -> bool {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("cc-basic:cc-basic-secret-7Hq2xv");
    let body = format!("token={}", form_encode(token));
    let reply = http(
        "POST",
        &format!("{issuer}/token/introspection"),
        &[("Authorization", format!("Basic {basic}"))],
        Some(&body),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json: Value = serde_json::from_str(&reply.body).unwrap();
    json["active"].as_bool().expect("active")
}

/// `gettoken login` runs the device login (a person approves) and caches
/// the result; `gettoken logout` revokes both tokens at the server (its
/// introspection says `active: false`) and forgets them.
#[test]
fn login_then_logout_revokes_both_tokens_at_the_server() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(&issuer, "device-logout", ""));
    let login = |env: &Env| {
        let run = Running::start(
            env,
            &config,
            &["login", "dev"],
            &[("GETTOKEN_INTERACTIVE", "auto")],
        );
        let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
        Browser::default().device_login(&complete, None, true);
        let out = run.finish();
        assert_code(&out, 0);
        assert_eq!(stdout(&out), "", "login prints no token");
        assert_stderr_contains(&out, "logged in: `dev`");
        out
    };
    let before = device_authorizations(&issuer, "device-logout");
    login(&env);
    let entry = env.file_cache_entry("dev");
    let record: Value = serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    let access = record["access_token"].as_str().unwrap().to_string();
    let refresh = record["refresh_token"].as_str().unwrap().to_string();
    assert!(introspect(&issuer, &access));
    assert!(introspect(&issuer, &refresh));

    // Whatever is cached (a fresh token here), `login` logs in again.
    let out = login(&env);
    assert_no_leak(&out, &[&access, &refresh]);
    assert_eq!(device_authorizations(&issuer, "device-logout"), before + 2);
    let record: Value = serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    let access = record["access_token"].as_str().unwrap().to_string();
    let refresh = record["refresh_token"].as_str().unwrap().to_string();

    let out = env.run_config(&config, &["logout", "dev", "-v"], &[]);
    assert_code(&out, 0);
    assert_no_leak(&out, &[&access, &refresh]);
    assert_stderr_contains(&out, "revoked the refresh token");
    assert_stderr_contains(&out, "revoked the access token");
    assert_stderr_contains(&out, "forgot the cached token of `dev`");
    assert!(
        !introspect(&issuer, &refresh),
        "the refresh token is revoked"
    );
    assert!(!introspect(&issuer, &access), "the access token is revoked");
    assert!(!entry.exists(), "forgotten locally");
}

/// A server that refuses to revoke: a warning, and the token is forgotten
/// all the same (exit 0). The public client sends its client_id alone.
#[test]
fn logout_is_best_effort_when_the_server_refuses() {
    let env = Env::new();
    let server = Server::start(|req, _| match req.path() {
        "/token" => Reply::json(
            200,
            serde_json::json!({"access_token": "at-logout-5521", "expires_in": 3600, "refresh_token": "rt-logout-8812"}),
        ),
        _ => Reply::json(400, serde_json::json!({"error": "unsupported_token_type"})),
    });
    let config = env.write_profiles(&format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{0}/token\"\nrevocation_url = \"{0}/revoke\"\ngrant = \"password\"\nusername = \"u\"\npassword = \"pw-9921\"\nclient_id = \"pub\"\ncache = \"file\"\n",
        server.url()
    ));
    assert_code(&env.run_config(&config, &["p"], &[]), 0);
    let out = env.run_config(&config, &["logout", "p"], &[]);
    assert_code(&out, 0);
    assert_stderr_contains(
        &out,
        "refused to revoke the refresh token of `p` (HTTP 400: unsupported_token_type)",
    );
    assert_stderr_contains(&out, "forgot the cached token of `p`");
    assert_no_leak(&out, &["at-logout-5521", "rt-logout-8812", "pw-9921"]);
    let revokes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/revoke")
        .collect();
    assert_eq!(revokes.len(), 2);
    assert_eq!(
        revokes[0].form_param("token").as_deref(),
        Some("rt-logout-8812")
    );
    assert_eq!(
        revokes[0].form_param("token_type_hint").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(revokes[0].form_param("client_id").as_deref(), Some("pub"));
    assert_eq!(
        revokes[1].form_param("token").as_deref(),
        Some("at-logout-5521")
    );
    assert!(!env.file_cache_entry("p").exists());
}

// --- 3. no login floods -----------------------------------------------------------

/// After an abandoned login, 50 callers that could start one (kubectl says
/// the call is interactive, as an IDE's background kubectl may) fail at
/// once for `login_cooldown` and cost no device authorization;
/// `gettoken login` ends the cool-down.
#[test]
fn a_flood_after_an_abandoned_login_costs_no_new_device_authorization() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device-flood",
        "login_timeout = \"2s\"\n",
    ));
    let before = device_authorizations(&issuer, "device-flood");
    let abandoned = env.run_config(&config, &["dev"], &[]);
    assert_failed_with(&abandoned, 3);
    assert_stderr_contains(&abandoned, "not approved within 2s");
    assert_eq!(device_authorizations(&issuer, "device-flood"), before + 1);
    let marker = env.root().join("runtime/gettoken/dev.cooldown");
    assert!(marker.exists(), "the marker beside the lock");

    let started = Instant::now();
    let outs: Vec<Output> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..50)
            .map(|_| {
                s.spawn(|| {
                    env.run_config(
                        &config,
                        &["dev"],
                        &[
                            ("GETTOKEN_INTERACTIVE", "auto"),
                            ("KUBERNETES_EXEC_INFO", KUBECTL_INTERACTIVE),
                        ],
                    )
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for out in &outs {
        assert_failed_with(out, 3);
        assert_stderr_contains(out, "login_cooldown");
        assert_stderr_contains(out, "run `gettoken login dev`");
        assert!(
            !stderr(out).contains("needs your approval"),
            "{}",
            stderr(out)
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        device_authorizations(&issuer, "device-flood"),
        before + 1,
        "no new device authorization"
    );

    // `gettoken login` is the person asking: past the cool-down, and ends it.
    let run = Running::start(&env, &config, &["login", "dev"], &[]);
    let complete = run.wait_for("complete URI", |l| after(l, "or open").map(str::to_string));
    Browser::default().device_login(&complete, None, true);
    assert_code(&run.finish(), 0);
    assert!(!marker.exists(), "login ended the cool-down");
    let out = env.run_config(&config, &["dev"], &[("GETTOKEN_INTERACTIVE", "never")]);
    assert_code(&out, 0);
}

/// Without the cool-down (`login_cooldown = "0s"`) each caller starts a
/// login of its own: what the cool-down prevents.
#[test]
fn without_a_cooldown_each_caller_starts_a_login() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    // (`device`: other tests only add to its count.)
    let config = env.write_profiles(&device_profile(
        &issuer,
        "device",
        "login_timeout = \"1s\"\nlogin_cooldown = \"0s\"\n",
    ));
    let mut seen = Vec::new();
    for _ in 0..2 {
        let before = device_authorizations(&issuer, "device");
        let out = env.run_config(&config, &["dev"], &[]);
        assert_failed_with(&out, 3);
        seen.push(device_authorizations(&issuer, "device") - before);
    }
    assert!(seen.iter().all(|n| *n >= 1), "{seen:?}");
    assert!(!env.root().join("runtime/gettoken/dev.cooldown").exists());
}

// --- 4. exec --refresh ------------------------------------------------------------

/// `cc-short`'s tokens live 4 seconds, as JWTs (with a `resource`),
/// renewed 2 s before they expire: a renewal has 2 s to complete however
/// loaded the machine.
fn short_profile(issuer: &str) -> String {
    format!(
        "[profiles.short]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\nclient_id = \"cc-short\"\nclient_secret = \"cc-short-secret-Zt40Pm\"\nresource = \"https://api.example.test\"\nmin_ttl = \"2s\"\ncache = \"file\"\n"
    )
}

fn jwt_exp(token: &str) -> i64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["exp"].as_i64().expect("exp")
}

/// A child reading the token file every second for more than three token
/// lifetimes never reads an expired token; gettoken exits with the child's
/// status and removes the file (mode 0600 while it lived).
#[test]
fn exec_refresh_keeps_a_long_command_supplied() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&short_profile(&issuer));
    let log = env.root().join("reads.log");
    let script = format!(
        "stat -c %a \"$GETTOKEN_TOKEN_FILE\" > '{0}.mode'; echo \"$GETTOKEN_TOKEN_FILE\" > '{0}.path'; \
         i=0; while [ $i -lt 14 ]; do printf '%s %s\\n' \"$(date +%s.%N)\" \"$(cat \"$GETTOKEN_TOKEN_FILE\")\" >> '{0}'; sleep 1; i=$((i+1)); done; exit 7",
        log.display()
    );
    let out = env.run_config(
        &config,
        &["exec", "--refresh", "short", "--", "sh", "-c", &script],
        &[],
    );
    assert_code(&out, 7);
    let mode = std::fs::read_to_string(format!("{}.mode", log.display())).unwrap();
    assert_eq!(mode.trim(), "600");
    let path = std::fs::read_to_string(format!("{}.path", log.display())).unwrap();
    assert!(
        path.trim()
            .starts_with(env.root().join("runtime").to_str().unwrap()),
        "{path}"
    );
    assert!(
        !std::path::Path::new(path.trim()).exists(),
        "the file is removed"
    );
    let reads = std::fs::read_to_string(&log).unwrap();
    let mut tokens = std::collections::BTreeSet::new();
    for line in reads.lines() {
        let (at, token) = line.split_once(' ').unwrap();
        let at: f64 = at.parse().unwrap();
        assert!(!token.is_empty(), "an empty read: {reads}");
        let exp = jwt_exp(token);
        assert!(
            at < exp as f64,
            "read at {at} a token that expired at {exp}\n{reads}"
        );
        tokens.insert(token.to_string());
    }
    assert!(reads.lines().count() >= 13, "{reads}");
    assert!(
        tokens.len() >= 3,
        "renewed across three lifetimes: {}",
        tokens.len()
    );
    for token in &tokens {
        assert_no_leak(&out, &[token]);
    }
}

/// SIGTERM to gettoken goes to the child, whose status gettoken takes.
#[test]
fn exec_refresh_passes_signals_on() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&short_profile(&issuer));
    let mark = env.root().join("got-term");
    let script = format!(
        "trap 'echo yes > \"{}\"; exit 5' TERM; echo ready; while :; do sleep 0.1; done",
        mark.display()
    );
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("gettoken"));
    env.isolate_std(&mut cmd);
    cmd.arg("--config")
        .arg(&config)
        .args(["exec", "--refresh", "short", "--", "sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    std::thread::sleep(Duration::from_millis(200));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "gettoken did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(5));
    assert!(mark.exists(), "the child got SIGTERM");
    let dir = env.root().join("runtime/gettoken");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".token"))
        .collect();
    assert!(left.is_empty(), "the token file is removed");
}
