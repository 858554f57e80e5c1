//! Shell completion that offers the profile names of the user's file, run
//! through the real shells (bash, zsh's completion system on a pty, fish's
//! `complete -C`); PowerShell, which Debian does not ship, through its
//! script's text and the answers the binary gives it. And the man page.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::tools;
use crate::util::*;

const PROFILES: &str = "[profiles.prod-eu]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\n\n[profiles.prod-us]\nflavour = \"http\"\nurl = \"https://b.example/t\"\n[profiles.prod-us.response]\ntoken = \"/t\"\n\n[profiles.staging]\nflavour = \"oauth2\"\ntoken_url = \"https://c.example/t\"\n";

/// An environment with the profiles file and the completion script for
/// `shell` written into it.
fn setup(shell: &str) -> (Env, PathBuf, PathBuf) {
    let env = Env::new();
    let config = env.write_profiles(PROFILES);
    let out = env
        .bare_cmd()
        .args(["completions", shell])
        .output()
        .unwrap();
    assert_code(&out, 0);
    let script = env.write_file(&format!("completion.{shell}"), &stdout(&out));
    (env, config, script)
}

fn lines(out: &Output) -> Vec<String> {
    assert_code(out, 0);
    let mut all: Vec<String> = stdout(out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    all.sort();
    all
}

/// The candidates bash's completion function offers for `words`, the last
/// being the word under the cursor.
fn bash(env: &Env, script: &Path, words: &[&str], config_env: Option<&Path>) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| tools::sh_quote(w)).collect();
    let program = format!(
        "source {}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_TYPE=9\n_clap_complete_gettoken gettoken {} {}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        tools::sh_quote(&script.to_string_lossy()),
        quoted.join(" "),
        words.len() - 1,
        quoted[words.len() - 1],
        quoted[words.len().saturating_sub(2)],
    );
    let mut cmd = tools::command(env, "bash");
    cmd.args(["--norc", "--noprofile", "-c", &program]);
    if let Some(path) = config_env {
        cmd.env("GETTOKEN_CONFIG", path);
    }
    lines(&tools::run(&mut cmd, b""))
}

#[test]
fn bash_completes_profile_names() {
    let (env, config, script) = setup("bash");
    assert_eq!(
        bash(&env, &script, &["gettoken", "pro"], Some(&config)),
        ["prod-eu", "prod-us"]
    );
    // The file named by --config on the line being completed.
    let config_text = config.to_string_lossy();
    assert_eq!(
        bash(
            &env,
            &script,
            &["gettoken", "--config", &config_text, "st"],
            None
        ),
        ["staging"]
    );
    // As bash passes it when the path was typed quoted.
    let typed = tools::sh_quote(&config_text);
    assert_eq!(
        bash(&env, &script, &["gettoken", "--config", &typed, "st"], None),
        ["staging"]
    );
    // After the commands that take a profile.
    for command in ["get", "show", "exec", "forget", "git-credential"] {
        assert_eq!(
            bash(
                &env,
                &script,
                &["gettoken", command, "prod-"],
                Some(&config)
            ),
            ["prod-eu", "prod-us"],
            "{command}"
        );
    }
    // Commands and profiles together at the start.
    let first = bash(&env, &script, &["gettoken", ""], Some(&config));
    for expected in [
        "prod-eu",
        "staging",
        "exec",
        "show",
        "git-credential",
        "config",
        "man",
    ] {
        assert!(
            first.contains(&expected.to_string()),
            "{expected}: {first:?}"
        );
    }
    // No file: no names, and no error.
    assert!(bash(&env, &script, &["gettoken", "pro"], None).is_empty());
}

#[test]
fn zsh_completes_profile_names() {
    if !tools::have("zsh") {
        return;
    }
    let (env, config, script) = setup("zsh");
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/zsh_capture.zsh");
    let complete = |line: &str| {
        let mut cmd = tools::command(&env, "zsh");
        cmd.arg("-f")
            .arg(&capture)
            .arg(&script)
            .arg(line)
            .env("GETTOKEN_CONFIG", &config);
        lines(&tools::run(&mut cmd, b""))
    };
    assert_eq!(complete("gettoken pro"), ["prod-eu", "prod-us"]);
    assert_eq!(complete("gettoken show st"), ["staging"]);
    let config_text = tools::sh_quote(&config.to_string_lossy());
    assert_eq!(
        complete(&format!("gettoken --config {config_text} exec prod-")),
        ["prod-eu", "prod-us"]
    );
}

