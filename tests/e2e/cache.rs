//! The token cache against the real stores: the file store, the kernel
//! keyring (no session bus), and gnome-keyring's Secret Service on the
//! private bus that scripts/test-env.sh starts. Under CI=true a missing
//! component fails the test; elsewhere it is skipped and counted in the
//! summary of scripts/test.sh (util::component_missing).

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::util::*;

/// A counting token endpoint: token `tok-N` for the N-th request.
fn token_server(expires_in: i64) -> Server {
    Server::counting(
        move |i| json!({"access_token": format!("tok-{i}"), "token_type": "bearer", "expires_in": expires_in}),
    )
}

fn profile(name: &str, server: &Server, cache: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"s3cret-c\"\ncache = \"{cache}\"\nmin_ttl = \"0s\"\n{extra}\n",
        server.url()
    )
}

fn ok_stdout(out: &std::process::Output) -> String {
    assert_code(out, 0);
    stdout(out)
}

/// The store-independent checks, run against one store.
fn second_call_is_a_hit(cache: &str, vars: &[(&str, &str)]) {
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("hit");
    let profiles = profile(&name, &server, cache, "");
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], vars)),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], vars)),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name, "-H"], vars)),
        "Authorization: Bearer tok-0\n"
    );
    assert_eq!(
        server.count(),
        1,
        "a cached token is served without a request"
    );
    let list = ok_stdout(&env.run_as_is(&profiles, &["list"], vars));
    assert!(list.contains(&name) && list.contains("valid for"), "{list}");
    // forget drops it: the next call fetches.
    assert_code(&env.run_as_is(&profiles, &["forget", &name], vars), 0);
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], vars)),
        "tok-1\n"
    );
    assert_code(&env.run_as_is(&profiles, &["forget", &name], vars), 0);
}

#[test]
fn file_store_serves_the_second_call() {
    second_call_is_a_hit("file", &[]);
}

#[test]
fn kernel_keyring_serves_the_second_call_without_a_bus() {
    second_call_is_a_hit("keyring", &[]);
}

#[test]
fn secret_service_serves_the_second_call() {
    let Some(bus) = secret_service_bus() else {
        return;
    };
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("ss");
    let profiles = profile(&name, &server, "keyring", "");
    let vars = [("DBUS_SESSION_BUS_ADDRESS", bus.as_str())];
    let first = env.run_as_is(&profiles, &[&name, "-v"], &vars);
    assert_eq!(ok_stdout(&first), "tok-0\n");
    assert_stderr_contains(&first, "cached in the Secret Service");
    // The entry is really in the Secret Service, under one service name.
    let looked_up = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "gettoken",
            "username",
            &format!("token/{name}"),
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .output()
        .expect("secret-tool");
    let record: serde_json::Value =
        serde_json::from_slice(&looked_up.stdout).expect("a JSON record");
    assert_eq!(record["access_token"], "tok-0");
    assert_eq!(record["v"], 1);
    // The hit is read by the light client (one bus connection, a plain
    // session), not the full one.
    let hit = env.run_as_is(&profiles, &[&name, "-v"], &vars);
    assert_eq!(ok_stdout(&hit), "tok-0\n");
    assert_stderr_contains(&hit, "found in the Secret Service (direct lookup)");
    assert_eq!(server.count(), 1);
    assert_code(&env.run_as_is(&profiles, &["forget", &name], &vars), 0);
}

#[test]
fn a_token_is_fetched_again_when_it_runs_out() {
    let env = Env::new();
    let server = token_server(2);
    let name = unique("short");
    let profiles = profile(&name, &server, "file", "");
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-1\n"
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn min_ttl_renews_early_and_the_flag_overrides_it() {
    let env = Env::new();
    let server = token_server(100);
    let name = unique("ttl");
    let profiles =
        profile(&name, &server, "file", "").replace("min_ttl = \"0s\"", "min_ttl = \"200s\"");
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-1\n",
        "100s left < min_ttl 200s"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name, "--min-ttl", "10s"], &[])),
        "tok-1\n"
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn force_and_no_cache() {
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("force");
    let profiles = profile(&name, &server, "file", "");
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name, "--force"], &[])),
        "tok-1\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-1\n",
        "--force caches its token"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name, "--no-cache"], &[])),
        "tok-2\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-1\n",
        "--no-cache writes nothing"
    );
}

