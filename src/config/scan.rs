//! The tables one profile needs, found without parsing the rest of the
//! file: a cache hit with 5,000 profiles in the file costs about what it
//! costs with one (BENCHMARKS.md).
//!
//! [`tables_of`] cuts the file at its table headers and keeps, in file
//! order, the `[defaults]` tables and the profile's own (`[profiles.NAME]`,
//! `[profiles.NAME.response]`, ...); the caller parses that text as it would
//! the whole file. It gives up (`None`: parse the whole file) on anything
//! whose meaning it is not sure of: a header it cannot read, a quoted first
//! key, `[profiles]` itself or an array of tables, keys before the first
//! header, a table gettoken does not know (the full parse names the error),
//! a multi-line string anywhere (a line inside one may look like a header),
//! a profile named like a reserved command, or no table of the profile at
//! all (the full parse says "no profile", with its suggestions).
//!
//! Why a header found this way is one: a line whose first character (after
//! blanks) is `[` is a header unless it is inside a multi-line string
//! (refused above) or a multi-line array. A line of an array is a value,
//! and a value that also reads as a header is `[123]`, `[true]`,
//! `["text"]` and the like: a quoted or unknown first key, refused. So
//! every `[defaults...]` and `[profiles.NAME...]` line is a header, and
//! every table of the profile is kept: its keys are the full parse's.
//!
//! What a hit no longer sees: a mistake in another profile's table, or in
//! `[consumers]` (`gettoken config check` reads them all).

/// The text of the `[defaults]` and `[profiles.NAME]` tables (and their
/// sub-tables) of `bytes`, in file order; `None` when the whole file must
/// be parsed (see the module's comment).
pub fn tables_of(bytes: &[u8], name: &str, reserved: &[&str]) -> Option<String> {
    if memchr::memmem::find(bytes, b"\"\"\"").is_some()
        || memchr::memmem::find(bytes, b"'''").is_some()
    {
        return None;
    }
    let mut kept: Vec<u8> = Vec::new();
    let mut found = false;
    // The start of the table being read, and whether it is kept.
    let mut open: Option<(usize, bool)> = None;
    for at in memchr::memchr_iter(b'[', bytes) {
        let Some(line) = line_start(bytes, at) else {
            continue;
        };
        match open {
            Some((start, keep)) => {
                if keep {
                    kept.extend_from_slice(&bytes[start..line]);
                }
            }
            None => {
                if !blank_or_comments(&bytes[..line]) {
                    return None;
                }
            }
        }
        let keep = match header(bytes, at)? {
            Table::Defaults => true,
            Table::Profile(n) if n == name.as_bytes() => {
                found = true;
                true
            }
            Table::Profile(n) if reserved.iter().any(|r| r.as_bytes() == n) => return None,
            Table::Profile(_) | Table::Consumers => false,
        };
        open = Some((line, keep));
    }
    if let Some((start, true)) = open {
        kept.extend_from_slice(&bytes[start..]);
    }
    if !found {
        return None;
    }
    String::from_utf8(kept).ok()
}

/// The start of the line holding `at` when only blanks come before it on
/// that line.
fn line_start(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    while i > 0 {
        match bytes[i - 1] {
            b'\n' => return Some(i),
            b' ' | b'\t' => i -= 1,
            _ => return None,
        }
    }
    Some(0)
}

/// Whether `text` holds only blank lines and comments.
fn blank_or_comments(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n').all(|line| {
        let line = line.trim_ascii_start();
        line.is_empty() || line.starts_with(b"#") || line == b"\r"
    })
}

/// A table header the scan knows.
enum Table<'a> {
    Defaults,
    /// `[profiles.NAME]` or a sub-table of it: the name as written (bare,
    /// or quoted without escapes).
    Profile(&'a [u8]),
    Consumers,
}

