//! stdout closed early (`gettoken p | head -c1`): the run ends quietly.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::util::*;

#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::new();
    let server = Server::always(Reply::json(
        200,
        json!({"access_token": "x".repeat(200_000), "expires_in": 60}),
    ));
    let path = env.write_config(&format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{}/t\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
        server.url()
    ));
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("gettoken"));
    cmd.args(["--config"]).arg(&path).arg("p");
    cmd.env("HOME", env.home())
        .env("XDG_CACHE_HOME", env.root().join("cache"));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe, as `head -c1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
}
