//! A cache hit in a large profiles file reads only its profile's tables
//! and `[defaults]` (config/scan.rs): it is still never served to a
//! profile that changed, whichever of its tables changed and wherever in
//! the file they are, and it still warns of a file others can read.

use serde_json::json;

use crate::util::*;

/// A counting token endpoint: `big-N` for the N-th request.
fn token_server() -> Server {
    Server::counting(|i| json!({"access_token": format!("big-{i}"), "expires_in": 3600}))
}

/// `n` profiles of every shape the file may hold, none of them `p`.
fn others(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "[profiles.o{i:04}]\nflavour = \"oauth2\"\ntoken_url = \"https://login.example-{i}.invalid/token\"\n\
             client_id = \"client-{i}\"\nclient_secret = {{ env = \"SECRET_{i}\" }}\n\
             scope = [\n  \"api://app-{i}/.default\",\n  \"offline_access\",\n]\n\n"
        ));
        if i % 100 == 0 {
            text.push_str(&format!(
                "  [profiles.\"o{i:04}\".response] # nested\ntoken = \"/t\"\n\n"
            ));
        }
    }
    text
}

/// The file: `[defaults]`, 1,000 others, `p`, 1,000 others, then `p`'s
/// response table far from it (`response` goes in there).
fn file(defaults: &str, server: &Server, own: &str, response: &str) -> String {
    format!(
        "# a team's profiles\n\n[defaults]\nclient_secret = \"s3cret\"\ncache = \"file\"\n{defaults}\n\n{}\
         [profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\n{own}\n\n{}\
         [profiles.p.response]\ntoken = \"/access_token\"\n{response}\n",
        others(1000),
        server.url(),
        others(1000).replace("o0", "q0"),
    )
}

fn token(env: &Env, text: &str) -> String {
    let config = env.write_profiles_mode(text, 0o600);
    let out = env.run_config(&config, &["p"], &[]);
    assert_code(&out, 0);
    assert_eq!(stderr(&out), "", "no warning");
    stdout(&out)
}

#[test]
fn a_hit_in_a_large_file_is_served_only_while_its_tables_are_unchanged() {
    let env = Env::new();
    let server = token_server();
    let base = file("client_id = \"c\"", &server, "scope = \"a\"", "");
    assert_eq!(token(&env, &base), "big-0\n");
    assert_eq!(token(&env, &base), "big-0\n", "a hit");
    // Another profile changed, a comment added: still the hit.
    let other = base
        .replace("client-17\"", "client-17b\"")
        .replace("# a team", "# our team");
    assert_eq!(token(&env, &other), "big-0\n");
    assert_eq!(server.count(), 1);
    // The profile's own table changed: a new token.
    let own = base.replace("scope = \"a\"", "scope = \"a b\"");
    assert_eq!(token(&env, &own), "big-1\n");
    // [defaults] changed (a key the profile takes from there).
    let defaults = own.replace("client_id = \"c\"", "client_id = \"c2\"");
    assert_eq!(token(&env, &defaults), "big-2\n");
    // Its response table, 1,000 profiles below it, changed.
    let response = defaults.replace(
        "token = \"/access_token\"\n\n",
        "token = \"/access_token\"\ntoken_type = \"/token_type\"\n",
    );
    assert!(response != defaults);
    assert_eq!(token(&env, &response), "big-3\n");
    assert_eq!(token(&env, &response), "big-3\n", "a hit again");
    // A written-out secret of [defaults], changed: the credentials digest.
    let secret = response.replace("s3cret", "s3cret-2");
    assert_eq!(token(&env, &secret), "big-4\n");
    assert_eq!(server.count(), 5);
}

