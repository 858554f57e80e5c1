//! File paths as written in a source: `~/` for the home directory and
//! `$VAR` or `${VAR}` for an environment variable
//! (`{ file = "$AZURE_FEDERATED_TOKEN_FILE" }`). Pure but for reading the
//! environment.

use std::path::PathBuf;

use super::fs::expand_home;

/// `path` with its variables and a leading `~/` expanded. A variable that
/// is unset or empty is an error naming it; `$` not followed by a name is
/// kept as it is.
pub fn expand_path(path: &str) -> Result<PathBuf, String> {
    expand_vars(path, |name| std::env::var(name).ok()).map(|p| expand_home(&p))
}

/// `text` with `$NAME` and `${NAME}` replaced by `lookup(NAME)`.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => return Err(format!("`${{` without its `}}` in `{text}`")),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('$');
            rest = after;
            continue;
        }
        match lookup(name).filter(|v| !v.is_empty()) {
            Some(value) => out.push_str(&value),
            None => return Err(format!("`${name}` is not set")),
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DIR" => Some("/var/run/x".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_are_expanded_both_ways() {
        assert_eq!(expand_vars("$DIR/token", env).unwrap(), "/var/run/x/token");
        assert_eq!(expand_vars("${DIR}token", env).unwrap(), "/var/run/xtoken");
        assert_eq!(expand_vars("/a/b", env).unwrap(), "/a/b");
        assert_eq!(expand_vars("/a$/b$", env).unwrap(), "/a$/b$");
        assert_eq!(expand_vars("/a/$1", env).unwrap(), "/a/$1");
    }

    #[test]
    fn an_unset_variable_is_named() {
        assert_eq!(
            expand_vars("$NOPE/x", env).unwrap_err(),
            "`$NOPE` is not set"
        );
        assert_eq!(
            expand_vars("${EMPTY}", env).unwrap_err(),
            "`$EMPTY` is not set"
        );
        assert!(expand_vars("${DIR", env).unwrap_err().contains("without"));
    }

    #[test]
    fn home_is_expanded_after_the_variables() {
        let home = dirs::home_dir().unwrap();
        let path = expand_vars("~/t$DIR", env)
            .map(|p| expand_home(&p))
            .unwrap();
        assert_eq!(path, home.join("t/var/run/x"));
    }
}
