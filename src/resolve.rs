//! Reading secret values from their sources: environment, files, commands,
//! the keyring and the terminal. Called only when a request is made.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::expand_home;
use crate::error::Failure;
use crate::redact;
use crate::request::Resolve;
use crate::secret::{Secret, Source, Text};
use crate::store::{Backend, SecretStore};

/// The resolver for one profile's request.
pub struct Resolver<'a> {
    /// How long a secret `command` may run.
    pub command_timeout: Duration,
    /// Where `{ keyring = "NAME" }` secrets are kept.
    pub secrets: &'a dyn Backend,
}

impl Resolve for Resolver<'_> {
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret> {
        let source = match text {
            Text::Plain(value) => return Ok(Secret::new(value.clone())),
            Text::From(source) => source,
        };
        let value = self.read(source).map_err(|msg| {
            Failure::usage(format!(
                "`{key}`: cannot read the secret from {}: {msg}",
                source.describe()
            ))
        })?;
        redact::register(&value);
        Ok(value)
    }
}

impl Resolver<'_> {
    fn read(&self, source: &Source) -> Result<Secret, String> {
        match source {
            Source::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
                Ok(_) => Err("it is empty".into()),
                Err(std::env::VarError::NotPresent) => Err(format!("`{name}` is not set")),
                Err(std::env::VarError::NotUnicode(_)) => Err("it is not valid UTF-8".into()),
            },
            Source::File(path) => {
                let path = expand_home(path);
                let mut text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                non_empty(text, "the file is empty")
            }
            Source::Command(argv) => run_command(argv, self.command_timeout),
            Source::Keyring(name) => match self.secrets.get_secret(name) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(format!(
                    "no secret `{name}` is stored: run `gettoken secret set {name}`"
                )),
                Err(e) => Err(e.to_string()),
            },
            Source::Prompt(label) => prompt(label),
        }
    }
}

fn non_empty(text: String, what: &str) -> Result<Secret, String> {
    if text.is_empty() {
        Err(what.to_string())
    } else {
        Ok(Secret::new(text))
    }
}

/// Asks on the terminal, without echo.
fn prompt(label: &str) -> Result<Secret, String> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() && !std::io::stdin().is_terminal() {
        return Err("no terminal to ask on; use { env = ... }, { keyring = ... }, { file = ... } or { command = [...] } in scripts".into());
    }
    let label = label.trim_end_matches(':');
    rpassword::prompt_password(format!("{label}: "))
        .map_err(|e| format!("cannot read from the terminal: {e}"))
        .and_then(|v| non_empty(v, "nothing was entered"))
}

/// Runs `argv` (no shell) and takes its stdout, trimmed. Stdin and the
/// terminal stay with the user, so tools like `pass` can ask for a PIN.
fn run_command(argv: &[String], timeout: Duration) -> Result<Secret, String> {
    let (program, args) = argv.split_first().ok_or("the command is empty")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(1024 * 1024).read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{program}` did not finish within {}s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let err_text = String::from_utf8_lossy(&err);
        let err_text = err_text.trim();
        let shown = if err_text.is_empty() {
            String::new()
        } else {
            format!(": {err_text}")
        };
        return Err(format!("`{program}` failed ({status}){shown}"));
    }
    let text = String::from_utf8(out)
        .map_err(|_| format!("`{program}` printed something that is not UTF-8"))?;
    non_empty(
        text.trim().to_string(),
        &format!("`{program}` printed nothing"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_output_is_trimmed_and_failures_show_stderr() {
        let ok = run_command(
            &["sh".into(), "-c".into(), "printf ' s3 \\n'".into()],
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(ok.expose(), "s3");
        let err = run_command(
            &["sh".into(), "-c".into(), "echo nope >&2; exit 3".into()],
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(
            err.contains("nope") && err.contains("exit status: 3"),
            "{err}"
        );
        let empty = run_command(&["true".into()], Duration::from_secs(5)).unwrap_err();
        assert!(empty.contains("printed nothing"), "{empty}");
        let slow =
            run_command(&["sleep".into(), "5".into()], Duration::from_millis(200)).unwrap_err();
        assert!(slow.contains("did not finish"), "{slow}");
    }
}
