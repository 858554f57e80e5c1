//! `gettoken config check`, `gettoken config path` and `gettoken init`,
//! and the new command names being refused as profile names.

use std::os::unix::fs::PermissionsExt as _;

use crate::util::*;

fn good(name: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"https://auth.example.com/token\"\n"
    )
}

#[test]
fn config_path_follows_the_location_rules() {
    let env = Env::new();
    // The default: the user's config dir (XDG_CONFIG_HOME here).
    let out = env.bare_cmd().args(["config", "path"]).output().unwrap();
    let default = env.xdg_config_home().join("gettoken").join("profiles.toml");
    assert_stdout(&out, &format!("{}\n", default.display()));
    assert_stderr_contains(&out, "gettoken init");
    // $GETTOKEN_CONFIG, then --config.
    let out = env
        .bare_cmd()
        .env("GETTOKEN_CONFIG", "/from/env.toml")
        .args(["config", "path"])
        .output()
        .unwrap();
    assert_stdout(&out, "/from/env.toml\n");
    let out = env
        .bare_cmd()
        .env("GETTOKEN_CONFIG", "/from/env.toml")
        .args(["--config", "/from/flag.toml", "config", "path"])
        .output()
        .unwrap();
    assert_stdout(&out, "/from/flag.toml\n");
}

#[test]
fn init_writes_a_private_starter_file_that_passes_check() {
    let env = Env::new();
    let path = env.xdg_config_home().join("gettoken").join("profiles.toml");
    std::fs::remove_dir_all(env.xdg_config_home()).unwrap();
    let out = env.bare_cmd().arg("init").output().unwrap();
    assert_code(&out, 0);
    assert_stderr_contains(&out, &path.display().to_string());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.lines().filter(|l| l.starts_with('#')).count() > 10,
        "{text}"
    );

    let out = env.bare_cmd().args(["config", "check"]).output().unwrap();
    assert_stdout(
        &out,
        &format!("{}: 1 profile, no problems\n", path.display()),
    );
    let out = env.bare_cmd().arg("list").output().unwrap();
    assert_code(&out, 0);
    assert!(stdout(&out).contains("example"), "{}", stdout(&out));

    // Never over an existing file.
    std::fs::write(&path, "# mine\n").unwrap();
    let out = env.bare_cmd().arg("init").output().unwrap();
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "already exists");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

#[test]
fn init_honours_config_and_refuses_a_dangling_link() {
    let env = Env::new();
    let path = env.root().join("a/b/c.toml");
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&path)
        .arg("init")
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(path.is_file());
    let link = env.root().join("link.toml");
    std::os::unix::fs::symlink(env.root().join("nowhere.toml"), &link).unwrap();
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&link)
        .arg("init")
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
    assert!(!env.root().join("nowhere.toml").exists());
}

#[test]
fn config_check_lists_every_problem_and_resolves_no_secret() {
    let env = Env::new();
    let marker = env.root().join("secret-was-read");
    let text = format!(
        "{}{}
[profiles.noflavour]
token_url = \"https://a.example/t\"

[profiles.badttl]
flavour = \"oauth2\"
token_url = \"https://a.example/t\"
min_ttl = \"5\"

[profiles.plainhttp]
flavour = \"http\"
url = \"http://remote.example/t\"
[profiles.plainhttp.response]
token = \"/t\"

[profiles.list]
flavour = \"oauth2\"
token_url = \"https://a.example/t\"

[profiles.secrets]
flavour = \"oauth2\"
token_url = \"https://a.example/t\"
client_id = \"c\"
client_secret = {{ command = [\"touch\", \"{}\"] }}
password = {{ env = \"GT_UNSET_VAR_5\" }}
grant = \"password\"
username = \"u\"
",
        good("ok1"),
        good("ok2"),
        marker.display()
    );
    let out = env.run_as_is(&text, &["config", "check"], &[]);
    assert_failed_with(&out, 2);
    let err = stderr(&out);
    for name in ["noflavour", "badttl", "plainhttp", "list"] {
        assert!(err.contains(&format!("profile `{name}`")), "{name}:\n{err}");
    }
    for ok in ["ok1", "ok2", "secrets"] {
        assert!(!err.contains(&format!("`{ok}`")), "{ok}:\n{err}");
    }
    assert!(err.contains("4 problems"), "{err}");
    assert!(!marker.exists(), "a secret was resolved");

    let out = env.run_as_is(
        &format!("{}{}", good("ok1"), good("ok2")),
        &["config", "check"],
        &[],
    );
    assert_code(&out, 0);
    assert!(
        stdout(&out).ends_with(": 2 profiles, no problems\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn config_check_of_bad_toml_or_no_file_exits_2() {
    let env = Env::new();
    let out = env.run_as_is(
        "[profiles.a]\nflavour = \"oauth2\"\ntoken_url = \n",
        &["config", "check"],
        &[],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "profiles.toml:3:");
    let out = env
        .bare_cmd()
        .args(["--config", "/nonexistent/p.toml", "config", "check"])
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "/nonexistent/p.toml");
}

/// Commands added after docs/CONFIG.md reserve no names: a file with such a
/// profile keeps working, the profile is reached with `get`, and `config
/// check` says so. The original commands stay reserved.
#[test]
fn the_new_commands_leave_existing_profiles_working() {
    let env = Env::new();
    let server = Server::token("shown-tok-1");
    let reach = |name: &str| {
        format!(
            "[profiles.\"{name}\"]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\n",
            server.url()
        )
    };
    for name in ["exec", "show", "config", "init", "git-credential", "man"] {
        let text = format!("{}{}", reach(name), good("ok"));
        let out = env.run_as_is(&text, &["list"], &[]);
        assert_code(&out, 0);
        let out = env.run_as_is(&text, &["get", name], &[]);
        assert_code(&out, 0);
        assert_stdout(&out, "shown-tok-1\n");
        let out = env.run_as_is(&text, &["config", "check"], &[]);
        assert_code(&out, 0);
        assert_stderr_contains(&out, &format!("get its token with `gettoken get {name}`"));
    }
    for name in ["get", "list", "forget", "secret", "completions", "help"] {
        let text = format!("{}{}", good(&format!("\"{name}\"")), good("ok"));
        let out = env.run_as_is(&text, &["ok"], &[]);
        assert_failed_with(&out, 2);
        assert_stderr_contains(&out, &format!("`{name}`"));
    }
}
