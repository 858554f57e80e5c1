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
//! What it costs: one pass over the bytes for the `[` and for the quotes
//! of a multi-line string (up to 8 KiB byte by byte; beyond, on x86_64
//! with AVX2, 64 bytes a step for both; elsewhere memchr's searches), then
//! a few byte comparisons at each `[`:
//! most are a value's (not first on their line) or another profile's
//! header, dropped once its name is read.
//!
//! What a hit no longer sees: a mistake in another profile's table, or in
//! `[consumers]` (`gettoken config check` reads them all).

/// The text of the `[defaults]` and `[profiles.NAME]` tables (and their
/// sub-tables) of `bytes`, in file order; `None` when the whole file must
/// be parsed (see the module's comment). (The reading of a file feeds a
/// [`Scan`] as it reads; the tests use this, and check that every way of
/// reading gives the same: each path of [`Scan::feed`], whole or line by
/// line.)
#[cfg(test)]
pub fn tables_of(bytes: &[u8], name: &str, reserved: &[&str]) -> Option<String> {
    let fed = |feed: &dyn Fn(&mut Scan, &[u8]) -> Option<()>, by_line: bool| {
        let mut scan = Scan::new(name, reserved);
        if by_line {
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                feed(&mut scan, line)?;
            }
        } else {
            feed(&mut scan, bytes)?;
        }
        scan.finish()
    };
    let text = fed(&|scan, lines| scan.feed_portable(lines), false);
    for by_line in [false, true] {
        assert_eq!(fed(&|scan, lines| scan.feed(lines), by_line), text);
        assert_eq!(fed(&|scan, lines| scan.feed_portable(lines), by_line), text);
        assert_eq!(fed(&|scan, lines| scan.feed_bytes(lines), by_line), text);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (just checked).
            assert_eq!(
                fed(&|scan, lines| unsafe { scan.feed_avx2(lines) }, by_line),
                text
            );
        }
    }
    text
}

/// [`tables_of`] fed piece by piece (so that a large file is read through
/// a small buffer): each piece whole lines, but for the file's last.
pub struct Scan<'a> {
    name: &'a [u8],
    reserved: &'a [&'a str],
    /// Bit `n` set when a reserved name is `n` bytes long (bit 63: 63 or
    /// more): most names need no comparing with the reserved ones.
    reserved_lens: u64,
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
            reserved_lens: reserved.iter().fold(0, |m, r| m | len_bit(r.len())),
            kept: Vec::new(),
            found: false,
            open: None,
        }
    }

    /// Reads `lines` (whole lines, or the end of the file); `None` when the
    /// whole file must be parsed.
    pub fn feed(&mut self, lines: &[u8]) -> Option<()> {
        // A few kilobytes are read byte by byte sooner than the CPU is
        // asked for its features (each CPUID instruction is a trap to the
        // hypervisor on a virtual machine, about 6 us on the benchmark's).
        if lines.len() <= SMALL {
            return self.feed_bytes(lines);
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (just checked).
            return unsafe { self.feed_avx2(lines) };
        }
        self.feed_portable(lines)
    }

    /// [`Scan::feed`] byte by byte, for a few kilobytes.
    fn feed_bytes(&mut self, lines: &[u8]) -> Option<()> {
        if lines.windows(3).any(|w| w == b"'''" || w == b"\"\"\"") {
            return None;
        }
        let mut from = 0;
        for (at, _) in lines.iter().enumerate().filter(|(_, b)| **b == b'[') {
            self.bracket(lines, at, &mut from)?;
        }
        self.take(&lines[from..])
    }

    /// [`Scan::feed`] on any CPU: a search for a multi-line string's
    /// quotes, then one for `[`.
    fn feed_portable(&mut self, lines: &[u8]) -> Option<()> {
        if multi_line_quote(lines) {
            return None;
        }
        // Where the text not yet given to the open table starts.
        let mut from = 0;
        for at in memchr::memchr_iter(b'[', lines) {
            self.bracket(lines, at, &mut from)?;
        }
        self.take(&lines[from..])
    }

    /// [`Scan::feed`] in one pass over `lines`, 64 bytes a step (see
    /// [`avx2::brackets`]); the `[` found are read after each batch of
    /// steps, so that the vector loop makes no call.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn feed_avx2(&mut self, lines: &[u8]) -> Option<()> {
        let mut at = [0; avx2::BATCH];
        let mut pairs = false;
        let mut from = 0;
        for start in (0..lines.len()).step_by(avx2::BATCH) {
            let found = avx2::brackets(lines, start, &mut at, &mut pairs);
            for i in &at[..found] {
                self.bracket(lines, start + usize::from(*i), &mut from)?;
            }
        }
        if pairs && multi_line_quote(lines) {
            return None;
        }
        self.take(&lines[from..])
    }

    /// The `[` at `at`: when it starts a header, the text since `from` to
    /// the table it ends, and the new table opened (from its line).
    #[inline(always)]
    fn bracket(&mut self, lines: &[u8], at: usize, from: &mut usize) -> Option<()> {
        // Most `[` follow a line's end or something other than a blank.
        let line = match at.checked_sub(1).map(|i| lines[i]) {
            None | Some(b'\n') => at,
            Some(b' ' | b'\t') => match line_start(lines, at - 1) {
                Some(line) => line,
                None => return Some(()),
            },
            Some(_) => return Some(()),
        };
        if self.open != Some(false) {
            self.take(&lines[*from..line])?;
        }
        let keep = match header(lines, at, self.name)? {
            Table::Defaults => true,
            Table::Profile(n) if n == self.name => {
                self.found = true;
                true
            }
            Table::Profile(n) | Table::Other(n)
                if self.reserved_lens & len_bit(n.len()) != 0
                    && self.reserved.iter().any(|r| r.as_bytes() == n) =>
            {
                return None;
            }
            Table::Profile(_) | Table::Other(_) | Table::Consumers => false,
        };
        self.open = Some(keep);
        *from = line;
        Some(())
    }

    /// `text` for the open table: kept, dropped, or before the first
    /// header (blank lines and comments only).
    #[inline(always)]
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

