//! Text from outside (an endpoint's reply, a URL, a JWT's claims, git's
//! request) made safe to show on a terminal, and the character checks a
//! token and an HTTP auth scheme must pass; bytes as hex. Pure.

/// Whether `c` must never reach a terminal as it is: C0 and C1 controls,
/// DEL, and the Unicode format characters that reorder or hide text
/// (zero-width, bidi embeddings, overrides and isolates, the BOM).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// `text` with every [`is_unsafe_char`] escaped: CR, LF and TAB become a
/// space (an error text's line breaks keep its words apart); any other is
/// written `\u{..}`, visible and inert.
pub fn escape_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether `text` is an HTTP `token` (RFC 9110 5.6.2: `1*tchar`), as an
/// auth scheme in an `Authorization:` line must be.
pub fn is_http_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// `bytes` in lower-case hex, two digits each (a digest as text).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let formatted: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), formatted);
    }

    #[test]
    fn line_breaks_and_tabs_become_spaces() {
        assert_eq!(
            escape_for_terminal("bad\r\nclient\there"),
            "bad  client here"
        );
    }

    #[test]
    fn controls_del_c1_and_format_characters_are_escaped() {
        assert_eq!(escape_for_terminal("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(
            escape_for_terminal("\u{7f}\u{9b}\u{0}"),
            "\\u{7f}\\u{9b}\\u{0}"
        );
        for c in [
            '\u{200B}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{FEFF}',
        ] {
            let shown = escape_for_terminal(&format!("x{c}y"));
            assert_eq!(shown, format!("x\\u{{{:x}}}y", u32::from(c)));
            assert!(shown.is_ascii());
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        let text = "café: naïve — 東京 \"quoted\" \\u";
        assert_eq!(escape_for_terminal(text), text);
        assert!(!is_unsafe_char('\u{2010}') && !is_unsafe_char('\u{2065}'));
    }

    #[test]
    fn http_tokens() {
        for ok in ["Bearer", "DPoP", "MAC", "x-custom_1.0", "a!#$%&'*+-.^_`|~"] {
            assert!(is_http_token(ok), "{ok}");
        }
        for bad in [
            "",
            "Bearer x",
            "a\r\nb",
            "a:b",
            "a\"b",
            "a,b",
            "é",
            "a\u{200B}b",
            "(x)",
        ] {
            assert!(!is_http_token(bad), "{bad:?}");
        }
    }
}
