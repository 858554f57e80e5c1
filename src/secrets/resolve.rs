//! Reading secret values from their sources: environment, files, commands,
//! the keyring and the terminal. Called only when a request is made.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Failure;
use crate::secrets::json_field;
use crate::secrets::jwt::{Claim, JwtSpec};
use crate::secrets::redact;
use crate::secrets::{ProfileTokens, Resolve, SecretStore};
use crate::secrets::{Secret, Source, Text};
use crate::util::expand::expand_path;
use crate::util::fs::{SMALL_FILE_CAP, read_regular};
use crate::util::jws;

/// The resolver for one profile's requests. Each source is read once per
/// run: a device login polls many times, a refresh may be followed by the
/// grant, and a `prompt` must not ask twice.
pub struct Resolver<'a> {
    /// How long a secret `command` may run.
    pub command_timeout: Duration,
    /// Where `{ keyring = "NAME" }` secrets are kept.
    pub secrets: &'a dyn SecretStore,
    /// Where `{ profile = "NAME" }` tokens come from; `None`: refused.
    pub profiles: Option<&'a dyn ProfileTokens>,
    /// What was read already.
    read: Vec<(Source, Secret)>,
}

impl<'a> Resolver<'a> {
    pub fn new(command_timeout: Duration, secrets: &'a dyn SecretStore) -> Self {
        Resolver {
            command_timeout,
            secrets,
            profiles: None,
            read: Vec::new(),
        }
    }

    /// The same, with other profiles' tokens for `{ profile = "NAME" }`.
    pub fn with_profiles(mut self, profiles: &'a dyn ProfileTokens) -> Self {
        self.profiles = Some(profiles);
        self
    }
}

impl Resolve for Resolver<'_> {
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret> {
        let source = match text {
            Text::Plain(value) => return Ok(Secret::new(value.clone())),
            Text::From(source) => source,
        };
        if let Source::Jwt(spec) = source {
            // Signed afresh for each request: never kept.
            let value = self.signed(spec, key)?;
            redact::register(&value);
            return Ok(value);
        }
        if let Some((_, value)) = self.read.iter().find(|(s, _)| s == source) {
            return Ok(value.clone());
        }
        if let Source::Join(parts) = source {
            // Each part read (and hidden) on its own; the whole is a
            // secret too, since a part of it is.
            let mut joined = String::new();
            for part in parts {
                joined.push_str(self.resolve(part, key)?.expose());
            }
            let value = Secret::new(joined);
            redact::register(&value);
            return Ok(value);
        }
        if let Source::Profile(name) = source {
            // Its errors name the chain already (`ProfileTokens`).
            let Some(profiles) = self.profiles else {
                return Err(Failure::usage(format!(
                    "`{key}`: another profile's token cannot be used here"
                ))
                .into());
            };
            let value = profiles.profile_token(name, key)?;
            redact::register(&value);
            self.read.push((source.clone(), value.clone()));
            return Ok(value);
        }
        let value = match source {
            Source::Json(field) => {
                let document = self.resolve(&Text::From((*field.from).clone()), key)?;
                json_field::extract(document.expose(), &field.pointer).map(Secret::new)
            }
            _ => self.read(source),
        }
        .map_err(|msg| {
            Failure::usage(format!(
                "`{key}`: cannot read the secret from {}: {msg}",
                source.describe()
            ))
        })?;
        redact::register(&value);
        self.read.push((source.clone(), value.clone()));
        Ok(value)
    }

    fn now(&self) -> i64 {
        crate::util::clock::now()
    }

    fn unique_id(&mut self) -> String {
        crate::util::random::token()
    }

    fn kept(&mut self, name: &str) -> anyhow::Result<Option<Secret>> {
        let store = self.secrets.describe_store();
        self.secrets
            .get_secret(name)
            .map_err(|e| anyhow::anyhow!("cannot read `{name}` from the {store}: {e}"))
    }

    fn store_secret(&mut self, name: &str, value: &Secret) -> anyhow::Result<()> {
        let store = self.secrets.describe_store();
        self.secrets
            .set_secret(name, value)
            .map_err(|e| anyhow::anyhow!("cannot write `{name}` to the {store}: {e}"))?;
        redact::register(value);
        let source = Source::Keyring(name.to_string());
        self.read.retain(|(s, _)| *s != source);
        self.read.push((source, value.clone()));
        Ok(())
    }
}