/// Up to this many bytes, [`Scan::feed`] reads byte by byte.
const SMALL: usize = 8 * 1024;

/// The bit of [`Scan::reserved_lens`] for a name `len` bytes long.
fn len_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// Whether `lines` holds a `"""` or a `'''`. (`'` is rare in TOML: a search
/// for it alone costs less than one for `'''`.)
fn multi_line_quote(lines: &[u8]) -> bool {
    static DOUBLE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"\"\""));
    memchr::memchr_iter(b'\'', lines).any(|at| lines.get(at..at + 3) == Some(b"'''"))
        || DOUBLE.find(lines).is_some()
}

/// Whether the `[` at `at` may be first on its line but for blanks: the
/// first of [`line_start`]'s steps, for most `[` (a value's, after `=`
/// and a blank, or after anything else) the only ones.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn may_begin_line(bytes: &[u8], at: usize) -> bool {
    let blank_or_end = |i: usize| matches!(bytes[i], b'\n' | b' ' | b'\t');
    match at {
        0 => true,
        1 => blank_or_end(0),
        _ => match bytes[at - 1] {
            b'\n' => true,
            b' ' | b'\t' => blank_or_end(at - 2),
            _ => false,
        },
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
    /// A [`Table::Profile`] known not to be the one asked for.
    Other(&'a [u8]),
    Consumers,
}

/// The header whose `[` is at `at`; `None` for one to leave to the parser.
/// `name` is the profile asked for.
#[inline(always)]
fn header<'b>(bytes: &'b [u8], at: usize, name: &[u8]) -> Option<Table<'b>> {
    // The common case first, `[profiles.OTHER` with OTHER bare: another
    // profile's header needs no more reading (a mistake in the rest of its
    // line is the full parse's to find, when that profile is asked for).
    // Most often OTHER is shorter than 16 bytes, and 32 bytes are there to
    // read at once.
    const PROFILES: &[u8; 10] = b"[profiles.";
    if let Some(window) = bytes[at..].first_chunk::<32>()
        && window.first_chunk() == Some(PROFILES)
    {
        let len = not_bare(window[10..].first_chunk().unwrap_or(&[0; 16])).trailing_zeros();
        let len = len as usize;
        if let (1..16, Some(b']' | b'.')) = (len, window.get(10 + len)) {
            let other = &window[10..10 + len];
            if other != name {
                return Some(Table::Other(other));
            }
        }
    }
    if let Some(rest) = bytes[at..].strip_prefix(PROFILES) {
        let len = rest
            .iter()
            .position(|b| !BARE[usize::from(*b)])
            .unwrap_or(rest.len());
        let other = &rest[..len];
        if len > 0 && other != name && matches!(rest.get(len), Some(b']' | b'.')) {
            return Some(Table::Other(other));
        }
    }
    full_header(bytes, at)
}

