//! stderr that cannot be written: full (`2>/dev/full`) or closed (`2>&-`).
//! Every line gettoken would write there is lost, but the run still ends
//! with its documented exit status: never a panic (101) or an abort (134).

use std::process::{Command, Output, Stdio};

use serde_json::json;

use crate::util::*;

/// Where stderr points.
#[derive(Debug, Clone, Copy)]
enum Stderr {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// Closed before gettoken starts (by the shell, `2>&-`).
    Closed,
}

/// Runs the binary, isolated, with `args` and stderr as `how`.
fn run(env: &Env, how: Stderr, args: &[&str]) -> Output {
    let bin = crate::util::gettoken_bin();
    let mut cmd = match how {
        Stderr::Full => {
            let mut cmd = Command::new(bin);
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            cmd.stderr(Stdio::from(full));
            cmd
        }
        Stderr::Closed => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c").arg(r#"exec "$0" "$@" 2>&-"#).arg(bin);
            cmd
        }
    };
    env.isolate_std(&mut cmd);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .output()
        .expect("run gettoken")
}

fn profiles(token_url: &str) -> String {
    Env::profiles_text(&format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{token_url}\"\nclient_id = \"c\"\nclient_secret = \"stderr-secret-7d1e\"\n"
    ))
}

fn assert_status(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: {:?}, stdout: {}",
        out.status,
        stdout(out)
    );
}

#[test]
fn an_unwritable_stderr_keeps_the_exit_status() {
    let server = Server::always(Reply::json(401, json!({"error": "invalid_client"})));
    for how in [Stderr::Full, Stderr::Closed] {
        let env = Env::new();
        let config = env.write_file("profiles.toml", &profiles(&server.url()));
        let config = config.to_str().unwrap();

        // An error line (and its hint).
        let out = run(&env, how, &["--config", config, "nope"]);
        assert_status(&out, 2, &format!("{how:?}: unknown profile"));

        // Verbose lines, then an error and a hint.
        let out = run(&env, how, &["--config", config, "p", "-v"]);
        assert_status(&out, 3, &format!("{how:?}: refused, -v"));

        // Several error lines.
        let bad = env.write_file("bad.toml", "[profiles.b]\nflavour = \"nonesuch\"\n");
        let out = run(
            &env,
            how,
            &["--config", bad.to_str().unwrap(), "config", "check"],
        );
        assert_status(&out, 2, &format!("{how:?}: config check"));

        // A status line on stderr, the answer on stdout.
        let missing = env.root().join("missing.toml");
        let missing = missing.to_str().unwrap();
        let out = run(&env, how, &["--config", missing, "config", "path"]);
        assert_status(&out, 0, &format!("{how:?}: config path"));
        assert_eq!(stdout(&out).trim_end(), missing);
    }
}
