//! `gettoken exec --refresh PROFILE -- CMD`: CMD runs as a child, kept
//! supplied past the token's lifetime. The token is in a 0600 file under
//! the runtime directory named by `$GETTOKEN_TOKEN_FILE` (the contract of
//! `AZURE_FEDERATED_TOKEN_FILE` readers: read the file each time), renewed
//! before it expires by an atomic replace, so a reader sees the old token
//! or the new one, never half of one. SIGINT, SIGTERM and SIGHUP go to the
//! child; gettoken exits as the child did (128+N for a signal N) and
//! removes the file. Linux only for now (signals are awaited with
//! sigtimedwait(2), which macOS lacks); elsewhere it says so.
#![cfg_attr(not(target_os = "linux"), allow(dead_code, unused_imports))]

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::{load_profile, token};
use crate::cli::FetchOptions;
use crate::config::Profile;
use crate::error::Failure;
use crate::protocol::token::Token;
use crate::util::clock::now;

/// The variable naming the token file.
pub const TOKEN_FILE_VAR: &str = "GETTOKEN_TOKEN_FILE";

/// When to renew a token that expires at `expires_at` and was obtained at
/// `obtained`: `min_ttl` before its expiry, but never in the first half of
/// its lifetime (a `min_ttl` as long as the lifetime would renew it
/// without end), and never before `now + 1`. `None`: it states no expiry.
pub fn renew_at(
    expires_at: Option<i64>,
    obtained: i64,
    min_ttl: Duration,
    now: i64,
) -> Option<i64> {
    let expires_at = expires_at?;
    let lifetime = (expires_at - obtained).max(0);
    let margin = i64::try_from(min_ttl.as_secs())
        .unwrap_or(i64::MAX)
        .min(lifetime / 2);
    Some((expires_at - margin).max(now + 1))
}

#[cfg(not(target_os = "linux"))]
pub fn run(
    _flag: &Option<PathBuf>,
    _name: &str,
    _var: &str,
    _options: &FetchOptions,
    _command: &[OsString],
) -> anyhow::Result<()> {
    Err(Failure::usage(
        "`gettoken exec --refresh` needs Linux (it waits for signals with sigtimedwait)",
    )
    .into())
}

#[cfg(target_os = "linux")]
pub fn run(
    flag: &Option<PathBuf>,
    name: &str,
    var: &str,
    options: &FetchOptions,
    command: &[OsString],
) -> anyhow::Result<()> {
    let profile = load_profile(flag, name)?;
    let mut current = token(&profile, options)?;
    let dir = crate::store::lock::lock_dir().ok_or_else(|| {
        Failure::usage(
            "no private runtime directory for the token file ($XDG_RUNTIME_DIR/gettoken or the cache directory)",
        )
    })?;
    let file_name = format!(
        "exec-{}-{}.token",
        std::process::id(),
        &crate::util::random::token()[..12]
    );
    let path = dir.join(&file_name);
    let file = TokenFile {
        dir,
        name: file_name,
        path,
    };
    file.write(&current)?;
    let status = supervise(&profile, options, var, command, &file, &mut current);
    drop(file);
    std::process::exit(status?)
}

/// The token file; removed when dropped.
struct TokenFile {
    dir: PathBuf,
    name: String,
    path: PathBuf,
}

impl TokenFile {
    fn write(&self, token: &Token) -> anyhow::Result<()> {
        crate::util::atomic::write_private(
            &self.dir,
            &self.name,
            token.access_token.expose().as_bytes(),
        )
        .map_err(|e| anyhow::anyhow!("cannot write the token file {}: {e}", self.path.display()))
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Signals blocked in gettoken (taken with `sigtimedwait`), reset in the
/// child by std's spawn.
#[cfg(target_os = "linux")]
fn signal_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset write only the set given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGCHLD] {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Runs the child, renewing the token file, until the child ends; its
/// exit status (128+N for a signal N).
#[cfg(target_os = "linux")]
fn supervise(
    profile: &Profile,
    options: &FetchOptions,
    var: &str,
    argv: &[OsString],
    file: &TokenFile,
    current: &mut Token,
) -> anyhow::Result<i32> {
    use std::os::unix::process::ExitStatusExt as _;
    let set = signal_set();
    // SAFETY: blocks signals of this thread (the only one); `set` is valid.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    let (program, args) = argv.split_first().expect("clap: CMD is required");
    let mut child = Command::new(program)
        .args(args)
        .env(var, current.access_token.expose())
        .env(TOKEN_FILE_VAR, &file.path)
        .spawn()
        .map_err(|e| super::exec::cannot_run(&program.to_string_lossy(), &e))?;
    let pid = child.id() as libc::pid_t;
    let min_ttl = options.min_ttl.unwrap_or(profile.min_ttl);
    let mut obtained = now();
    let mut due = renew_at(current.expires_at, obtained, min_ttl, now());
    let forced = FetchOptions {
        force: true,
        ..options.clone()
    };
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)));
        }
        let wait = match due {
            Some(at) => Duration::from_secs((at - now()).clamp(0, 1) as u64),
            None => Duration::from_secs(1),
        };
        let timeout = libc::timespec {
            tv_sec: wait.as_secs() as _, // (libc::time_t is deprecated on musl)
            tv_nsec: if wait.is_zero() { 10_000_000 } else { 0 },
        };
        // SAFETY: `set` and `timeout` are valid; no siginfo is asked for.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &timeout) };
        if matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP) {
            crate::log::debug!("passing signal {sig} on to the command");
            // SAFETY: a signal to our own child.
            unsafe { libc::kill(pid, sig) };
        }
        if due.is_some_and(|at| now() >= at) {
            match token(profile, &forced) {
                Ok(fresh) => {
                    file.write(&fresh)?;
                    crate::log::debug!("renewed the token file of `{}`", profile.name);
                    *current = fresh;
                    obtained = now();
                    due = renew_at(current.expires_at, obtained, min_ttl, now());
                }
                Err(e) => {
                    crate::log::warn(format!(
                        "cannot renew the token of `{}` ({e:#}); trying again in 5s",
                        profile.name
                    ));
                    due = Some(now() + 5);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_comes_min_ttl_before_expiry_but_not_in_the_first_half() {
        let s = Duration::from_secs;
        assert_eq!(renew_at(Some(1000), 0, s(60), 0), Some(940));
        assert_eq!(renew_at(Some(4), 0, s(60), 0), Some(2));
        assert_eq!(renew_at(Some(4), 0, s(1), 0), Some(3));
        assert_eq!(renew_at(Some(10), 0, s(5), 9), Some(10));
        assert_eq!(renew_at(None, 0, s(5), 0), None);
    }
}