/// Any header, read key by key.
#[inline(never)]
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
const fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The mask of the bytes of `bytes` that are not [`is_bare`] (bit `i`:
/// byte `i`).
#[inline(always)]
fn not_bare(bytes: &[u8; 16]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: every x86_64 CPU has SSE2.
        unsafe { sse2::not_bare(bytes) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        bytes.iter().enumerate().fold(0, |mask, (i, b)| {
            mask | u32::from(!BARE[usize::from(*b)]) << i
        })
    }
}

/// [`is_bare`] of each byte.
static BARE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_bare(b as u8);
        b += 1;
    }
    table
};

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

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };

    /// The mask of the bytes of `bytes` that are not [`super::is_bare`]
    /// (bit `i`: byte `i`).
    #[target_feature(enable = "sse2")]
    pub(super) fn not_bare(bytes: &[u8; 16]) -> u32 {
        // SAFETY: the load reads the 16 bytes of `bytes`.
        let v = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
        // Bytes from `low` to `low + count - 1` (a wrapping subtraction,
        // then an unsigned comparison).
        let within = |v: __m128i, low: u8, count: u8| {
            let d = _mm_sub_epi8(v, _mm_set1_epi8(low as i8));
            _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((count - 1) as i8)), d)
        };
        let is = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        // (`| 0x20` takes A-Z to a-z, and no other byte there)
        let letter = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', 26);
        let bare = _mm_or_si128(
            _mm_or_si128(letter, within(v, b'0', 10)),
            _mm_or_si128(is(b'_'), is(b'-')),
        );
        !(_mm_movemask_epi8(bare) as u32) & 0xffff
    }
}

