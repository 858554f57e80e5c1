//! Where secrets and tokens rest: a warning for a profiles file that other
//! users can read and that holds a secret written out; tokens and refresh
//! tokens written nowhere but the chosen cache store.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::util::*;

const SECRET: &str = "at-rest-secret-3e9a";

fn token_server() -> Server {
    Server::counting(|i| json!({"access_token": format!("rest-token-{i}"), "expires_in": 3600}))
}

fn profile(name: &str, url: &str, secret: &str, cache: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"c\"\n\
         client_secret = {secret}\ncache = \"{cache}\"\n"
    )
}

fn warnings(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("gettoken: warning:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_written_out_secret_in_a_file_others_can_read_is_warned_of() {
    let server = token_server();
    let env = Env::new();
    let literal = format!("\"{SECRET}\"");
    let text = profile("prod", &server.url(), &literal, "file");
    for mode in [0o644, 0o640, 0o604] {
        let config = env.write_profiles_mode(&text, mode);
        // A fetch, then a cache hit: both warn, once.
        for expected in ["rest-token-0", "rest-token-0"] {
            let out = env.run_config(&config, &["prod", "-v"], &[]);
            assert_token_only_on_stdout(&out, expected);
            let lines = warnings(&out);
            assert_eq!(lines.len(), 1, "one warning: {lines:?}");
            let path = config.display().to_string();
            for part in [
                path.as_str(),
                "`client_secret` of profile `prod`",
                "other users can read it",
                &format!("`chmod 600 {path}`"),
                "{ env = \"...\" }",
                "{ keyring = \"...\" }",
            ] {
                assert!(lines[0].contains(part), "{part:?} in {}", lines[0]);
            }
            assert_no_leak(&out, &[SECRET]);
        }
    }
    // Private again: no warning.
    let config = env.write_profiles_mode(&text, 0o600);
    let out = env.run_config(&config, &["prod"], &[]);
    assert_token_only_on_stdout(&out, "rest-token-0");
    assert_eq!(stderr(&out), "");
    assert_eq!(server.count(), 1);
}

#[test]
fn secret_sources_and_public_values_are_not_warned_of() {
    let server = token_server();
    let env = Env::new();
    let text = format!(
        "{}headers = {{ X-Tenant = \"t1\" }}\nparams = {{ client_assertion_type = \"urn:x\" }}\n",
        profile(
            "prod",
            &server.url(),
            "{ env = \"AT_REST_SECRET\" }",
            "none"
        )
    );
    let config = env.write_profiles_mode(&text, 0o644);
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&config)
        .arg("prod")
        .env("AT_REST_SECRET", SECRET)
        .output()
        .unwrap();
    assert_token_only_on_stdout(&out, "rest-token-0");
    assert_eq!(warnings(&out), Vec::<String>::new());
}

#[test]
fn config_check_reports_a_written_out_secret_others_can_read() {
    let env = Env::new();
    let text = format!(
        "[defaults]\npassword = \"{SECRET}\"\n\n{}",
        profile(
            "ci",
            "https://auth.example.invalid",
            &format!("\"{SECRET}\""),
            "none"
        )
    );
    let config = env.write_profiles_mode(&text, 0o644);
    let out = env.run_config(&config, &["config", "check"], &[]);
    // A warning is no problem (exit 0), but counted, one per key, each
    // where the secret is written.
    assert_stdout(
        &out,
        &format!("{}: 1 profile, no problems, 2 warnings\n", config.display()),
    );
    let lines = warnings(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let at = |place: &str| {
        format!(
            "gettoken: warning: {}:{place}: a secret written out, and other users can read the file: run `chmod 600 {}`",
            config.display(),
            config.display()
        )
    };
    assert!(
        lines[0].starts_with(&at("2:12: [defaults]: key `password`")),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&at("8:17: profile `ci`: key `client_secret`")),
        "{}",
        lines[1]
    );
    assert_no_leak(&out, &[SECRET]);

    let config = env.write_profiles_mode(&text, 0o600);
    let out = env.run_config(&config, &["config", "check"], &[]);
    assert_code(&out, 0);
    assert_eq!(warnings(&out), Vec::<String>::new());
}

/// Fetches (then refreshes) tokens with `cache`, with every directory the
/// process may write to (HOME, XDG dirs, runtime dir, TMPDIR, the working
/// directory) inside the test's own, then looks at every file there.
fn tokens_rest_only_in(cache: &str, vars: &[(&str, &str)]) {
    let env = Env::new();
    // Every token lasts 5 s and min_ttl is 10 s: each call needs a new one,
    // by the refresh token when there is a cache.
    let server = Server::counting(|i| {
        json!({"access_token": format!("rest-access-{i}-7c1d"), "expires_in": 5,
               "refresh_token": format!("rest-refresh-{i}-8e2f")})
    });
    let name = unique("rest");
    let text = format!(
        "{}min_ttl = \"10s\"\n",
        profile(&name, &server.url(), &format!("\"{SECRET}\""), cache)
    );
    let config = env.write_profiles_mode(&text, 0o600);
    for i in 0..3 {
        // TMPDIR too is inside env.root() (Env::isolation).
        let out = env.run_config(&config, &[&name], vars);
        assert_token_only_on_stdout(&out, &format!("rest-access-{i}-7c1d"));
    }
    let grants: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.form_param("grant_type").unwrap())
        .collect();
    let refreshed = if cache == "none" {
        "client_credentials"
    } else {
        "refresh_token"
    };
    assert_eq!(grants, ["client_credentials", refreshed, refreshed]);
    let entry = env.file_cache_entry(&name);
    for i in 0..3 {
        for value in [
            format!("rest-access-{i}-7c1d"),
            format!("rest-refresh-{i}-8e2f"),
        ] {
            let found = files_containing(env.root(), &value);
            let allowed: Vec<PathBuf> = if cache == "file" && i == 2 {
                vec![entry.clone()]
            } else {
                vec![]
            };
            assert_eq!(found, allowed, "files holding {value} with cache = {cache}");
        }
    }
    let lock = env
        .root()
        .join("runtime/gettoken")
        .join(format!("{name}.lock"));
    assert_eq!(lock.exists(), cache != "none", "{}", lock.display());
    if cache == "file" {
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&entry), 0o600);
        assert_eq!(mode(entry.parent().unwrap()), 0o700);
    }
    assert_code(&env.run_config(&config, &["forget", &name], vars), 0);
}

#[test]
fn tokens_rest_only_in_the_kernel_keyring() {
    tokens_rest_only_in("keyring", &[]);
}

#[test]
fn tokens_rest_only_in_the_secret_service() {
    let Some(bus) = secret_service_bus() else {
        return;
    };
    tokens_rest_only_in("keyring", &[("DBUS_SESSION_BUS_ADDRESS", &bus)]);
}

#[test]
fn tokens_rest_only_in_the_cache_file() {
    tokens_rest_only_in("file", &[]);
}

#[test]
fn tokens_rest_nowhere_without_a_cache() {
    tokens_rest_only_in("none", &[]);
}