#[test]
fn a_cache_hit_resolves_no_secret() {
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("lazy");
    let counter = env.root().join("resolved");
    let profiles = profile(&name, &server, "file", "").replace(
        "client_secret = \"s3cret-c\"",
        &format!(
            "client_secret = {{ command = [\"sh\", \"-c\", \"echo x >> '{}'; printf s3cret-c\"] }}",
            counter.display()
        ),
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&profiles, &[&name], &[])),
        "tok-0\n"
    );
    let resolved = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(
        resolved.lines().count(),
        1,
        "the secret command ran for the fetch only"
    );
}

#[test]
fn a_changed_profile_never_gets_the_old_token() {
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("changed");
    let before = profile(&name, &server, "file", "scope = \"read\"");
    let after = profile(&name, &server, "file", "scope = \"admin\"");
    assert_eq!(ok_stdout(&env.run_as_is(&before, &[&name], &[])), "tok-0\n");
    assert_eq!(ok_stdout(&env.run_as_is(&after, &[&name], &[])), "tok-1\n");
    assert_eq!(
        server.requests()[1].form_param("scope").as_deref(),
        Some("admin")
    );
    // Display settings are not part of the fingerprint.
    let display = profile(
        &name,
        &server,
        "file",
        "scope = \"admin\"\noutput = \"header\"",
    );
    assert_eq!(
        ok_stdout(&env.run_as_is(&display, &[&name], &[])),
        "Authorization: Bearer tok-1\n"
    );
}

#[test]
fn refresh_token_is_used_and_rotated_and_falls_back_when_refused() {
    let env = Env::new();
    // Tokens last 5 s and min_ttl is 10 s: every call needs a new one.
    let server = Server::start(|req, i| {
        let grant = req.form_param("grant_type").unwrap_or_default();
        if grant == "refresh_token"
            && req.form_param("refresh_token").as_deref() == Some("rt-revoked")
        {
            return Reply::json(
                400,
                json!({"error": "invalid_grant", "error_description": "refresh token revoked"}),
            );
        }
        let refresh = if i == 2 {
            "rt-revoked".to_string()
        } else {
            format!("rt-{i}")
        };
        Reply::json(
            200,
            json!({"access_token": format!("tok-{i}"), "expires_in": 5, "refresh_token": refresh}),
        )
    });
    let name = unique("refresh");
    let profiles =
        profile(&name, &server, "file", "").replace("min_ttl = \"0s\"", "min_ttl = \"10s\"");
    for expected in ["tok-0", "tok-1", "tok-2", "tok-4"] {
        let out = env.run_as_is(&profiles, &[&name, "-v"], &[]);
        assert_eq!(ok_stdout(&out), format!("{expected}\n"));
        assert_no_leak(&out, &["s3cret-c", "rt-0", "rt-1", "rt-revoked"]);
    }
    let grants: Vec<(String, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.form_param("grant_type").unwrap(),
                r.form_param("refresh_token"),
            )
        })
        .collect();
    assert_eq!(
        grants,
        vec![
            ("client_credentials".into(), None),
            ("refresh_token".into(), Some("rt-0".into())),
            ("refresh_token".into(), Some("rt-1".into()),),
            ("refresh_token".into(), Some("rt-revoked".into())),
            ("client_credentials".into(), None),
        ],
        "refresh first with the rotated token; the profile's grant when refused"
    );
}

