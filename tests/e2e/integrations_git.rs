//! `gettoken git-credential PROFILE get|store|erase`, driven by the real
//! `git credential fill|approve|reject` through `credential.helper`, in an
//! isolated HOME with no system or user git configuration.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::json;

use crate::tools;
use crate::util::*;

const SECRET: &str = "git-client-secret-77";

/// A token endpoint handing out `gtok-N` for the N-th request.
fn counting_server() -> Server {
    Server::counting(
        |i| json!({"access_token": format!("gtok-{i}"), "token_type": "bearer", "expires_in": 3600}),
    )
}

/// A profile cached in the file store (any machine has one).
fn profile(server: &Server, extra: &str) -> String {
    format!(
        "[profiles.forge]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"{SECRET}\"\ncache = \"file\"\n{extra}\n",
        server.url()
    )
}

/// A test's world: an isolated environment with a profiles file in a
/// directory whose name has a space and a quote (git runs the helper through
/// a shell).
struct World {
    env: Env,
    config: std::path::PathBuf,
}

impl World {
    fn new(profiles: &str) -> World {
        let env = Env::new();
        let config = env.write_file("my 'conf'/profiles.toml", profiles);
        World { env, config }
    }

    /// The helper as written in git's config: a shell command line.
    fn helper(&self) -> String {
        format!(
            "!{} --config {} git-credential forge",
            tools::sh_quote(&tools::gettoken_bin().to_string_lossy()),
            tools::sh_quote(&self.config.to_string_lossy())
        )
    }

    /// `git credential ACTION` with the helper configured, `input` on stdin.
    fn git(&self, action: &str, input: &str) -> Output {
        let mut cmd = tools::command(&self.env, "git");
        cmd.arg("-c")
            .arg(format!("credential.helper={}", self.helper()))
            .args(["credential", action]);
        tools::run(&mut cmd, input.as_bytes())
    }

    /// The helper run directly.
    fn helper_run(&self, operation: &str, input: &str) -> Output {
        let mut cmd = tools::command(&self.env, tools::gettoken_bin());
        cmd.arg("--config")
            .arg(&self.config)
            .args(["git-credential", "forge", operation]);
        tools::run(&mut cmd, input.as_bytes())
    }
}

const REQUEST: &str = "protocol=https\nhost=example.com\n\n";

fn fields(out: &Output) -> BTreeMap<String, String> {
    assert_code(out, 0);
    stdout(out)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// git 2.41 and later pass `password_expiry_utc` on; older ones drop it.
fn git_knows_expiry() -> bool {
    let out = std::process::Command::new("git")
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let version: Vec<u32> = text
        .split_whitespace()
        .nth(2)
        .unwrap_or("0")
        .split('.')
        .take(2)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    version >= vec![2, 41]
}

fn assert_expiry_about_an_hour(value: &str) {
    let at: i64 = value.parse().unwrap();
    assert!((at - (now_unix() + 3600)).abs() <= 5, "{value}");
}

#[test]
fn git_credential_fill_gets_the_token() {
    if !tools::have("git") {
        return;
    }
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    let out = world.git("fill", REQUEST);
    let got = fields(&out);
    assert_eq!(got["protocol"], "https");
    assert_eq!(got["host"], "example.com");
    assert_eq!(got["username"], "oauth2", "the default username");
    assert_eq!(got["password"], "gtok-0");
    if git_knows_expiry() {
        assert_expiry_about_an_hour(&got["password_expiry_utc"]);
    }
    assert_no_leak(&out, &[SECRET]);
    // Asked again: from the cache, no request.
    assert_eq!(fields(&world.git("fill", REQUEST))["password"], "gtok-0");
    assert_eq!(server.count(), 1);
}

#[test]
fn git_username_comes_from_the_profile() {
    if !tools::have("git") {
        return;
    }
    let server = counting_server();
    let world = World::new(&profile(&server, "git_username = \"x-access-token\""));
    let got = fields(&world.git("fill", REQUEST));
    assert_eq!(got["username"], "x-access-token");
    assert_eq!(got["password"], "gtok-0");
}

#[test]
fn git_credential_reject_forgets_the_token() {
    if !tools::have("git") {
        return;
    }
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    assert_eq!(fields(&world.git("fill", REQUEST))["password"], "gtok-0");
    // A password that is not the cached token: another helper's; kept.
    let out = world.git(
        "reject",
        "protocol=https\nhost=example.com\nusername=oauth2\npassword=someone-elses\n\n",
    );
    assert_code(&out, 0);
    assert_eq!(fields(&world.git("fill", REQUEST))["password"], "gtok-0");
    assert_eq!(server.count(), 1);
    // The cached token rejected (a 401 from the forge): forgotten, and the
    // next fill fetches a new one.
    let out = world.git(
        "reject",
        "protocol=https\nhost=example.com\nusername=oauth2\npassword=gtok-0\n\n",
    );
    assert_code(&out, 0);
    assert_eq!(fields(&world.git("fill", REQUEST))["password"], "gtok-1");
    assert_eq!(server.count(), 2);
}

#[test]
fn git_credential_approve_is_accepted_and_ignored() {
    if !tools::have("git") {
        return;
    }
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    let out = world.git(
        "approve",
        "protocol=https\nhost=example.com\nusername=u\npassword=p\n\n",
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
    assert_eq!(server.count(), 0, "store makes no request");
}

#[test]
fn a_refused_token_request_leaves_git_without_a_password() {
    if !tools::have("git") {
        return;
    }
    let server = Server::json(
        401,
        json!({"error": "invalid_client", "error_description": "bad client"}),
    );
    let world = World::new(&profile(&server, ""));
    let out = world.git("fill", REQUEST);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(!stdout(&out).contains("password="), "{out:?}");
    // The helper's own message reaches the user through git's stderr.
    assert_stderr_contains(&out, "invalid_client");
    assert_no_leak(&out, &[SECRET]);
}

#[test]
fn the_helper_speaks_the_protocol_directly() {
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    let out = world.helper_run("get", "protocol=https\r\nhost=example.com\r\n\r\n");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "username=oauth2");
    assert_eq!(lines[1], "password=gtok-0");
    let expiry = lines[2].strip_prefix("password_expiry_utc=").unwrap();
    assert_expiry_about_an_hour(expiry);
    assert!(!stderr(&out).contains("gtok-0"));
    // No request at all (EOF at once) names no protocol: no token.
    let out = world.helper_run("get", "");
    assert_code(&out, 0);
    assert_stdout(&out, "");
    // Operations git may add later are ignored, silently.
    let out = world.helper_run("frobnicate", REQUEST);
    assert_stdout(&out, "");
    assert_eq!(stderr(&out), "");
}

#[test]
fn bad_requests_are_refused_without_quoting_them() {
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    let out = world.helper_run("get", "protocol=https\nhunter2-secretish\n\n");
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "line 2");
    assert!(!stderr(&out).contains("hunter2"));
    let huge = format!("host={}\n\n", "a".repeat(100_000));
    let out = world.helper_run("get", &huge);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "KiB");
    assert_eq!(server.count(), 0);
}