/// The vector steps of [`Scan::feed`].
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_cmpeq_epi16, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_set1_epi16, _mm256_setzero_si256,
        _mm256_testz_si256,
    };

    /// The most bytes [`brackets`] reads at a time.
    pub(super) const BATCH: usize = 4096;

    /// Where the `[` of the (at most) [`BATCH`] bytes of `lines` from
    /// `start` are, in `at` (from `start`), but for those that cannot
    /// begin a header (see [`super::may_begin_line`]); how many. Read 64
    /// bytes a step (the last padded with zeros, which are neither `[` nor
    /// quotes). `pairs` is set when a pair `""` or
    /// `''` starts at an even offset: a `"""` or `'''` has one (starting
    /// at an even offset, its first two quotes; at an odd one, its last
    /// two), so without a pair there is no multi-line string.
    #[target_feature(enable = "avx2")]
    pub(super) fn brackets(
        lines: &[u8],
        start: usize,
        at: &mut [u16; BATCH],
        pairs: &mut bool,
    ) -> usize {
        let batch = &lines[start..lines.len().min(start + BATCH)];
        let (steps, rest) = batch.as_chunks::<64>();
        let wanted = Wanted {
            bracket: _mm256_set1_epi8(b'[' as i8),
            double: _mm256_set1_epi16(i16::from_ne_bytes(*b"\"\"")),
            single: _mm256_set1_epi16(i16::from_ne_bytes(*b"''")),
        };
        let mut found = _mm256_setzero_si256();
        let mut n = 0;
        let mut put = |from, mark| put(lines, start, from, mark, at, &mut n);
        // Two steps a turn of the loop, then the rest.
        let (twos, one) = steps.as_chunks::<2>();
        for (i, [a, b]) in twos.iter().enumerate() {
            put(i * 128, step(a, &wanted, &mut found));
            put(i * 128 + 64, step(b, &wanted, &mut found));
        }
        if let [a] = one {
            put(twos.len() * 128, step(a, &wanted, &mut found));
        }
        if !rest.is_empty() {
            let mut last = [0; 64];
            last[..rest.len()].copy_from_slice(rest);
            put(steps.len() * 64, step(&last, &wanted, &mut found));
        }
        *pairs |= _mm256_testz_si256(found, found) == 0;
        n
    }

    /// The `[` of `mark` (the bits of the step `from` bytes after
    /// `start`) in `at[n..]`.
    #[inline(always)]
    fn put(lines: &[u8], start: usize, from: usize, mut mark: u64, at: &mut [u16], n: &mut usize) {
        while mark != 0 {
            let i = from + mark.trailing_zeros() as usize;
            if super::may_begin_line(lines, start + i) {
                at[*n] = i as u16;
                *n += 1;
            }
            mark &= mark - 1;
        }
    }

    /// The bytes [`step`] compares with.
    struct Wanted {
        bracket: __m256i,
        double: __m256i,
        single: __m256i,
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn step(bytes: &[u8; 64], wanted: &Wanted, pairs: &mut __m256i) -> u64 {
        // SAFETY: the two loads read the 64 bytes of `bytes`.
        let [lo, hi]: [__m256i; 2] = unsafe {
            [
                _mm256_loadu_si256(bytes.as_ptr().cast()),
                _mm256_loadu_si256(bytes.as_ptr().add(32).cast()),
            ]
        };
        let pair = |v| {
            _mm256_or_si256(
                _mm256_cmpeq_epi16(v, wanted.double),
                _mm256_cmpeq_epi16(v, wanted.single),
            )
        };
        *pairs = _mm256_or_si256(*pairs, _mm256_or_si256(pair(lo), pair(hi)));
        let mask = |v| u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, wanted.bracket)) as u32);
        mask(lo) | mask(hi) << 32
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

    #[test]
    fn headers_at_the_start_of_the_file_or_of_a_piece_after_blanks_or_crlf() {
        // At the very start of the file, and of a piece.
        assert_eq!(
            of("[profiles.a]\nx = 1\n", "a").unwrap(),
            "[profiles.a]\nx = 1\n"
        );
        let mut scan = super::Scan::new("b", RESERVED);
        scan.feed(b"[profiles.a]\nx = 1\n").unwrap();
        scan.feed(b"[profiles.b]\ny = 2\n").unwrap();
        scan.feed(b"[profiles.a.response]\nt = \"/t\"\n").unwrap();
        assert_eq!(scan.finish().unwrap(), "[profiles.b]\ny = 2\n");
        // CRLF line ends.
        let text = "[defaults]\r\nx = 1\r\n[profiles.a]\r\ny = 2\r\n[profiles.b]\r\nz = 3\r\n";
        assert_eq!(
            of(text, "a").unwrap(),
            "[defaults]\r\nx = 1\r\n[profiles.a]\r\ny = 2\r\n"
        );
        // Blanks before the `[`: a header all the same, kept from its line.
        let text = "[profiles.b]\nz = 3\n \t [profiles.a]\ny = 2\n\t[profiles.b.response]\nt = 1\n";
        assert_eq!(of(text, "a").unwrap(), " \t [profiles.a]\ny = 2\n");
        assert_eq!(
            of(text, "b").unwrap(),
            "[profiles.b]\nz = 3\n\t[profiles.b.response]\nt = 1\n"
        );
        // A `[` after anything else on its line is a value's.
        let text = "[profiles.a]\nx = [ [1], [2] ]\ny=[\"[profiles.b]\"]\n";
        assert_eq!(of(text, "a").unwrap(), text);
        // `[` at a line's start inside a multi-line array reads as a header:
        // what it cannot be sure of goes to the full parse.
        assert_eq!(of("[profiles.a]\nx = [\n[1],\n]\n", "a"), None);
        assert_eq!(of("[profiles.a]\nx = [\n  [\"a\"],\n]\n", "a"), None);
    }

    #[test]
    fn names_that_share_a_start_long_names_and_reserved_names() {
        let text = "[profiles.a]\nx = 1\n[profiles.ab]\ny = 2\n[profiles.a-b.response]\nz = 3\n";
        assert_eq!(of(text, "a").unwrap(), "[profiles.a]\nx = 1\n");
        assert_eq!(of(text, "ab").unwrap(), "[profiles.ab]\ny = 2\n");
        assert_eq!(of(text, "a-b").unwrap(), "[profiles.a-b.response]\nz = 3\n");
        // Names of 15, 16 and more bytes (read 16 bytes at a time); another
        // profile's header is not read past its name.
        for other in [
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "team_0123-ABCD-efgh-0123456789",
        ] {
            let text = format!("[profiles.a]\nx = 1\n[profiles.{other}] junk\ny = 2\n");
            assert_eq!(of(&text, "a").unwrap(), "[profiles.a]\nx = 1\n", "{other}");
            let text = format!("[profiles.b]\nx = 1\n[profiles.{other}]\ny = 2\n");
            assert_eq!(
                of(&text, other).unwrap(),
                format!("[profiles.{other}]\ny = 2\n")
            );
        }
        // A reserved name anywhere, or as a sub-table: the full parse
        // refuses the file; a name of the same length is no reserved one.
        for text in [
            "[profiles.a]\nx = 1\n[profiles.get.response]\n",
            "[profiles.list]\n[profiles.a]\nx = 1\n",
            "[profiles.a]\nx = 1\n[profiles.\"get\"]\n",
        ] {
            assert_eq!(of(text, "a"), None, "{text}");
        }
        assert!(
            of(
                "[profiles.a]\nx = 1\n[profiles.gets]\n[profiles.lisp]\n",
                "a"
            )
            .is_some()
        );
    }

    #[test]
    fn quotes_that_open_no_multi_line_string() {
        // `'` and `''`, `"` and `""`, at every offset of a 64-byte step.
        for pad in 0..130 {
            let pad = "#".repeat(pad);
            let text = format!("[profiles.a]\n{pad}\nx = 'it'\ny = ''\nz = \"\"\nw = \"'\"\n");
            assert_eq!(of(&text, "a").unwrap(), text);
        }
    }

    #[test]
    fn a_multi_line_string_anywhere_at_any_offset() {
        for pad in 0..130 {
            let pad = "#".repeat(pad);
            for string in ["\"\"\"", "'''", "\"\"\"\"", "'''''"] {
                // In another table, a value's or on a line of its own.
                for text in [
                    format!("[profiles.a]\nx = 1\n[profiles.b]\n{pad}\ny = {string}\n{string}\n"),
                    format!("[profiles.a]\nx = 1\n{pad}\ny = [\n{string}a{string}\n]\n"),
                    format!("[profiles.b]\n{pad}\nt = {string}\n[profiles.a]\n{string}\n"),
                ] {
                    assert_eq!(of(&text, "a"), None, "{text}");
                }
            }
        }
    }

    /// A file of many profiles (lines of many lengths, so that a `[` falls
    /// at every offset of a step and on either side of a batch's end): the
    /// tables of each profile asked for.
    #[test]
    fn many_profiles() {
        let defaults = "[defaults]\nclient_id = \"c\"\n\n";
        let mut text = format!("# profiles\n{defaults}");
        let mut expect = std::collections::BTreeMap::new();
        for i in 0..400 {
            let name = format!("p{}{}", i, "x".repeat(i % 23));
            let table = format!(
                "[profiles.{name}]\nflavour = \"oauth2\"\nscope = [\"{}\"]\n",
                "s".repeat(i % 67)
            );
            let sub = format!("  [profiles.{name}.response]\ntoken = \"/t{i}\"\n\n");
            text.push_str(&table);
            text.push_str(&sub);
            expect.insert(name, format!("{defaults}{table}{sub}"));
        }
        assert!(text.len() > 3 * 4096);
        for (name, tables) in expect.iter().step_by(7) {
            assert_eq!(of(&text, name).as_ref(), Some(tables), "{name}");
        }
    }

    #[test]
    fn the_vector_bare_test_is_the_byte_test() {
        for b in 0..=255u8 {
            for at in 0..16 {
                let mut bytes = [b'a'; 16];
                bytes[at] = b;
                let expect = if super::is_bare(b) { 0 } else { 1 << at };
                assert_eq!(super::not_bare(&bytes), expect, "{b:#x} at {at}");
            }
        }
    }

    /// The vector steps find every `[` and every pair at an even offset.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_steps_find_every_bracket_and_pair() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        // A fixed pseudo-random sequence over the bytes that matter.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet = b"[\"'a\n \t";
        for len in [
            0,
            1,
            63,
            64,
            65,
            200,
            super::avx2::BATCH - 1,
            super::avx2::BATCH,
        ] {
            for _ in 0..20 {
                let batch: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let mut at = [0; super::avx2::BATCH];
                let mut pairs = false;
                // SAFETY: the CPU has AVX2 (just checked).
                let n = unsafe { super::avx2::brackets(&batch, 0, &mut at, &mut pairs) };
                let expect: Vec<u16> = (0..len)
                    .filter(|i| batch[*i] == b'[' && super::may_begin_line(&batch, *i))
                    .map(|i| i as u16)
                    .collect();
                assert_eq!(at[..n], expect[..]);
                let pair = batch.chunks_exact(2).any(|p| p == b"\"\"" || p == b"''");
                assert_eq!(pairs, pair);
            }
        }
    }
}
