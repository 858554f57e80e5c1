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
    crate::util::gettoken_bin()
}

/// Whether `tool` runs here (`tool --version`). When it does not: under
/// CI=true the test fails, elsewhere it says so and the caller skips.
pub fn have(tool: &str) -> bool {
    have_by(tool, &["--version"])
}

/// [`have`], for a tool whose version is asked another way
/// (`kubectl version --client`).
pub fn have_by(tool: &str, version_args: &[&str]) -> bool {
    let found = Command::new(tool)
        .args(version_args)
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

/// `program` with the isolation of [`Env`] ([`Env::isolation`]: its HOME,
/// XDG directories and TMPDIR, no proxy, no session bus, no
/// GETTOKEN_CONFIG, and no system or user git configuration).
pub fn command(env: &Env, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    env.isolate_std(&mut cmd);
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