impl Resolver<'_> {
    /// A JWT signed with its key, its claims' sources read.
    /// `key` is where the value stands; "" for a profile's own `jwt`.
    fn signed(&mut self, spec: &JwtSpec, key: &str) -> anyhow::Result<Secret> {
        let outer = if key.is_empty() { "jwt" } else { key };
        let key = &if key.is_empty() {
            "jwt".to_string()
        } else {
            format!("{key}.jwt")
        };
        let pem = self.resolve(&spec.key, &format!("{key}.key"))?;
        let kid = match &spec.kid {
            Some(kid) => Some(
                self.resolve(kid, &format!("{key}.kid"))?
                    .expose()
                    .to_string(),
            ),
            None => None,
        };
        let thumbprints = match &spec.certificate {
            Some(cert) => {
                let name = format!("{key}.certificate");
                let pem = self.resolve(cert, &name)?;
                Some(jws::thumbprints(pem.expose(), &format!("`{name}`")).map_err(Failure::usage)?)
            }
            None => None,
        };
        let mut written = serde_json::Map::new();
        for (name, claim) in &spec.claims {
            let value = self.claim(claim, &format!("{key}.claims.{name}"))?;
            written.insert(name.clone(), value);
        }
        let claims = spec.claims(written, self.now(), self.unique_id());
        let alg = spec.signing_alg.map(|a| a.0);
        let jwt = jws::sign(
            pem.expose(),
            &format!("`{key}.key`"),
            alg,
            spec.header(kid, thumbprints),
            &claims,
        )
        .map_err(|e| Failure::usage(format!("`{outer}`: cannot sign the JWT: {e}")))?;
        Ok(Secret::new(format!(
            "{}{jwt}",
            spec.prefix.as_deref().unwrap_or("")
        )))
    }

    fn claim(&mut self, claim: &Claim, key: &str) -> anyhow::Result<serde_json::Value> {
        Ok(match claim {
            Claim::Bool(b) => serde_json::Value::Bool(*b),
            Claim::Int(n) => serde_json::Value::from(*n),
            Claim::Text(text) => {
                serde_json::Value::String(self.resolve(text, key)?.expose().to_string())
            }
            Claim::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|c| self.claim(c, key))
                    .collect::<anyhow::Result<_>>()?,
            ),
        })
    }

    fn read(&self, source: &Source) -> Result<Secret, String> {
        match source {
            Source::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
                Ok(_) => Err("it is empty".into()),
                Err(std::env::VarError::NotPresent) => Err(format!("`{name}` is not set")),
                Err(std::env::VarError::NotUnicode(_)) => Err("it is not valid UTF-8".into()),
            },
            Source::File(path) => {
                let path = expand_path(path)?;
                let bytes = read_regular(&path, SMALL_FILE_CAP)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let mut text = String::from_utf8(bytes)
                    .map_err(|_| format!("{}: it is not valid UTF-8", path.display()))?;
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
                Err(e) => Err(e),
            },
            Source::Prompt(label) => prompt(label),
            Source::Json(_) | Source::Jwt(_) | Source::Profile(_) => {
                unreachable!("read by `resolve`")
            }
            Source::Join(_) => Err("a `join` is read part by part".into()),
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
    if crate::util::interactive::mode() == crate::util::interactive::Mode::Never {
        return Err("not asking: --no-interactive or GETTOKEN_INTERACTIVE=never is set; use { env = ... }, { keyring = ... }, { file = ... } or { command = [...] } instead".into());
    }
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
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout stops whatever it started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let out = read_in_background(stdout, 1024 * 1024);
    let err = read_in_background(stderr, 64 * 1024);
    let deadline = crate::util::duration::deadline_in(timeout);
    let too_slow = |child: &mut std::process::Child| {
        stop(child);
        format!(
            "`{program}` did not finish within {}s and was stopped",
            timeout.as_secs()
        )
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => return Err(too_slow(&mut child)),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    // Something it started may hold its output open: wait no longer than
    // the deadline for the end of it.
    let left = deadline.saturating_duration_since(Instant::now());
    let (Ok(out), Ok(err)) = (
        out.recv_timeout(left),
        err.recv_timeout(Duration::from_millis(200)),
    ) else {
        return Err(too_slow(&mut child));
    };
    if !status.success() {
        return Err(format!(
            "`{program}` failed ({status}){}",
            stderr_summary(&err)
        ));
    }
    let text = String::from_utf8(out)
        .map_err(|_| format!("`{program}` printed something that is not UTF-8"))?;
    non_empty(
        text.trim().to_string(),
        &format!("`{program}` printed nothing"),
    )
}

fn read_in_background(
    mut pipe: impl Read + Send + 'static,
    limit: u64,
) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut pipe).take(limit).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Kills the command and its process group.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    // SAFETY: kill(2) on the group we created for this child.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last line of a failed command's stderr, cut and without control
/// characters: enough to say why, too little to carry much else.
fn stderr_summary(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(300).collect();
    if clean.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", clean.trim())
    }
}