/// `n` gettoken processes started at once with the profiles file at `path`
/// and `args`, and what each printed.
fn all_at_once(
    env: &Env,
    n: usize,
    path: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Vec<std::process::Output> {
    let children: Vec<std::process::Child> = (0..n)
        .map(|_| {
            let mut cmd = Command::new(crate::util::gettoken_bin());
            env.isolate_std(&mut cmd);
            cmd.arg("--config").arg(path).args(args);
            for (k, v) in vars {
                cmd.env(k, v);
            }
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn stampede(cache: &str, vars: &[(&str, &str)]) {
    let env = Env::new();
    let server = Server::start(|_, i| {
        std::thread::sleep(Duration::from_millis(300));
        Reply::json(
            200,
            json!({"access_token": format!("tok-{i}"), "expires_in": 3600}),
        )
    });
    let name = unique("stampede");
    let path = env.write_profiles(&profile(&name, &server, cache, ""));
    let outputs = all_at_once(&env, 50, &path, &[&name], vars);
    for out in &outputs {
        assert_eq!(ok_stdout(out), "tok-0\n");
    }
    assert_eq!(server.count(), 1, "50 parallel calls make one request");
    assert_code(
        &env.run_as_is(&env_profiles(&path), &["forget", &name], vars),
        0,
    );
}

#[test]
fn fifty_parallel_calls_make_one_request_file_store() {
    stampede("file", &[]);
}

#[test]
fn fifty_parallel_calls_make_one_request_kernel_keyring() {
    stampede("keyring", &[]);
}

/// On a desktop: the waiters wait for the fetcher's shared lock, then read
/// the Secret Service side by side.
#[test]
fn fifty_parallel_calls_make_one_request_secret_service() {
    let Some(bus) = secret_service_bus() else {
        return;
    };
    stampede("keyring", &[("DBUS_SESSION_BUS_ADDRESS", bus.as_str())]);
}

/// A stampede on a token too old for the callers' `min_ttl`: every waiter
/// read the old token before its wait, and reads the new one after it on
/// the same Secret Service connection (one round trip, no new client of
/// the bus), never a stale value.
#[test]
fn stampede_waiters_read_the_new_token_on_their_open_connection() {
    let Some(bus) = secret_service_bus() else {
        return;
    };
    let env = Env::new();
    // The first token lives 100 s, every later one an hour: with
    // `--min-ttl 1000s` the first is too old and the next is not.
    let server = Server::start(|_, i| {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(300));
        }
        let life = if i == 0 { 100 } else { 3600 };
        Reply::json(
            200,
            json!({"access_token": format!("tok-{i}"), "expires_in": life}),
        )
    });
    let name = unique("ssreread");
    let path = env.write_profiles(&profile(&name, &server, "keyring", ""));
    let vars = [("DBUS_SESSION_BUS_ADDRESS", bus.as_str())];
    let first = env.run_as_is(&env_profiles(&path), &[&name], &vars);
    assert_eq!(ok_stdout(&first), "tok-0\n");
    let outputs = all_at_once(&env, 20, &path, &[&name, "--min-ttl", "1000s", "-v"], &vars);
    for out in &outputs {
        assert_eq!(ok_stdout(out), "tok-1\n");
    }
    assert_eq!(server.count(), 2, "the priming call and one for the 20");
    let reread = outputs
        .iter()
        .filter(|o| {
            let err = String::from_utf8_lossy(&o.stderr);
            err.contains("the item read again on the connection already open")
                && err.contains("fetched by another gettoken")
        })
        .count();
    assert!(
        reread > 0,
        "no waiter read the new token on its open connection: {}",
        String::from_utf8_lossy(&outputs[1].stderr)
    );
    assert_code(
        &env.run_as_is(&env_profiles(&path), &["forget", &name], &vars),
        0,
    );
}

/// The items the Secret Service holds for `name`: (label, secret).
fn secret_service_items(bus: &str, name: &str) -> Vec<(String, String)> {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "gettoken"])
        .args(["username", &format!("token/{name}")])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .expect("secret-tool");
    // secret-tool prints the attributes on stderr, the rest on stdout.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut items = Vec::new();
    let mut label = None;
    for line in text.lines() {
        if let Some(l) = line.strip_prefix("label = ") {
            label = Some(l.to_string());
        } else if let Some(s) = line.strip_prefix("secret = ") {
            items.push((label.take().unwrap_or_default(), s.to_string()));
        }
    }
    items
}

