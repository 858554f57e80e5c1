//! Running other programs in a test's isolated environment: git, shells,
//! man. Each run is bounded in time. A tool that is not installed fails the
//! test under CI=true (`.ci/run` installs it) and skips it elsewhere.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::Env;

/// How long one run of another program may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The built `gettoken` binary.
pub fn gettoken_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("gettoken")
}

/// Whether `tool` runs here (`tool --version`). When it does not: under
/// CI=true the test fails, elsewhere it says so and the caller skips.
pub fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        crate::util::component_missing(
            &format!("`{tool}` is not installed"),
            ".ci/run must install it",
        );
    }
    found
}

/// `program` with the isolation of [`Env`]: its HOME and XDG directories,
/// no proxy, no session bus, no GETTOKEN_CONFIG, and no system or user git
/// configuration.
pub fn command(env: &Env, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(env.root())
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.xdg_config_home())
        .env("XDG_CACHE_HOME", env.root().join("cache"))
        .env("XDG_DATA_HOME", env.root().join("data"))
        .env("XDG_RUNTIME_DIR", env.root().join("runtime"))
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove("GETTOKEN_CONFIG")
        .env_remove("GETTOKEN_COMPLETE")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RUST_LOG");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
        cmd.env_remove(var);
        cmd.env_remove(var.to_ascii_lowercase());
    }
    cmd
}

/// Runs `cmd` with `input` on its stdin, bounded by [`TIMEOUT`]: a run
/// that takes longer is killed and fails the test.
pub fn run(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// `text` quoted for a POSIX shell.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
