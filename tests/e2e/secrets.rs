//! Secret values: `{ env }`, `{ file }`, `{ command }`, `{ prompt }`, their
//! failures (exit 2, no request made), and that no secret is ever printed.

use std::time::Duration;

use serde_json::json;

use crate::util::*;

const TOKEN: &str = "secret-test-token-77cc88dd";

fn token_server() -> Server {
    Server::json(200, json!({"token": TOKEN}))
}

/// An http profile `sec` sending `{"user": "alice", "secret": <secret>}`.
fn profile(base: &str, secret: &str) -> String {
    format!(
        r#"
[profiles.sec]
flavour = "http"
url = "{base}/login"
fields = {{ user = "alice", secret = {secret} }}

[profiles.sec.response]
token = "/token"
"#
    )
}

/// The `secret` field the server received.
fn sent_secret(server: &Server) -> Option<String> {
    server.only_request().json()?["secret"]
        .as_str()
        .map(str::to_string)
}

#[test]
fn env_secret() {
    let server = token_server();
    let out = Env::new().run_with_env(
        &profile(&server.url(), r#"{ env = "GT_TEST_SECRET" }"#),
        &["sec"],
        &[("GT_TEST_SECRET", "S3cret-from-env")],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(sent_secret(&server).as_deref(), Some("S3cret-from-env"));
}

#[test]
fn file_secret_drops_the_trailing_newline() {
    let server = token_server();
    let env = Env::new();
    let path = env.write_file("secrets/pw", "S3cret-from-file\n");
    let out = env.run(
        &profile(
            &server.url(),
            &format!("{{ file = {} }}", json!(path.to_str().unwrap())),
        ),
        &["sec"],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(sent_secret(&server).as_deref(), Some("S3cret-from-file"));
}

#[test]
fn file_secret_expands_tilde_to_home() {
    let server = token_server();
    let env = Env::new();
    let dir = env.home().join(".secrets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("prod"), "S3cret-in-home\n").unwrap();
    let out = env.run(
        &profile(&server.url(), r#"{ file = "~/.secrets/prod" }"#),
        &["sec"],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(sent_secret(&server).as_deref(), Some("S3cret-in-home"));
}

#[test]
fn command_secret() {
    let server = token_server();
    let out = Env::new().run(
        &profile(
            &server.url(),
            r#"{ command = ["sh", "-c", "printf s3cret-from-cmd"] }"#,
        ),
        &["sec"],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(sent_secret(&server).as_deref(), Some("s3cret-from-cmd"));
}

#[test]
fn command_secret_output_is_trimmed() {
    let server = token_server();
    let out = Env::new().run(
        &profile(
            &server.url(),
            r#"{ command = ["sh", "-c", "echo s3cret-echoed"] }"#,
        ),
        &["sec"],
    );
    assert_stdout(&out, &format!("{TOKEN}\n"));
    assert_eq!(sent_secret(&server).as_deref(), Some("s3cret-echoed"));
}

#[test]
fn command_not_found_exits_2() {
    let server = token_server();
    let out = Env::new().run(
        &profile(
            &server.url(),
            r#"{ command = ["/nonexistent/gettoken-helper-xyz"] }"#,
        ),
        &["sec"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "gettoken-helper-xyz");
    assert_eq!(server.count(), 0);
}

#[test]
fn missing_file_exits_2_naming_it() {
    let server = token_server();
    let env = Env::new();
    let path = env.root().join("no-such-secret-file");
    let out = env.run(
        &profile(
            &server.url(),
            &format!("{{ file = {} }}", json!(path.to_str().unwrap())),
        ),
        &["sec"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "no-such-secret-file");
    assert_eq!(server.count(), 0);
}

#[test]
fn prompt_without_a_terminal_exits_2() {
    let server = token_server();
    let env = Env::new();
    let path = env.write_config(&profile(
        &server.url(),
        r#"{ prompt = "Password for sec" }"#,
    ));
    let mut std_cmd = std::process::Command::new(crate::util::gettoken_bin());
    {
        use std::os::unix::process::CommandExt as _;
        // A new session has no controlling terminal: /dev/tty cannot open.
        unsafe {
            std_cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut cmd = assert_cmd::Command::from_std(std_cmd);
    env.isolate(&mut cmd);
    let out = cmd
        .timeout(Duration::from_secs(20))
        .arg("--config")
        .arg(&path)
        .arg("sec")
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
    let err = stderr(&out).to_ascii_lowercase();
    assert!(
        err.contains("terminal") || err.contains("tty"),
        "stderr should say there is no terminal:\n{err}"
    );
    assert_eq!(server.count(), 0);
}

#[test]
fn secrets_in_headers_and_nested_fields() {
    let server = token_server();
    let env = Env::new();
    let text = format!(
        r#"
[profiles.sec]
flavour = "http"
url = "{}/login"
headers = {{ "X-Api-Key" = {{ env = "GT_TEST_API_KEY" }} }}

[profiles.sec.fields.auth]
password = {{ env = "GT_TEST_NESTED_PW" }}

[profiles.sec.response]
token = "/token"
"#,
        server.url()
    );
    let out = env.run_with_env(
        &text,
        &["sec", "-v"],
        &[
            ("GT_TEST_API_KEY", "Key-S3cret-hdr"),
            ("GT_TEST_NESTED_PW", "Pw-S3cret-nested"),
        ],
    );
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(&out, &["Key-S3cret-hdr", "Pw-S3cret-nested"]);
    let req = server.only_request();
    assert_eq!(req.header("x-api-key"), Some("Key-S3cret-hdr"));
    assert_eq!(
        req.json(),
        Some(json!({"auth": {"password": "Pw-S3cret-nested"}}))
    );
}

#[test]
fn verbose_never_prints_a_resolved_secret() {
    let server = token_server();
    let env = Env::new();
    let path = env.write_file("pw", "S3cret-file-verbose\n");
    let text = format!(
        r#"
[profiles.sec]
flavour = "http"
url = "{}/login"
body = "form"
fields = {{ a = {{ env = "GT_TEST_V_ENV" }}, b = {{ file = {} }}, c = {{ command = ["sh", "-c", "printf S3cret-cmd-verbose"] }} }}

[profiles.sec.response]
token = "/token"
"#,
        server.url(),
        json!(path.to_str().unwrap())
    );
    let out = env.run_with_env(
        &text,
        &["sec", "-v"],
        &[("GT_TEST_V_ENV", "S3cret-env-verbose")],
    );
    assert_token_only_on_stdout(&out, TOKEN);
    assert_no_leak(
        &out,
        &[
            "S3cret-env-verbose",
            "S3cret-file-verbose",
            "S3cret-cmd-verbose",
        ],
    );
    let req = server.only_request();
    assert_eq!(req.form_param("a").as_deref(), Some("S3cret-env-verbose"));
    assert_eq!(req.form_param("b").as_deref(), Some("S3cret-file-verbose"));
    assert_eq!(req.form_param("c").as_deref(), Some("S3cret-cmd-verbose"));
}
