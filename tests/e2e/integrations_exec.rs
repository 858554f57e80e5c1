//! `gettoken exec PROFILE -- CMD` (the token in CMD's environment, CMD's
//! exit status and signals passed through) and `--format env` (a
//! shell-safe `export` line).

use std::io::Read;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;

use serde_json::json;

use crate::tools;
use crate::util::*;

const TOKEN: &str = "exec-token-1a2b3c4d";
/// A token that holds everything a shell treats specially (no blanks: a
/// token with spaces is refused before it could be printed).
/// Quotes, expansions and command substitutions that would run `touch
/// $MARKER` if the quoting failed (no whitespace: such a token is refused).
const NASTY: &str = r#"a'b"c$d`e\f;g|h&i*j(k)l<m>n!o#p~q'$(touch${IFS}$MARKER)`touch${IFS}$MARKER`'$(touch${IFS}$MARKER)'"#;

fn profile(server: &Server) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"exec-secret-9\"\n",
        server.url()
    )
}

fn exec(env: &Env, server: &Server, args: &[&str]) -> std::process::Output {
    let mut all = vec!["exec", "p"];
    all.extend_from_slice(args);
    env.run(&profile(server), &all)
}

#[test]
fn the_token_is_in_gettoken_token() {
    let server = Server::token(TOKEN);
    let out = exec(
        &Env::new(),
        &server,
        &["--", "sh", "-c", "printf '%s' \"$GETTOKEN_TOKEN\""],
    );
    assert_stdout(&out, TOKEN);
    assert!(!stderr(&out).contains(TOKEN));
}

#[test]
fn env_chooses_the_variable() {
    let server = Server::token(TOKEN);
    let out = exec(
        &Env::new(),
        &server,
        &[
            "--env",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$API_TOKEN\" \"${GETTOKEN_TOKEN-unset}\"",
        ],
    );
    assert_stdout(&out, &format!("{TOKEN}|unset"));
}

#[test]
fn arguments_reach_the_command_as_they_are() {
    let server = Server::token(TOKEN);
    // Options after CMD are CMD's, even ones gettoken also has.
    let out = exec(
        &Env::new(),
        &server,
        &[
            "--",
            "sh",
            "-c",
            "printf '[%s]' \"$@\"",
            "sh",
            "-v",
            "--env",
            "a b",
            "",
        ],
    );
    assert_stdout(&out, "[-v][--env][a b][]");
    // Without `--` the command starts at the first word that is not an option.
    let out = exec(&Env::new(), &server, &["printf", "%s", "-x"]);
    assert_stdout(&out, "-x");
}

#[test]
fn the_exit_status_is_the_commands() {
    let server = Server::token(TOKEN);
    for code in [0, 1, 3, 7, 42, 255] {
        let out = exec(
            &Env::new(),
            &server,
            &["--", "sh", "-c", &format!("exit {code}")],
        );
        assert_code(&out, code);
    }
}

#[test]
fn a_signal_ends_the_run_as_it_ends_the_command() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    // gettoken became the command (exec): the signal that ends it ends the run.
    let out = exec(&env, &server, &["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.signal(), Some(15), "{out:?}");
    // A shell reports that as 128+15.
    let path = env.write_config(&profile(&server));
    let script = format!(
        "{} --config {} exec p -- sh -c 'kill -TERM $$'; echo \"status=$?\"",
        tools::sh_quote(&tools::gettoken_bin().to_string_lossy()),
        tools::sh_quote(&path.to_string_lossy())
    );
    let out = tools::run(tools::command(&env, "sh").args(["-c", &script]), b"");
    assert_eq!(stdout(&out), "status=143\n", "{out:?}");
}

#[test]
fn gettoken_is_replaced_by_the_command() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let path = env.write_config(&profile(&server));
    let child = tools::command(&env, tools::gettoken_bin())
        .arg("--config")
        .arg(&path)
        .args(["exec", "p", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), format!("{pid}\n"), "{out:?}");
}

