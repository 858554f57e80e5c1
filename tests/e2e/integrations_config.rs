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

/// A file with problems of every kind in several tables: `config check`
/// reports each once (a `[defaults]` value that breaks several profiles
/// too), as `FILE:LINE:COLUMN: WHERE: key `KEY`: MESSAGE`, in the order of
/// the file, then counts them; no secret is resolved. `gettoken PROFILE`
/// still stops at the first problem of the file, as before.
#[test]
fn config_check_places_every_problem_of_every_profile_once() {
    let env = Env::new();
    let marker = env.root().join("secret-was-read");
    let text = format!(
        r#"[defaults]
min_ttl = "60"
flavour = "oauth2"

[profiles.a]
flavour = "oauth2"
token_url = "https://a.example/t"
scope = 5
cache = "keyrnig"
tokne = "x"

[profiles.b]
flavour = "http"
url = "http://remote.example/t"
method = "FETCH X"
[profiles.b.response]
tokne = "/t"
expires_in = "expires"

[profiles.c]
flavour = "oauth3"
token_url = "https://a.example/t"

[profiles.d]
flavour = "oauth2"
issuer = "https://i.example/#frag"
grant = "password"
client_secret = {{ command = ["touch", "{}"] }}
timeout = "0s"
login_timeout = "3y"

[profiles.fine]
flavour = "oauth2"
token_url = "https://a.example/t"
min_ttl = "1m"

[consumers.docker]
"r.example" = "nope"

[consumer.npm]
"#,
        marker.display()
    );
    let out = env.run_as_is(&text, &["config", "check"], &[]);
    assert_failed_with(&out, 2);
    let path = env.root().join("profiles.toml");
    let file = path.display().to_string();
    let expected = [
        "2:11: [defaults]: key `min_ttl`: duration `60` has no unit",
        "3:1: [defaults]: key `flavour`: cannot be set in [defaults]: set it in each profile",
        "8:9: profile `a`: key `scope`: expected a string or a list of strings",
        "9:9: profile `a`: key `cache`: unknown value `keyrnig`; did you mean `keyring`?",
        "10:1: profile `a`: key `tokne`: unknown key; did you mean `token_url`?",
        "12:1: profile `b`: key `response.token`: flavour \"http\" needs `response.token`",
        "14:7: profile `b`: key `url`: `http://remote.example/t` is plain http",
        "15:10: profile `b`: key `method`: \"FETCH X\" is not an HTTP method",
        "17:1: profile `b`: key `response.tokne`: unknown key; did you mean one of `token`, `token_type`?",
        "18:14: profile `b`: key `response.expires_in`: response `expires_in` = \"expires\" is not a JSON Pointer",
        "21:11: profile `c`: key `flavour`: unknown flavour \"oauth3\"",
        "24:1: profile `d`: key `client_id`: grant \"password\" needs `client_id`",
        "24:1: profile `d`: key `password`: grant \"password\" needs `password`",
        "24:1: profile `d`: key `username`: grant \"password\" needs `username`",
        "26:10: profile `d`: key `issuer`: has a fragment (`#...`), which is never sent",
        "29:11: profile `d`: key `timeout`: must be more than 0s",
        "30:17: profile `d`: key `login_timeout`: duration `3y` has an unknown unit `y`",
        "38:1: [consumers.docker]: key `r.example`: names no profile of the file: `nope`",
        "40:2: key `consumer`: unknown key; did you mean `consumers`?",
    ];
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("gettoken: error: "))
        .collect();
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("{file}:{want}")),
            "{line}\nis not\n{file}:{want}\n{err}"
        );
    }
    assert_eq!(
        lines.last().unwrap(),
        &format!("{file}: 5 profiles, 19 problems"),
        "{err}"
    );
    assert!(!err.contains("`fine`"), "{err}");
    assert!(!marker.exists(), "a secret was resolved");

    // The command a profile is fetched with stops at the first problem of
    // the file, with the message it always gave.
    let out = env.run_as_is(&text, &["fine"], &[]);
    assert_failed_with(&out, 2);
    let err = stderr(&out);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("gettoken: error:"))
            .count(),
        1,
        "{err}"
    );
    assert_stderr_contains(&out, &format!("{file}:8:9: a string or a list of strings"));
}

/// Warnings alone are no problem: exit 0, each warning placed and counted
/// apart in the summary on stdout; `-q` silences them, not the count.
#[test]
fn config_check_with_only_warnings_exits_0_and_counts_them() {
    let env = Env::new();
    let text = "[profiles.exec]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"c\"\nclient_secret = \"written-out-7f3c\"\n";
    let config = env.write_profiles_mode(text, 0o644);
    let file = config.display().to_string();
    let out = env.run_config(&config, &["config", "check"], &[]);
    assert_stdout(
        &out,
        &format!("{file}: 1 profile, no problems, 2 warnings\n"),
    );
    let err = stderr(&out);
    let warnings: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("gettoken: warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].starts_with(&format!(
            "{file}:1:1: profile `exec`: the profile has the name of the command `gettoken exec`: get its token with `gettoken get exec`"
        )),
        "{err}"
    );
    assert!(
        warnings[1].starts_with(&format!(
            "{file}:5:17: profile `exec`: key `client_secret`: a secret written out, and other users can read the file: run `chmod 600 {file}`"
        )),
        "{err}"
    );
    assert!(!err.contains("error"), "{err}");
    assert_no_leak(&out, &["written-out-7f3c"]);

    let out = env.run_config(&config, &["-q", "config", "check"], &[]);
    assert_stdout(
        &out,
        &format!("{file}: 1 profile, no problems, 2 warnings\n"),
    );
    assert_eq!(stderr(&out), "");

    // A warning beside a problem: both counted, exit 2.
    let config = env.write_profiles_mode(&format!("{text}timeout = \"0s\"\n"), 0o644);
    let out = env.run_config(&config, &["config", "check"], &[]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(
        &out,
        &format!("{file}:6:11: profile `exec`: key `timeout`: must be more than 0s"),
    );
    assert_stderr_contains(&out, &format!("{file}: 1 profile, 1 problem, 2 warnings"));
}

/// Broken TOML syntax is one error, with its line and column, whatever else
/// is wrong in the file.
#[test]
fn config_check_of_broken_syntax_reports_its_one_error() {
    let env = Env::new();
    let out = env.run_as_is(
        "[profiles.a]\nflavour = \"oauth3\"\ntokne = 1\n\n[profiles.b]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\" junk\n",
        &["config", "check"],
        &[],
    );
    assert_failed_with(&out, 2);
    let err = stderr(&out);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("gettoken: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    let file = env.root().join("profiles.toml").display().to_string();
    assert!(
        errors[0].starts_with(&format!("gettoken: error: {file}:7:")),
        "{err}"
    );
    assert!(!err.contains("oauth3") && !err.contains("tokne"), "{err}");
}
