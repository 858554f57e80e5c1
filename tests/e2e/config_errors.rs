//! Finding the profiles file and refusing bad ones: where the file is looked
//! for, TOML errors with line and column, unknown keys and profiles with
//! suggestions, reserved profile names, `flavor` spelling, `gettoken list`.

use crate::util::*;

const TOKEN: &str = "cfg-token-11aa22bb";

fn good_profile(name: &str, base: &str) -> String {
    format!(
        r#"
[profiles.{name}]
flavour = "oauth2"
token_url = "{base}/token"
client_id = "cfg-client"
client_secret = "cfg-secret"
"#
    )
}

#[test]
fn bad_toml_exits_2_with_line_and_column() {
    let env = Env::new();
    // The error is on line 5, column 9 (the missing `=`).
    let path = env.write_file(
        "broken.toml",
        "[defaults]\ncache = \"none\"\n\n[profiles.prod]\nflavour \"oauth2\"\n",
    );
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&path)
        .arg("prod")
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
    let err = stderr(&out).to_ascii_lowercase();
    assert!(
        (err.contains("line 5") && err.contains("column 9")) || err.contains(":5:9"),
        "stderr should give line 5, column 9:\n{err}"
    );
}

#[test]
fn unknown_key_exits_2_suggesting_the_nearest() {
    let env = Env::new();
    let out = env.run(
        r#"
[profiles.prod]
flavour = "oauth2"
tokn_url = "http://127.0.0.1:9/token"
client_id = "x"
"#,
        &["prod"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "tokn_url");
    assert_stderr_contains(&out, "token_url");
}

#[test]
fn unknown_key_in_the_response_table_exits_2() {
    let env = Env::new();
    let out = env.run(
        r#"
[profiles.prod]
flavour = "http"
url = "http://127.0.0.1:9/token"

[profiles.prod.response]
token = "/token"
expires_inn = "/ttl"
"#,
        &["prod"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "expires_inn");
    assert_stderr_contains(&out, "expires_in");
}

#[test]
fn unknown_profile_exits_2_naming_the_nearest() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        "{}{}",
        good_profile("production", &server.url()),
        good_profile("staging", &server.url())
    );
    let out = env.run(&text, &["prodution"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "prodution");
    assert_stderr_contains(&out, "production");
    assert_eq!(server.count(), 0);
}

#[test]
fn profile_named_after_a_subcommand_is_refused() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        "{}{}",
        good_profile("list", &server.url()),
        good_profile("ok", &server.url())
    );
    let out = env.run(&text, &["get", "list"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "list");
    let out = env.run(&text, &["ok"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "list");
    assert_eq!(server.count(), 0);
}

#[test]
fn profile_named_forget_is_refused() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        "{}{}",
        good_profile("forget", &server.url()),
        good_profile("ok", &server.url())
    );
    let out = env.run(&text, &["ok"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "forget");
    assert_eq!(server.count(), 0);
}

#[test]
fn flavor_spelling_is_accepted() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        r#"
[profiles.us]
flavor = "oauth2"
token_url = "{}/token"
client_id = "cfg-client"
client_secret = "cfg-secret"
"#,
        server.url()
    );
    let out = env.run(&text, &["us"]);
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[test]
fn unknown_flavour_exits_2() {
    let env = Env::new();
    let out = env.run(
        r#"
[profiles.p]
flavour = "oauth3"
token_url = "http://127.0.0.1:9/token"
"#,
        &["p"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "oauth3");
}

#[test]
fn http_profile_without_a_token_path_exits_2() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        r#"
[profiles.p]
flavour = "http"
url = "{}/token"
"#,
        server.url()
    );
    let out = env.run(&text, &["p"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "token");
    assert_eq!(server.count(), 0, "a configuration error makes no request");
}

#[test]
fn duration_without_a_unit_exits_2() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!("{}timeout = \"30\"\n", good_profile("p", &server.url()));
    let out = env.run(&text, &["p"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "timeout");
    assert_eq!(server.count(), 0);
}

#[test]
fn missing_config_file_exits_2_naming_it() {
    let env = Env::new();
    let missing = env.root().join("nowhere").join("profiles.toml");
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&missing)
        .arg("prod")
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "nowhere");
}

#[test]
fn no_profile_argument_is_a_usage_error() {
    let env = Env::new();
    let out = env.run(&good_profile("p", "http://127.0.0.1:9"), &[]);
    assert_failed_with(&out, 2);
}

#[test]
fn config_found_through_gettoken_config() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let path = env.write_file(
        "elsewhere/my-profiles.toml",
        &Env::profiles_text(&good_profile("viaenv", &server.url())),
    );
    let out = env
        .bare_cmd()
        .env("GETTOKEN_CONFIG", &path)
        .arg("viaenv")
        .output()
        .unwrap();
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[test]
fn config_flag_wins_over_gettoken_config() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let other = env.write_file(
        "other.toml",
        &Env::profiles_text(&good_profile("fromenv", &server.url())),
    );
    let out = env
        .cmd(&good_profile("fromflag", &server.url()))
        .env("GETTOKEN_CONFIG", &other)
        .arg("fromflag")
        .output()
        .unwrap();
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[cfg(target_os = "linux")]
#[test]
fn config_found_in_xdg_config_home() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let path = env.xdg_config_home().join("gettoken").join("profiles.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        Env::profiles_text(&good_profile("viaxdg", &server.url())),
    )
    .unwrap();
    let out = env.bare_cmd().arg("viaxdg").output().unwrap();
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[cfg(target_os = "linux")]
#[test]
fn config_found_in_home_dot_config_without_xdg() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let path = env
        .home()
        .join(".config")
        .join("gettoken")
        .join("profiles.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        Env::profiles_text(&good_profile("viahome", &server.url())),
    )
    .unwrap();
    let out = env
        .bare_cmd()
        .env_remove("XDG_CONFIG_HOME")
        .arg("viahome")
        .output()
        .unwrap();
    assert_stdout(&out, &format!("{TOKEN}\n"));
}

#[test]
fn list_shows_each_profile_with_its_flavour() {
    let env = Env::new();
    let out = env.run(
        r#"
[profiles.alpha-oauth]
flavour = "oauth2"
token_url = "http://127.0.0.1:9/token"
client_id = "a"

[profiles.beta-http]
flavor = "http"
url = "http://127.0.0.1:9/login"

[profiles.beta-http.response]
token = "/t"
"#,
        &["list"],
    );
    assert_code(&out, 0);
    let text = stdout(&out);
    let line_of = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"))
            .to_string()
    };
    assert!(line_of("alpha-oauth").contains("oauth2"), "{text}");
    assert!(line_of("beta-http").contains("http"), "{text}");
    assert!(
        !line_of("beta-http")
            .replace("beta-http", "")
            .contains("oauth2"),
        "{text}"
    );
}

#[test]
fn list_makes_no_request_and_resolves_no_secret() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = format!(
        r#"
[profiles.lazy]
flavour = "oauth2"
token_url = "{}/token"
client_id = "a"
client_secret = {{ env = "GT_NEVER_SET_SECRET" }}
"#,
        server.url()
    );
    let out = env.run(&text, &["list"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("lazy"), "{}", stdout(&out));
    assert_eq!(server.count(), 0);
}