#[test]
fn a_closed_pipe_ends_the_command_with_sigpipe() {
    // std ignores SIGPIPE for gettoken itself; the command must get the
    // default back, so `gettoken exec p -- yes | head -1` ends.
    let server = Server::token(TOKEN);
    let env = Env::new();
    let path = env.write_config(&profile(&server));
    let mut child = tools::command(&env, tools::gettoken_bin())
        .arg("--config")
        .arg(&path)
        .args(["exec", "p", "--", "yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut line = [0u8; 2];
    stdout.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"y\n");
    drop(stdout);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(13), "{status:?}");
}

#[test]
fn a_missing_command_exits_127_and_an_unrunnable_one_126() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let out = exec(&env, &server, &["--", "no-such-command-gt5", "x"]);
    assert_failed_with(&out, 127);
    assert_stderr_contains(&out, "no-such-command-gt5");
    assert_stderr_contains(&out, "not found");
    let script = env.write_file("not-executable.sh", "#!/bin/sh\necho hi\n");
    let out = exec(&env, &server, &["--", &script.to_string_lossy()]);
    assert_failed_with(&out, 126);
    assert_stderr_contains(&out, "cannot be run");
    assert_no_leak(&out, &[TOKEN, "exec-secret-9"]);
}

#[test]
fn no_command_runs_when_no_token_comes() {
    let server = Server::json(401, json!({"error": "invalid_client"}));
    let env = Env::new();
    let marker = env.root().join("ran");
    let out = exec(&env, &server, &["--", "touch", &marker.to_string_lossy()]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "invalid_client");
    assert!(!marker.exists(), "the command ran without a token");
}

#[test]
fn bad_usage_exits_2() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    // No command.
    assert_failed_with(&exec(&env, &server, &[]), 2);
    assert_failed_with(&exec(&env, &server, &["--"]), 2);
    // Not a variable name.
    for bad in ["1X", "A-B", "", "A=B", "Ä"] {
        let out = exec(&env, &server, &["--env", bad, "--", "true"]);
        assert_failed_with(&out, 2);
    }
    assert_eq!(server.count(), 0);
}

#[test]
fn format_env_prints_an_export_line() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let out = env.run(&profile(&server), &["p", "--format", "env"]);
    assert_stdout(&out, &format!("export GETTOKEN_TOKEN='{TOKEN}'\n"));
    let out = env.run(&profile(&server), &["p", "--env", "API_TOKEN"]);
    assert_stdout(&out, &format!("export API_TOKEN='{TOKEN}'\n"));
    let out = env.run(&profile(&server), &["p", "--format", "env", "--env", "_x1"]);
    assert_stdout(&out, &format!("export _x1='{TOKEN}'\n"));
    let text = profile(&server) + "output = \"env\"\n";
    assert_stdout(
        &env.run(&text, &["p"]),
        &format!("export GETTOKEN_TOKEN='{TOKEN}'\n"),
    );
}

#[test]
fn format_env_is_safe_to_eval() {
    let server = Server::token(NASTY);
    let env = Env::new();
    let path = env.write_config(&profile(&server));
    let marker = env.root().join("injected");
    let script = format!(
        "eval \"$({} --config {} p --format env)\" && printf '%s' \"$GETTOKEN_TOKEN\"",
        tools::sh_quote(&tools::gettoken_bin().to_string_lossy()),
        tools::sh_quote(&path.to_string_lossy())
    );
    for shell in ["sh", "bash"] {
        let out = tools::run(
            tools::command(&env, shell)
                .args(["-c", &script])
                .env("MARKER", &marker),
            b"",
        );
        assert_eq!(stdout(&out), NASTY, "{shell}: {out:?}");
        assert!(!marker.exists());
    }
}

#[test]
fn format_env_options_are_checked() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    for args in [
        &["p", "--env", "1X"][..],
        &["p", "--env", "X", "-H"],
        &["p", "--env", "X", "--format", "json"],
    ] {
        assert_failed_with(&env.run(&profile(&server), args), 2);
    }
    assert_eq!(server.count(), 0);
}

/// An option typed before `--` that exec does not know is a usage error,
/// found before any token is fetched.
#[test]
fn a_mistyped_option_is_a_usage_error_before_any_request() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let out = exec(&env, &server, &["--forse", "true"]);
    assert_failed_with(&out, 2);
    assert_eq!(server.count(), 0);
}