/// A fetch writes the Secret Service through the light client: one item,
/// the keyring store's label and attributes, updated in place by the next
/// fetch, and an item an older gettoken (the full client) made is the one
/// updated.
#[test]
fn a_fetch_writes_one_secret_service_item_and_updates_it() {
    let Some(bus) = secret_service_bus() else {
        return;
    };
    let env = Env::new();
    let server = token_server(3600);
    let name = unique("ssw");
    let profiles = profile(&name, &server, "keyring", "");
    let vars = [("DBUS_SESSION_BUS_ADDRESS", bus.as_str())];
    let label = format!("keyring:token/{name}@gettoken");
    let token_of = |items: &[(String, String)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(l, s)| {
                let record: serde_json::Value = serde_json::from_str(s).expect("a JSON record");
                (
                    l.clone(),
                    record["access_token"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let first = env.run_as_is(&profiles, &[&name, "-v"], &vars);
    assert_eq!(ok_stdout(&first), "tok-0\n");
    assert_stderr_contains(&first, "written to the Secret Service (direct)");
    assert_stderr_contains(&first, "cached in the Secret Service");
    assert!(
        !stderr(&first).contains("asking the full client"),
        "{}",
        stderr(&first)
    );
    assert_eq!(
        token_of(&secret_service_items(&bus, &name)),
        [(label.clone(), "tok-0".to_string())]
    );
    let again = env.run_as_is(&profiles, &[&name, "--force", "-v"], &vars);
    assert_eq!(ok_stdout(&again), "tok-1\n");
    assert_stderr_contains(&again, "written to the Secret Service (direct)");
    assert_eq!(
        token_of(&secret_service_items(&bus, &name)),
        [(label.clone(), "tok-1".to_string())]
    );
    // An item made otherwise (by the full client, or by hand) under the
    // same attributes is the one written.
    assert_code(&env.run_as_is(&profiles, &["forget", &name], &vars), 0);
    let mut store = Command::new("secret-tool")
        .args(["store", "--label=made by hand", "service", "gettoken"])
        .args(["username", &format!("token/{name}")])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool");
    use std::io::Write as _;
    store.stdin.take().unwrap().write_all(b"{}").unwrap();
    assert!(store.wait().unwrap().success());
    let third = env.run_as_is(&profiles, &[&name, "-v"], &vars);
    assert_eq!(ok_stdout(&third), "tok-2\n");
    assert_stderr_contains(&third, "written to the Secret Service (direct)");
    assert_eq!(
        token_of(&secret_service_items(&bus, &name)),
        [("made by hand".to_string(), "tok-2".to_string())]
    );
    assert_code(&env.run_as_is(&profiles, &["forget", &name], &vars), 0);
    assert!(secret_service_items(&bus, &name).is_empty());
}

fn env_profiles(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// `gettoken secret set` (from stdin) feeds `{ keyring = "NAME" }`;
/// `secret delete` removes it; `forget --all` drops every profile's token.
#[test]
fn keyring_secrets_and_forget_all() {
    let env = Env::new();
    let server = Server::start(|req, i| {
        if req.basic_auth().map(|(_, s)| s).as_deref() == Some("from-the-keyring-42") {
            Reply::json(
                200,
                json!({"access_token": format!("tok-{i}"), "expires_in": 3600}),
            )
        } else {
            Reply::json(401, json!({"error": "invalid_client"}))
        }
    });
    let name = unique("kr");
    let secret = unique("secret");
    let profiles = profile(&name, &server, "keyring", "").replace(
        "client_secret = \"s3cret-c\"",
        &format!("client_secret = {{ keyring = \"{secret}\" }}"),
    );
    let path = env.write_profiles(&profiles);
    let set = env
        .bare_cmd()
        .args(["secret", "set", &secret])
        .write_stdin("from-the-keyring-42\n")
        .output()
        .unwrap();
    assert_code(&set, 0);
    assert_no_leak(&set, &["from-the-keyring-42"]);
    let out = env.run_as_is(&profiles, &[&name, "-v"], &[]);
    assert_eq!(ok_stdout(&out), "tok-0\n");
    assert_no_leak(&out, &["from-the-keyring-42"]);

    assert_code(
        &env.bare_cmd()
            .arg("--config")
            .arg(&path)
            .args(["forget", "--all"])
            .output()
            .unwrap(),
        0,
    );
    assert_code(
        &env.bare_cmd()
            .args(["secret", "delete", &secret])
            .output()
            .unwrap(),
        0,
    );
    // Token forgotten, secret gone: the next call must fetch and cannot.
    let out = env.run_as_is(&profiles, &[&name], &[]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, &format!("gettoken secret set {secret}"));
    assert_eq!(server.count(), 1);
    assert_code(
        &env.bare_cmd()
            .args(["secret", "delete", &secret])
            .output()
            .unwrap(),
        2,
    );
}