// (The tests run `sh`, which Windows has not.)
#[cfg(all(test, unix))]
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

    #[test]
    fn a_background_child_holding_stdout_does_not_stretch_the_wait() {
        let started = Instant::now();
        let held = run_command(
            &["sh".into(), "-c".into(), "echo x; sleep 20 &".into()],
            Duration::from_secs(1),
        );
        assert!(held.unwrap_err().contains("did not finish"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_failed_commands_stderr_is_cut_to_its_last_line() {
        let err = run_command(
            &[
                "sh".into(),
                "-c".into(),
                "echo first-line-secret >&2; printf 'bad\\033[31m thing\\n' >&2; exit 1".into(),
            ],
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(
            !err.contains("first-line-secret") && !err.contains('\u{1b}'),
            "{err}"
        );
        assert!(err.contains("bad[31m thing"), "{err}");
    }

    struct NoStore;
    impl SecretStore for NoStore {
        fn get_secret(&self, _: &str) -> Result<Option<Secret>, String> {
            Ok(None)
        }
    }

    #[test]
    fn a_join_puts_text_and_sources_together_and_is_a_secret() {
        let text: Text = toml::from_str::<toml::Table>(
            r#"v = { join = ["bearer ", { command = ["echo", "s3cr3t-part"] }, "!"] }"#,
        )
        .unwrap()["v"]
            .clone()
            .try_into()
            .unwrap();
        let mut r = Resolver::new(Duration::from_secs(5), &NoStore);
        let value = r.resolve(&text, "headers.Authorization").unwrap();
        assert_eq!(value.expose(), "bearer s3cr3t-part!");
        let shown = redact::scrub("x bearer s3cr3t-part! y");
        assert!(!shown.contains("s3cr3t-part"), "{shown}");
        let missing: Text = Text::From(Source::Join(vec![
            "a".into(),
            Text::From(Source::Env("GETTOKEN_TEST_UNSET_9".into())),
        ]));
        let err = r.resolve(&missing, "url").unwrap_err().to_string();
        assert!(err.contains("`GETTOKEN_TEST_UNSET_9` is not set"), "{err}");
    }

    #[test]
    fn a_file_path_takes_variables() {
        let dir = std::env::temp_dir().join(format!("gettoken-expand-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tok"), "file-value\n").unwrap();
        // SAFETY: a variable only this test reads.
        unsafe { std::env::set_var("GETTOKEN_TEST_DIR_7", &dir) };
        let mut r = Resolver::new(Duration::from_secs(5), &NoStore);
        let text = Text::From(Source::File("${GETTOKEN_TEST_DIR_7}/tok".into()));
        assert_eq!(r.resolve(&text, "k").unwrap().expose(), "file-value");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