/// Plain http to another host gets no token (git would send it in clear);
/// loopback, or a profile with insecure_http, does.
#[test]
fn plain_http_to_another_host_gets_no_token() {
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    let out = world.helper_run("get", "protocol=http\nhost=example.com\n\n");
    assert_code(&out, 0);
    assert_stdout(&out, "");
    assert_stderr_contains(&out, "over https only");
    assert_eq!(server.count(), 0);
    let out = world.helper_run("get", "protocol=http\nhost=127.0.0.1:3000\n\n");
    assert_eq!(fields(&out)["password"], "gtok-0");
    let world = World::new(&profile(&server, "insecure_http = true"));
    let out = world.helper_run("get", "protocol=http\nhost=example.com\n\n");
    assert!(fields(&out).contains_key("password"));
}

/// `erase` of a token that has a refresh token keeps the refresh token: the
/// next `get` refreshes instead of running the grant (for a device or
/// browser login: instead of asking the user again).
#[test]
fn erase_keeps_the_refresh_token() {
    let server = Server::start(|req, i| {
        let refreshed = req.form_param("grant_type").as_deref() == Some("refresh_token");
        Reply::json(
            200,
            json!({"access_token": format!("gtok-{i}"), "expires_in": 3600,
                   "refresh_token": format!("rt-{i}"), "refreshed": refreshed}),
        )
    });
    let world = World::new(&profile(&server, ""));
    assert_eq!(
        fields(&world.helper_run("get", REQUEST))["password"],
        "gtok-0"
    );
    let out = world.helper_run(
        "erase",
        "protocol=https\nhost=example.com\npassword=gtok-0\n\n",
    );
    assert_code(&out, 0);
    assert_eq!(
        fields(&world.helper_run("get", REQUEST))["password"],
        "gtok-1"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].form_param("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        requests[1].form_param("refresh_token").as_deref(),
        Some("rt-0")
    );
}

/// Only https (and http as above) gets the token: a request naming no
/// protocol, or another one, gets none, and git goes on to its other
/// helpers. What git sent is echoed with its control characters escaped.
#[test]
fn other_or_missing_protocols_get_no_token() {
    let server = counting_server();
    let world = World::new(&profile(&server, ""));
    for (input, says) in [
        ("host=example.com\n\n", "names no protocol"),
        ("protocol=ssh\nhost=example.com\n\n", "`ssh://example.com`"),
        (
            "protocol=HTTPS\nhost=example.com\n\n",
            "`HTTPS://example.com`",
        ),
        (
            "protocol=ftp\nhost=ex\u{1b}[2Jample\u{202E}.com\n\n",
            "ex\\u{1b}[2Jample\\u{202e}.com",
        ),
        ("protocol=http\nhost=example.com\n\n", "over https only"),
    ] {
        for verbose in [false, true] {
            let mut cmd = tools::command(&world.env, tools::gettoken_bin());
            cmd.arg("--config")
                .arg(&world.config)
                .args(["git-credential", "forge", "get"]);
            if verbose {
                cmd.arg("-v");
            }
            let out = tools::run(&mut cmd, input.as_bytes());
            assert_code(&out, 0);
            assert_stdout(&out, "");
            assert_stderr_contains(&out, says);
            let err = stderr(&out);
            assert!(
                !err.chars()
                    .any(|c| (c.is_control() && c != '\n') || c == '\u{202E}'),
                "{err:?}"
            );
            assert_no_leak(&out, &[SECRET, "gtok-"]);
        }
    }
    assert_eq!(server.count(), 0, "no token was fetched");
    // Through the real git: an ssh remote's request gets no password.
    if tools::have("git") {
        let out = world.git("fill", "protocol=ssh\nhost=example.com\nusername=u\n\n");
        assert!(!stdout(&out).contains("password=gtok"), "{out:?}");
        assert_eq!(server.count(), 0);
    }
}
