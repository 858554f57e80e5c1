//! The tables one profile needs, found without parsing the rest of the
//! file: a cache hit with 5,000 profiles in the file costs about what it
//! costs with one (BENCHMARKS.md).
//!
//! [`Scan`] cuts the file at its table headers and keeps, in file
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
/// be parsed (see the module's comment). (The reading of a file feeds a
/// [`Scan`] as it reads; the tests use this.)
#[cfg(test)]
pub fn tables_of(bytes: &[u8], name: &str, reserved: &[&str]) -> Option<String> {
    let mut scan = Scan::new(name, reserved);
    scan.feed(bytes)?;
    scan.finish()
}

/// [`tables_of`] fed piece by piece (so that a large file is read through
/// a small buffer): each piece whole lines, but for the file's last.
pub struct Scan<'a> {
    name: &'a [u8],
    reserved: &'a [&'a str],
    kept: Vec<u8>,
    found: bool,
    /// Whether the table being read is kept; `None` before the first
    /// header.
    open: Option<bool>,
}

impl<'a> Scan<'a> {
    pub fn new(name: &'a str, reserved: &'a [&'a str]) -> Scan<'a> {
        Scan {
            name: name.as_bytes(),
            reserved,
            kept: Vec::new(),
            found: false,
            open: None,
        }
    }

    /// Reads `lines` (whole lines, or the end of the file); `None` when the
    /// whole file must be parsed.
    pub fn feed(&mut self, lines: &[u8]) -> Option<()> {
        if memchr::memmem::find(lines, b"\"\"\"").is_some()
            || memchr::memmem::find(lines, b"'''").is_some()
        {
            return None;
        }
        // Where the text not yet given to the open table starts.
        let mut from = 0;
        for at in memchr::memchr_iter(b'[', lines) {
            let Some(line) = line_start(lines, at) else {
                continue;
            };
            self.take(&lines[from..line])?;
            let keep = match header(lines, at, self.name)? {
                Table::Defaults => true,
                Table::Profile(n) if n == self.name => {
                    self.found = true;
                    true
                }
                Table::Profile(n) if self.reserved.iter().any(|r| r.as_bytes() == n) => {
                    return None;
                }
                Table::Profile(_) | Table::Consumers => false,
            };
            self.open = Some(keep);
            from = line;
        }
        self.take(&lines[from..])
    }

    /// `text` for the open table: kept, dropped, or before the first
    /// header (blank lines and comments only).
    fn take(&mut self, text: &[u8]) -> Option<()> {
        match self.open {
            Some(true) => self.kept.extend_from_slice(text),
            Some(false) => {}
            None => {
                if !blank_or_comments(text) {
                    return None;
                }
            }
        }
        Some(())
    }

    /// The text kept; `None` when the profile has no table.
    pub fn finish(self) -> Option<String> {
        if !self.found {
            return None;
        }
        String::from_utf8(self.kept).ok()
    }
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
/// `name` is the profile asked for.
fn header<'b>(bytes: &'b [u8], at: usize, name: &[u8]) -> Option<Table<'b>> {
    // The common case first, `[profiles.OTHER` with OTHER bare: another
    // profile's header needs no more reading (a mistake in the rest of its
    // line is the full parse's to find, when that profile is asked for).
    const PROFILES: &[u8] = b"[profiles.";
    if bytes[at..].starts_with(PROFILES) {
        let from = at + PROFILES.len();
        let len = bytes[from..]
            .iter()
            .position(|b| !is_bare(*b))
            .unwrap_or(bytes.len() - from);
        let other = &bytes[from..from + len];
        if len > 0 && other != name && matches!(bytes.get(from + len), Some(b']' | b'.')) {
            return Some(Table::Profile(other));
        }
    }
    full_header(bytes, at)
}

/// Any header, read key by key.
fn full_header(bytes: &[u8], at: usize) -> Option<Table<'_>> {
    if bytes.get(at + 1) == Some(&b'[') {
        return None;
    }
    // The first key, bare; for `profiles`, the second; then any more.
    let (first, quoted, mut i) = key(bytes, skip_blanks(bytes, at + 1))?;
    if quoted {
        return None;
    }
    let mut second = None;
    loop {
        i = skip_blanks(bytes, i);
        match bytes.get(i)? {
            b'.' => {
                let (k, _, next) = key(bytes, skip_blanks(bytes, i + 1))?;
                second = second.or(Some(k));
                i = next;
            }
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
    match (first, second) {
        (b"defaults", _) => Some(Table::Defaults),
        (b"consumers", _) => Some(Table::Consumers),
        (b"profiles", Some(name)) => Some(Table::Profile(name)),
        _ => None,
    }
}

/// A character of a bare key.
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
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
                .position(|b| !is_bare(*b))
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
            "[profiles.a] x\nx = 1\n",
            "[profiles.a\nx = 1\n",
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
        // Another profile's header is not read past its name: a mistake
        // in it is the full parse's to find when that profile is asked for.
        assert_eq!(
            of("[profiles.a]\nx = 1\n[profiles.b] x\n", "a").unwrap(),
            "[profiles.a]\nx = 1\n"
        );
        // Fed line by line, as read through a small buffer: the same.
        let text = "# c\n[defaults]\nx = 1\n[profiles.ab]\ny = 2\n[profiles.a]\nz = 3\n[profiles.a.response]\nt = \"/t\"";
        let mut scan = super::Scan::new("a", RESERVED);
        for line in text.split_inclusive('\n') {
            scan.feed(line.as_bytes()).unwrap();
        }
        assert_eq!(scan.finish(), of(text, "a"));
        assert_eq!(
            of(text, "a").unwrap(),
            "[defaults]\nx = 1\n[profiles.a]\nz = 3\n[profiles.a.response]\nt = \"/t\""
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
