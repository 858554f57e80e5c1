//! Per-call overrides (`--scope`, `--audience`, `--resource`, `--param`) on
//! `get`, `exec` and `show`: each set has a cache entry of its own; refresh
//! requests carry the scope and resource.

use crate::util::*;

fn profile(url: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"c\"\nclient_secret = \"cs-77120\"\nscope = \"base\"\ncache = \"file\"\n{extra}"
    )
}

#[test]
fn overrides_give_distinct_cache_entries() {
    let env = Env::new();
    let server = Server::start(|req, i| {
        let scope = req
            .form_param("scope")
            .unwrap_or_default()
            .replace(' ', "+");
        Reply::json(
            200,
            serde_json::json!({"access_token": format!("at-{scope}-{i}"), "expires_in": 3600}),
        )
    });
    let config = env.write_profiles(&profile(&server.url(), ""));
    let get = |args: &[&str]| {
        let out = env.run_config(&config, args, &[]);
        assert_code(&out, 0);
        stdout(&out).trim().to_string()
    };
    let plain = get(&["p"]);
    let other = get(&["p", "--scope", "other"]);
    let res = get(&["get", "p", "--resource", "https://api.example.test"]);
    let param = get(&["p", "--param", "tenant=t1"]);
    assert_eq!(plain, "at-base-0");
    assert_eq!(other, "at-other-1");
    assert_eq!(res, "at-base-2");
    assert_eq!(param, "at-base-3");
    // Each again: from its own cache entry, no request.
    assert_eq!(get(&["p"]), plain);
    assert_eq!(get(&["p", "--scope", "other"]), other);
    assert_eq!(get(&["p", "--resource", "https://api.example.test"]), res);
    assert_eq!(get(&["p", "--param", "tenant=t1"]), param);
    assert_eq!(server.count(), 4);
    let reqs = server.requests();
    assert_eq!(
        reqs[2].form_param("resource").as_deref(),
        Some("https://api.example.test")
    );
    assert_eq!(reqs[3].form_param("tenant").as_deref(), Some("t1"));

    let entries: Vec<String> = std::fs::read_dir(env.root().join("cache/gettoken"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("token~p"))
        .collect();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert!(entries.contains(&"token~p.json".to_string()), "{entries:?}");

    // exec and show take them too.
    let out = env.run_config(
        &config,
        &[
            "exec",
            "p",
            "--scope",
            "other",
            "--",
            "sh",
            "-c",
            "printf %s \"$GETTOKEN_TOKEN\"",
        ],
        &[],
    );
    assert_stdout(&out, &other);
    let shown = env.run_config(&config, &["show", "p", "--scope", "other", "--reveal"], &[]);
    assert_code(&shown, 0);
    assert!(stdout(&shown).contains(&other), "{}", stdout(&shown));
    assert_eq!(server.count(), 4);
    assert_no_leak(&shown, &["cs-77120"]);
}

#[test]
fn refresh_requests_send_the_scope_and_resource() {
    let env = Env::new();
    let server = Server::start(|_, i| {
        Reply::json(
            200,
            serde_json::json!({"access_token": format!("at-{i}"), "expires_in": 1, "refresh_token": format!("rt-{i}")}),
        )
    });
    let config = env.write_profiles(&profile(
        &server.url(),
        "resource = \"https://api.example.test\"\nmin_ttl = \"0s\"\n",
    ));
    assert_stdout(&env.run_config(&config, &["p"], &[]), "at-0\n");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_stdout(&env.run_config(&config, &["p"], &[]), "at-1\n");
    let reqs = server.requests();
    assert_eq!(
        reqs[1].form_param("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(reqs[1].form_param("scope").as_deref(), Some("base"));
    assert_eq!(
        reqs[1].form_param("resource").as_deref(),
        Some("https://api.example.test")
    );
}

#[test]
fn overrides_are_for_oauth2_profiles() {
    let env = Env::new();
    let config = env.write_profiles(
        "[profiles.h]\nflavour = \"http\"\nurl = \"http://127.0.0.1:9/login\"\ncache = \"none\"\n[profiles.h.response]\ntoken = \"/t\"\n",
    );
    let out = env.run_config(&config, &["h", "--scope", "x"], &[]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "for flavour \"oauth2\"");
    let bad = env.run_config(&config, &["h", "--param", "novalue"], &[]);
    assert_failed_with(&bad, 2);
}