#[test]
fn a_large_file_others_can_read_is_still_warned_of_on_a_hit() {
    let env = Env::new();
    let server = token_server();
    // The secret written out is another profile's, far below.
    let text = format!(
        "{}[profiles.z]\nflavour = \"oauth2\"\ntoken_url = \"https://x.invalid/t\"\nclient_id = \"z\"\nclient_secret = \"zz-secret\"\n",
        file("client_id = \"c\"", &server, "", "").replace("client_secret = \"s3cret\"\n", "")
    )
    .replace("[defaults]\n", "[defaults]\nclient_secret = { env = \"P_SECRET\" }\n");
    for expected in ["big-0\n", "big-0\n"] {
        let config = env.write_profiles_mode(&text, 0o644);
        let out = env.run_config(&config, &["p"], &[("P_SECRET", "p-secret")]);
        assert_eq!(stdout(&out), expected, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("`client_secret` of profile `z`")
                && stderr(&out).contains("other users can read it"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(server.count(), 1);
}

#[test]
fn a_mistake_elsewhere_does_not_fail_a_hit_but_one_in_its_tables_does() {
    let env = Env::new();
    let server = token_server();
    let base = file("client_id = \"c\"", &server, "", "");
    assert_eq!(token(&env, &base), "big-0\n");
    // Another profile's mistake: `config check` finds it, the hit serves.
    let elsewhere = base.replace(
        "client_id = \"client-17\"",
        "client_id = \"client-17\"\nretries = \"many\"",
    );
    assert_eq!(token(&env, &elsewhere), "big-0\n");
    let config = env.write_profiles_mode(&elsewhere, 0o600);
    assert_code(&env.run_config(&config, &["config", "check"], &[]), 2);
    // One in the profile's own tables: the full parse's error, line and
    // column, exit 2.
    let own = base.replace(
        "[profiles.p.response]\ntoken = ",
        "[profiles.p.response]\ntokn = ",
    );
    let config = env.write_profiles_mode(&own, 0o600);
    let out = env.run_config(&config, &["p"], &[]);
    assert_code(&out, 2);
    let line = own.lines().position(|l| l.starts_with("tokn")).unwrap() + 1;
    assert_stderr_contains(&out, &format!("profiles.toml:{line}:1: unknown key `tokn`"));
    // A profile named like a command anywhere: refused, as before.
    let reserved = format!("{base}[profiles.list]\nflavour = \"oauth2\"\n");
    let config = env.write_profiles_mode(&reserved, 0o600);
    let out = env.run_config(&config, &["p"], &[]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "a profile cannot be named `list`");
    // No such profile: the did-you-mean of the full parse.
    let out = env.run_config(&env.write_profiles_mode(&base, 0o600), &["o0017x"], &[]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "no profile `o0017x`");
    assert_stderr_contains(&out, "`o0017`");
    assert_eq!(server.count(), 1);
}

#[test]
fn a_chained_profiles_edit_is_seen_by_its_own_hit() {
    let env = Env::new();
    let first = token_server();
    let second = Server::start(|req, i| {
        let subject = req.form_param("subject_token").unwrap_or_default();
        Reply::json(
            200,
            json!({"access_token": format!("ex-{i}-from-{subject}"), "expires_in": 3600}),
        )
    });
    let text = |scope: &str| {
        format!(
            "{}[profiles.ci]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\ncache = \"file\"\nscope = \"{scope}\"\n\n\
             {}[profiles.gw]\nflavour = \"oauth2\"\ngrant = \"token_exchange\"\ntoken_url = \"{}/token\"\nclient_id = \"g\"\nclient_secret = \"t\"\ncache = \"file\"\n\
             subject_token = {{ profile = \"ci\" }}\n",
            others(500),
            first.url(),
            others(500).replace("o0", "q0"),
            second.url()
        )
    };
    assert_eq!(token_of(&env, &text("a"), "gw"), "ex-0-from-big-0\n");
    assert_eq!(token_of(&env, &text("a"), "gw"), "ex-0-from-big-0\n");
    // `ci` changed: its own hit is no more; `gw`'s cached token was
    // fetched with `ci`'s token, not with its settings, and still serves
    // until it expires (as with a file of two profiles).
    assert_eq!(token_of(&env, &text("b"), "ci"), "big-1\n");
    assert_eq!(token_of(&env, &text("b"), "gw"), "ex-0-from-big-0\n");
    assert_eq!((first.count(), second.count()), (2, 1));
}

fn token_of(env: &Env, text: &str, name: &str) -> String {
    let config = env.write_profiles_mode(text, 0o600);
    let out = env.run_config(&config, &[name], &[]);
    assert_code(&out, 0);
    stdout(&out)
}
