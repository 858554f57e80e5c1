//! The man page, generated from the clap definition (clap_mangen), with
//! the sections a man page has that `--help` lacks: files, environment,
//! exit status, examples.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::Cli;
use crate::error::{EXIT_STATUSES, codes_text};

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

/// gettoken(1) as roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    // `help` is clap's, with no page of its own: not listed.
    let man = Man::new(Cli::command().disable_help_subcommand(true));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    extra_sections().to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Writes gettoken.1 and one page per command, nested ones too
/// (gettoken-exec.1, gettoken-config-check.1, ...), into `dir`: every page
/// a SUBCOMMANDS list names. The paths written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let main = dir.join("gettoken.1");
    std::fs::write(&main, page()?)?;
    let mut written = vec![main];
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, dir, &mut written)?;
    Ok(written)
}

fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        written.push(Man::new(sub.clone()).generate_to(dir)?);
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

/// FILES, ENVIRONMENT, EXIT STATUS and EXAMPLES; the `roff` crate escapes
/// the text. Each entry is a `.TP` paragraph: its tag in bold (as a text
/// line, so quotes in it stay), then what it is.
fn extra_sections() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["FILES"]);
    entry(
        &mut doc,
        "~/.config/gettoken/profiles.toml",
        "The profiles (the platform's config directory; see --config and GETTOKEN_CONFIG). \
         `gettoken init` writes a commented one; `gettoken config path` prints where it is.",
    );
    doc.control("SH", ["ENVIRONMENT"]);
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
        entry(&mut doc, name, what);
    }
    doc.control("SH", ["EXIT STATUS"]);
    for status in EXIT_STATUSES {
        entry(&mut doc, &codes_text(status.codes, ", "), status.meaning);
    }
    doc.control("SH", ["EXAMPLES"]);
    for (cmd, what) in EXAMPLES {
        entry(&mut doc, cmd, what);
    }
    doc
}

fn entry(doc: &mut Roff, tag: &str, what: &str) {
    doc.control("TP", []).text([bold(tag)]).text([roman(what)]);
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

    /// Every `gettoken-x(1)` a written page names is written too.
    #[test]
    fn every_page_named_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_all(dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.contains(&"gettoken-config-check.1".to_string()),
            "{names:?}"
        );
        for path in &written {
            let text = std::fs::read_to_string(path).unwrap();
            for (i, _) in text.match_indices("(1)") {
                let start = text[..i]
                    .rfind(|c: char| c.is_whitespace())
                    .map_or(0, |s| s + 1);
                let page = format!("{}.1", text[start..i].replace("\\-", "-"));
                assert!(names.contains(&page), "{}: {page}", path.display());
            }
        }
    }

    #[test]
    fn examples_keep_their_quotes_and_help_has_no_page() {
        let text = String::from_utf8(page().unwrap()).unwrap();
        assert!(
            text.contains(r#"\fBcurl \-H "$(gettoken prod \-H)" https://api.example.com/\fR"#),
            "{text}"
        );
        assert!(!text.contains("gettoken\\-help"), "{text}");
        for status in EXIT_STATUSES {
            assert!(
                text.contains(&format!("\\fB{}\\fR", codes_text(status.codes, ", "))),
                "{text}"
            );
        }
    }
}