#[test]
fn fish_completes_profile_names() {
    if !tools::have("fish") {
        return;
    }
    let (env, config, script) = setup("fish");
    let complete = |line: &str| {
        let program = format!(
            "source {}; complete -C{}",
            tools::sh_quote(&script.to_string_lossy()),
            tools::sh_quote(line)
        );
        let mut cmd = tools::command(&env, "fish");
        cmd.args(["--no-config", "-c", &program])
            .env("GETTOKEN_CONFIG", &config);
        lines(&tools::run(&mut cmd, b""))
    };
    // fish shows each name with its help: the flavour.
    assert_eq!(
        complete("gettoken pro"),
        ["prod-eu\toauth2 profile", "prod-us\thttp profile"]
    );
    assert_eq!(complete("gettoken forget st"), ["staging\toauth2 profile"]);
}

#[test]
fn powershell_script_and_its_answers() {
    let (env, config, script) = setup("powershell");
    let text = std::fs::read_to_string(&script).unwrap();
    for needle in [
        "Register-ArgumentCompleter -Native -CommandName gettoken",
        "$env:GETTOKEN_COMPLETE = \"powershell\"",
        &format!("& {} -- $args", tools::gettoken_bin().display()),
        "CompletionResult",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    // What the script runs on TAB, and what it reads back: NAME<TAB>HELP lines.
    let out = env
        .bare_cmd()
        .env("GETTOKEN_COMPLETE", "powershell")
        .env("GETTOKEN_CONFIG", &config)
        .args(["--", "gettoken", "show", "prod"])
        .output()
        .unwrap();
    assert_eq!(
        lines(&out),
        ["prod-eu\toauth2 profile", "prod-us\thttp profile"]
    );
}

#[test]
fn every_shell_gets_a_script() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env
            .bare_cmd()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_code(&out, 0);
        assert!(stdout(&out).contains("GETTOKEN_COMPLETE"), "{shell}");
    }
    let out = env
        .bare_cmd()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_failed_with(&out, 2);
}

#[test]
fn man_page_renders_with_every_command() {
    let env = Env::new();
    let out = env.bare_cmd().arg("man").output().unwrap();
    assert_code(&out, 0);
    let roff = stdout(&out);
    assert!(roff.contains(".TH gettoken 1"), "{roff}");
    for sub in [
        "get",
        "exec",
        "show",
        "list",
        "forget",
        "git\\-credential",
        "config",
        "init",
        "secret",
        "completions",
    ] {
        assert!(roff.contains(&format!("gettoken\\-{sub}(1)")), "{sub}");
    }
    for section in [
        "SYNOPSIS",
        "OPTIONS",
        "FILES",
        "ENVIRONMENT",
        "EXIT STATUS",
        "EXAMPLES",
    ] {
        assert!(roff.contains(section), "{section}");
    }
    if tools::have("man") {
        let page = env.write_file("gettoken.1", &roff);
        let mut cmd = tools::command(&env, "man");
        cmd.arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("COLUMNS", "100");
        let shown = tools::run(&mut cmd, b"");
        assert_code(&shown, 0);
        let text = stdout(&shown);
        assert!(
            text.contains("GETTOKEN_CONFIG") && text.contains("git-credential"),
            "{text}"
        );
        // No complaint from troff about the roff it was given.
        let complaints = stderr(&shown).to_ascii_lowercase();
        assert!(
            !complaints.contains("warning") && !complaints.contains("error"),
            "{complaints}"
        );
    }
    // One page per command into a directory.
    let dir = env.root().join("man1");
    let out = env
        .bare_cmd()
        .arg("man")
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_code(&out, 0);
    for page in [
        "gettoken.1",
        "gettoken-exec.1",
        "gettoken-git-credential.1",
        "gettoken-config.1",
    ] {
        assert!(dir.join(page).is_file(), "{page}");
    }
}

/// A `GETTOKEN_COMPLETE` left in the environment does not change what a
/// normal run prints: only the scripts' `gettoken -- WORDS` is a request.
#[test]
fn a_stray_completion_variable_leaves_normal_runs_alone() {
    let server = Server::token("stray-tok-1");
    let env = Env::new();
    let text = format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\n",
        server.url()
    );
    for shell in ["bash", "powershell"] {
        let out = env.run_with_env(&text, &["p", "-H"], &[("GETTOKEN_COMPLETE", shell)]);
        assert_code(&out, 0);
        assert_stdout(&out, "Authorization: Bearer stray-tok-1\n");
    }
}

/// A profiles path that is a FIFO offers nothing, at once.
#[test]
fn completion_never_waits_on_a_fifo() {
    let env = Env::new();
    let fifo = env.root().join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let out = env
        .bare_cmd()
        .env("GETTOKEN_COMPLETE", "bash")
        .env("GETTOKEN_CONFIG", &fifo)
        .args(["--", "gettoken", ""])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(!stdout(&out).contains("prod"), "{out:?}");
}
