//! Shell completion. `gettoken completions SHELL` prints a small script that
//! asks the binary itself what to offer on each TAB (clap_complete's
//! dynamic completion), so profile names come from the user's file as it
//! is now. The script runs `GETTOKEN_COMPLETE=SHELL gettoken -- WORDS...`;
//! [`answer_if_asked`] answers that and exits before any other work.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::env::{CompleteEnv, Shells};

use super::args::Cli;
use super::candidates;
use crate::util::fs::expand_home;

/// The variable that turns a run into a completion request.
pub const VAR: &str = "GETTOKEN_COMPLETE";

/// When the shell's script asked for completions, prints them and exits;
/// otherwise returns at once.
///
/// Only a run shaped like the scripts' (`gettoken -- WORDS...`) is a
/// request: a `GETTOKEN_COMPLETE` left in the environment (an interrupted
/// completion, say) must never turn `gettoken prod` into a script on stdout.
pub fn answer_if_asked() {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_none_or(|a| a != "--") {
        return;
    }
    let _ = candidates::CONFIG_FLAG.set(config_flag(&args));
    CompleteEnv::with_factory(Cli::command).var(VAR).complete();
}

/// The value of the last complete `--config PATH` or `--config=PATH` among
/// the words being completed.
fn config_flag(args: &[OsString]) -> Option<PathBuf> {
    let words = args.iter().skip_while(|a| *a != "--").skip(1);
    let words: Vec<&str> = words.filter_map(|w| w.to_str()).collect();
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        if let Some(value) = word.strip_prefix("--config=") {
            found = Some(value);
        } else if *word == "--config" && i + 2 < words.len() {
            // (the last word is the one being completed, not a value yet)
            found = Some(words[i + 1]);
        }
    }
    found
        .map(unquote)
        .filter(|v| !v.is_empty())
        .map(|v| expand_home(&v))
}

/// A word as the shell would pass it: bash and zsh hand the completer the
/// words as typed, quotes and backslashes included.
fn unquote(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') => out.extend(chars.next()),
            (Some('"'), '\\') => match chars.next() {
                Some(n @ ('"' | '\\' | '$' | '`')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            (_, c) => out.push(c),
        }
    }
    out
}

/// The script for `shell` that registers the completion. It calls back the
/// binary as it was invoked now (a bare name is looked up in PATH then).
pub fn script(shell: clap_complete::Shell) -> Result<String, String> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer = shells
        .completer(&name)
        .ok_or_else(|| format!("no completion for shell `{name}`"))?;
    let argv0 = PathBuf::from(
        std::env::args_os()
            .next()
            .unwrap_or_else(|| "gettoken".into()),
    );
    let program = if argv0.components().count() > 1 && argv0.is_relative() {
        std::env::current_dir().map_or(argv0.clone(), |dir| dir.join(&argv0))
    } else {
        argv0
    };
    let mut buf = Vec::new();
    completer
        .write_registration(
            VAR,
            "gettoken",
            "gettoken",
            &program.to_string_lossy(),
            &mut buf,
        )
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&buf).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        ["gettoken", "--", "gettoken"]
            .iter()
            .chain(words)
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn finds_config_among_the_words() {
        assert_eq!(
            config_flag(&args(&["--config", "/x.toml", "pr"])),
            Some(PathBuf::from("/x.toml"))
        );
        assert_eq!(
            config_flag(&args(&["--config=/y.toml", ""])),
            Some(PathBuf::from("/y.toml"))
        );
        // `--config` with its value still being typed is not a value.
        assert_eq!(config_flag(&args(&["--config", "/x"])), None);
        assert_eq!(config_flag(&args(&["pr"])), None);
        // As typed: quoted or escaped.
        assert_eq!(
            config_flag(&args(&["--config", "'/a b/it''s.toml'", ""])),
            Some(PathBuf::from("/a b/its.toml"))
        );
        assert_eq!(
            config_flag(&args(&["--config=\"/a \\\"b\"", ""])),
            Some(PathBuf::from("/a \"b"))
        );
        assert_eq!(
            config_flag(&args(&["--config", "/a\\ b", ""])),
            Some(PathBuf::from("/a b"))
        );
    }

    #[test]
    fn every_shell_has_a_script() {
        use clap::ValueEnum;
        for shell in clap_complete::Shell::value_variants() {
            let text = script(*shell).unwrap();
            assert!(text.contains(VAR), "{shell}: {text}");
        }
    }
}
