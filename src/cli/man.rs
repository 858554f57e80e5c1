//! The man page, generated from the clap definition (clap_mangen), with
//! the sections a man page has that `--help` lacks: files, environment,
//! exit status, examples.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;

const EXAMPLES: &[(&str, &str)] = &[
    ("gettoken prod", "print the token of profile prod"),
    (
        "curl -H \"$(gettoken prod -H)\" https://api.example.com/",
        "send it as a header",
    ),
    (
        "gettoken exec prod -- ./deploy.sh",
        "run a command with GETTOKEN_TOKEN set",
    ),
    (
        "eval \"$(gettoken prod --format env)\"",
        "export GETTOKEN_TOKEN in this shell",
    ),
    (
        "gettoken show prod",
        "what is cached, its expiry, a JWT's claims",
    ),
    ("gettoken config check", "validate every profile, offline"),
];

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "the token was printed"),
    (
        "2",
        "usage or configuration error: bad TOML, unknown profile, missing secret",
    ),
    ("3", "the endpoint refused the credentials"),
    (
        "4",
        "the endpoint could not be reached or failed (after retries)",
    ),
    (
        "126, 127",
        "gettoken exec: the command cannot be run, or is not found",
    ),
    ("1", "anything else"),
];

/// gettoken(1) as roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let man = Man::new(Cli::command());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend(extra_sections().as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Writes gettoken.1 and one page per command (gettoken-exec.1, ...) into
/// `dir`; the paths written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let main = dir.join("gettoken.1");
    std::fs::write(&main, page()?)?;
    let mut written = vec![main];
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.push(Man::new(sub.clone()).generate_to(dir)?);
    }
    Ok(written)
}

fn extra_sections() -> String {
    let mut s = String::new();
    s.push_str(".SH FILES\n.TP\n");
    s.push_str(&escape("~/.config/gettoken/profiles.toml"));
    s.push('\n');
    s.push_str(&escape(
        "The profiles (the platform's config directory; see --config and GETTOKEN_CONFIG). \
         `gettoken init` writes a commented one; `gettoken config path` prints where it is.",
    ));
    s.push_str("\n.SH ENVIRONMENT\n");
    for (name, what) in [
        (
            "GETTOKEN_CONFIG",
            "the profiles file, when --config is not given",
        ),
        (
            "GETTOKEN_TOKEN",
            "set by gettoken exec for the command it runs (--env NAME chooses another)",
        ),
        (
            "HTTPS_PROXY, HTTP_PROXY, NO_PROXY",
            "proxies for the token requests",
        ),
    ] {
        s.push_str(&format!(".TP\n.B {}\n{}\n", escape(name), escape(what)));
    }
    s.push_str(".SH EXIT STATUS\n");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!(".TP\n.B {}\n{}\n", escape(code), escape(what)));
    }
    s.push_str(".SH EXAMPLES\n");
    for (cmd, what) in EXAMPLES {
        s.push_str(&format!(".TP\n.B {}\n{}\n", escape(cmd), escape(what)));
    }
    s
}

/// Text safe in a roff line: backslashes and hyphens escaped, and no
/// control character at the start.
fn escape(text: &str) -> String {
    let body = text.replace('\\', "\\e").replace('-', "\\-");
    if body.starts_with(['.', '\'']) {
        format!("\\&{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_a_title_and_every_command() {
        let text = String::from_utf8(page().unwrap()).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH gettoken 1"),
            "{text}"
        );
        for sub in [
            "exec",
            "show",
            "git\\-credential",
            "config",
            "init",
            "completions",
        ] {
            assert!(
                text.contains(&format!("gettoken\\-{sub}(1)")),
                "{sub}: {text}"
            );
        }
        assert!(text.contains(".SH \"EXIT STATUS\"") || text.contains(".SH EXIT STATUS"));
    }

    #[test]
    fn escapes_roff() {
        assert_eq!(escape(".x -y \\z"), "\\&.x \\-y \\ez");
    }
}
