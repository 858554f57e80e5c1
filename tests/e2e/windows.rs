//! The Windows build, run under Wine: its unit tests, and a fetch from a
//! loopback endpoint whose token is cached in the Credential Manager,
//! served again, and forgotten. scripts/test.sh builds the `.exe`s (when the
//! `x86_64-pc-windows-gnu` target and mingw are installed) and names them in
//! `GETTOKEN_TEST_WINDOWS_BIN` and `GETTOKEN_TEST_WINDOWS_UNIT`; without
//! them or without `wine` the tests skip (fail under CI=true). Each test
//! has a Wine prefix of its own, so its Credential Manager starts empty.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::util::*;

/// One Wine prefix (a fresh Windows installation, its registry holding the
/// Credential Manager), its wineserver stopped when dropped.
struct Wine {
    prefix: tempfile::TempDir,
}

impl Wine {
    /// A prefix ready to run Rust programs, or `None` (a counted skip) when
    /// Wine or mingw is missing.
    fn new() -> Option<Wine> {
        let found = |tool: &str, arg: &str| {
            Command::new(tool)
                .arg(arg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        };
        if !found("wine", "--version") || !found("x86_64-w64-mingw32-gcc", "--version") {
            component_missing(
                "wine or x86_64-w64-mingw32-gcc is not installed",
                "run scripts/install-deps.sh as root",
            );
            return None;
        }
        let wine = Wine {
            prefix: tempfile::tempdir().expect("tempdir"),
        };
        // The first run creates the prefix (some 20 s).
        let out = wine.command("cmd").args(["/c", "exit"]).output().unwrap();
        assert!(out.status.success(), "wineboot: {out:?}");
        // Wine 8 has no bcryptprimitives.dll, which Rust's std imports
        // (ProcessPrng): a shim of ours, see tests/wine.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wine");
        let dll = wine
            .prefix
            .path()
            .join("drive_c/windows/system32/bcryptprimitives.dll");
        let out = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-O2", "-shared", "-o"])
            .arg(&dll)
            .arg(src.join("bcryptprimitives.c"))
            .arg(src.join("bcryptprimitives.def"))
            .arg("-lbcrypt")
            .output()
            .unwrap();
        assert!(out.status.success(), "the ProcessPrng shim: {out:?}");
        Some(wine)
    }

    /// `wine PROGRAM` in this prefix, with Wine's own chatter off.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("wine");
        cmd.arg(program)
            .env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .stdin(Stdio::null());
        cmd
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new("wineserver")
            .arg("-k")
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }
}

/// A Windows build named by the test set-up's variable `var`.
fn windows_exe(var: &str) -> Option<PathBuf> {
    let path = setup_var(
        var,
        "no Windows build (rustup target add x86_64-pc-windows-gnu; scripts/test.sh builds it)",
    )?;
    Some(PathBuf::from(path))
}

/// A path as the Windows program sees it: Wine maps `/` to drive `Z:`.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Runs the Windows gettoken with `args`, at most a minute.
fn run(wine: &Wine, env: &Env, exe: &Path, args: &[&str]) -> Output {
    let mut cmd = wine.command(exe);
    env.isolate_std(&mut cmd);
    cmd.env("WINEPREFIX", wine.prefix.path()).args(args);
    let mut cmd = assert_cmd::Command::from_std(cmd);
    cmd.timeout(Duration::from_secs(60)).output().unwrap()
}

#[test]
fn windows_unit_tests_pass_under_wine() {
    let Some(exe) = windows_exe("GETTOKEN_TEST_WINDOWS_UNIT") else {
        return;
    };
    let Some(wine) = Wine::new() else { return };
    let mut cmd = wine.command(&exe);
    // Unit tests that need a Unix tool (sh) are compiled out there.
    cmd.arg("--test-threads=2");
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("test result: ok"),
        "the unit tests under Wine:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The Credential Manager's size limit is among them.
    assert!(
        text.contains("store::chunked::tests::the_limit_is_real ... ok"),
        "{text}"
    );
}

#[test]
fn windows_fetch_is_cached_in_the_credential_manager_and_forgotten() {
    let Some(exe) = windows_exe("GETTOKEN_TEST_WINDOWS_BIN") else {
        return;
    };
    let Some(wine) = Wine::new() else { return };
    let env = Env::new();
    // A small token and one past the Credential Manager's 2,560 bytes (kept
    // in parts).
    let big = "b".repeat(6000);
    let server = Server::counting(move |i| {
        let token = if i % 2 == 0 {
            format!("tok-{i}")
        } else {
            big.clone()
        };
        json!({"access_token": token, "token_type": "bearer", "expires_in": 3600})
    });
    let name = unique("win");
    let large = unique("winbig");
    let profiles = format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"c\"\nclient_secret = \"s3cret-c\"\ncache = \"keyring\"\nmin_ttl = \"0s\"\n\n\
         [profiles.{large}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"c\"\nclient_secret = \"s3cret-c\"\ncache = \"keyring\"\nmin_ttl = \"0s\"\n",
        url = server.url()
    );
    let config = windows_path(&env.write_profiles(&profiles));
    let get = |profile: &str| {
        let out = run(&wine, &env, &exe, &["--config", &config, profile]);
        assert_code(&out, 0);
        let err = stderr(&out);
        assert!(!err.contains("s3cret-c"), "{err}");
        stdout(&out)
    };
    // Windows ends lines as Unix does here: gettoken prints `\n`.
    assert_eq!(get(&name).trim_end(), "tok-0");
    assert_eq!(get(&name).trim_end(), "tok-0", "served from the cache");
    assert_eq!(
        server.count(),
        1,
        "a cached token is served without a request"
    );
    let long = get(&large);
    assert_eq!(long.trim_end().len(), 6000);
    assert_eq!(get(&large), long, "a large record is served from its parts");
    assert_eq!(server.count(), 2);
    let list = run(&wine, &env, &exe, &["--config", &config, "list"]);
    assert_code(&list, 0);
    assert!(stdout(&list).contains("valid for"), "{}", stdout(&list));
    // forget drops it: the next call fetches.
    assert_code(
        &run(&wine, &env, &exe, &["--config", &config, "forget", &name]),
        0,
    );
    assert_eq!(get(&name).trim_end(), "tok-2");
    assert_eq!(server.count(), 3);
}
