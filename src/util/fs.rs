//! Paths and directories: `~` expansion, private directories, names made
//! safe as file names.

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The bytes a file name keeps as they are (besides letters and digits).
const KEPT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// `text` as one file name, the same on every platform: letters, digits,
/// `-`, `_` and `.` as they are, `/` as `~` (`token/prod` is
/// `token~prod`), every other byte (`~` and `%` too) as `%XX`. So distinct
/// texts give distinct names, and no name holds a path separator. The file
/// cache's names on disk are these: the mapping must not change.
pub fn file_name(text: &str) -> String {
    let parts: Vec<String> = text
        .split('/')
        .map(|part| utf8_percent_encode(part, KEPT).to_string())
        .collect();
    parts.join("~")
}

/// `~/x` is `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// Creates `dir` (mode 0700) if needed.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file cache's encoder before it used `percent-encoding`: the
    /// names of existing users' cache files.
    fn as_before(key: &str) -> String {
        key.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                b'/' => "~".to_string(),
                other => format!("%{other:02X}"),
            })
            .collect()
    }

    #[test]
    fn file_names_are_the_ones_on_disk() {
        for key in [
            "token/prod",
            "token/a b",
            "secret/x.y-z_1",
            "token/a/b",
            "token/~%20",
            "token/..",
            "token/ünï 😀",
            "token/\\:*?\"<>|\t\n",
            "",
            "/",
        ] {
            assert_eq!(file_name(key), as_before(key), "{key:?}");
        }
        assert_eq!(file_name("token/a b"), "token~a%20b");
    }
}