/// The header whose `[` is at `at`; `None` for one to leave to the parser.
fn header(bytes: &[u8], at: usize) -> Option<Table<'_>> {
    let mut i = at + 1;
    if bytes.get(i) == Some(&b'[') {
        return None;
    }
    let mut keys: Vec<(&[u8], bool)> = Vec::new();
    loop {
        i = skip_blanks(bytes, i);
        let (key, quoted, next) = key(bytes, i)?;
        keys.push((key, quoted));
        i = skip_blanks(bytes, next);
        match bytes.get(i)? {
            b'.' => i += 1,
            b']' => break,
            _ => return None,
        }
    }
    i = skip_blanks(bytes, i + 1);
    match bytes.get(i) {
        None | Some(b'\n' | b'#') => {}
        Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {}
        Some(_) => return None,
    }
    match keys.as_slice() {
        [(b"defaults", false), ..] => Some(Table::Defaults),
        [(b"consumers", false), ..] => Some(Table::Consumers),
        [(b"profiles", false), (name, _), ..] => Some(Table::Profile(name)),
        _ => None,
    }
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// One key at `i`: its text, whether it was quoted, and where it ends. A
/// basic string with an escape, or with a control character, is left to
/// the parser.
fn key(bytes: &[u8], i: usize) -> Option<(&[u8], bool, usize)> {
    match *bytes.get(i)? {
        quote @ (b'"' | b'\'') => {
            let len = bytes[i + 1..].iter().position(|b| *b == quote)?;
            let text = &bytes[i + 1..i + 1 + len];
            if text.iter().any(|b| *b == b'\\' || b.is_ascii_control()) {
                return None;
            }
            Some((text, true, i + 2 + len))
        }
        _ => {
            let len = bytes[i..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
                .unwrap_or(bytes.len() - i);
            (len > 0).then(|| (&bytes[i..i + len], false, i + len))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tables_of;

    const RESERVED: &[&str] = &["get", "list"];

    fn of(text: &str, name: &str) -> Option<String> {
        tables_of(text.as_bytes(), name, RESERVED)
    }

    #[test]
    fn keeps_the_defaults_and_the_profiles_own_tables_in_file_order() {
        let text = "# a comment\n\n[defaults]\nclient_id = \"c\"\n\n[profiles.a]\nflavour = \"oauth2\"\nscope = [\n  \"x\",\n]\n\n[profiles.b]\nflavour = \"http\"\n\n  [profiles.\"a\".response] # the reply\ntoken = \"/t\"\n[consumers.git]\n\"*\" = \"b\"\n[defaults.response]\ntoken = \"/d\"\n";
        assert_eq!(
            of(text, "a").unwrap(),
            "[defaults]\nclient_id = \"c\"\n\n[profiles.a]\nflavour = \"oauth2\"\nscope = [\n  \"x\",\n]\n\n  [profiles.\"a\".response] # the reply\ntoken = \"/t\"\n[defaults.response]\ntoken = \"/d\"\n"
        );
        assert_eq!(
            of(text, "b").unwrap(),
            "[defaults]\nclient_id = \"c\"\n\n[profiles.b]\nflavour = \"http\"\n\n[defaults.response]\ntoken = \"/d\"\n"
        );
        assert_eq!(
            of("[profiles.'my.name']\nx = 1\r\n[profiles.z]\n", "my.name").unwrap(),
            "[profiles.'my.name']\nx = 1\r\n"
        );
    }

    #[test]
    fn leaves_to_the_full_parse_what_it_is_not_sure_of() {
        let ok = "[profiles.a]\nx = 1\n";
        assert!(of(ok, "a").is_some());
        for text in [
            // not found (the full parse says "no profile", did-you-mean)
            "[profiles.b]\nx = 1\n",
            // keys before the first header
            "profiles.a.x = 1\n[profiles.a]\n",
            "title = 1\n[profiles.a]\nx = 1\n",
            // [profiles] itself, arrays of tables, unknown or quoted tables
            "[profiles]\na.x = 2\n[profiles.a]\nx = 1\n",
            "[profiles.a]\nx = 1\n[[profiles.b]]\n",
            "[profiles.a]\nx = 1\n[other]\n",
            "[profiles.a]\nx = 1\n[\"defaults\"]\n",
            "[profiles.a]\nx = [\n[1],\n]\n",
            "[profiles.a]\nx = [\n['defaults'],\n]\n",
            // multi-line strings anywhere
            "[profiles.a]\nx = 1\n[profiles.b]\nn = \"\"\"\n[defaults]\n\"\"\"\n",
            "[profiles.a]\nx = '''\n'''\n",
            // a header it cannot read
            "[profiles.a]\nx = 1\n[profiles.\"b\\u0041\"]\n",
            "[profiles.a]\nx = 1\n[profiles.b] x\n",
            "[profiles.a]\nx = 1\n[profiles.b\n",
            // a reserved name elsewhere (the full parse refuses the file)
            "[profiles.a]\nx = 1\n[profiles.list]\n",
        ] {
            assert_eq!(of(text, "a"), None, "{text}");
        }
        // Arrays and `[` inside values are no headers.
        assert_eq!(
            of("[profiles.a]\nscope = [\"a\", \"b\"]\nh = \"[x]\"\n", "a").unwrap(),
            "[profiles.a]\nscope = [\"a\", \"b\"]\nh = \"[x]\"\n"
        );
        // Invalid UTF-8 in a kept table: the full parse reports it.
        assert_eq!(
            tables_of(b"[profiles.a]\nx = \"\xff\"\n", "a", RESERVED),
            None
        );
        assert!(
            tables_of(
                b"[profiles.a]\nx = 1\n[profiles.b]\nx = \"\xff\"\n",
                "a",
                RESERVED
            )
            .is_some()
        );
    }
}
