//! The D-Bus wire format, as much of it as a Secret Service lookup needs:
//! building method calls and reading the replies. Pure: bytes in, bytes out
//! (the connection itself is in `secret_lookup.rs`).

use std::fmt;

use zeroize::Zeroizing;

pub const METHOD_RETURN: u8 = 2;
pub const ERROR: u8 = 3;

/// The largest message accepted (the bus's own default limit is 128 MiB; a
/// reply to a lookup is a few hundred bytes).
const MAX_MESSAGE: usize = 1 << 20;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("D-Bus message: {0}")]
pub struct WireError(pub String);

fn bad(what: &str) -> WireError {
    WireError(what.to_string())
}

/// Little-endian marshalling; alignment is relative to the start of the
/// buffer, so a body is built in a writer of its own (a body starts on an
/// 8-byte boundary of the message).
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn pad(&mut self, align: usize) {
        while !self.buf.len().is_multiple_of(align) {
            self.buf.push(0);
        }
    }

    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn u32(&mut self, v: u32) {
        self.pad(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A string or an object path.
    pub fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    pub fn signature(&mut self, s: &str) {
        self.buf.push(s.len() as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    /// An array whose elements align to `align` (8 for structs and dict
    /// entries), written by `elements`.
    pub fn array(&mut self, align: usize, elements: impl FnOnce(&mut Self)) {
        self.u32(0);
        let length_at = self.buf.len() - 4;
        self.pad(align);
        let start = self.buf.len();
        elements(self);
        let length = (self.buf.len() - start) as u32;
        self.buf[length_at..length_at + 4].copy_from_slice(&length.to_le_bytes());
    }

    /// The start of a struct or dict entry.
    pub fn open_struct(&mut self) {
        self.pad(8);
    }

    /// `a{ss}`
    pub fn string_dict(&mut self, pairs: &[(&str, &str)]) {
        self.array(8, |w| {
            for (k, v) in pairs {
                w.open_struct();
                w.string(k);
                w.string(v);
            }
        });
    }
}

/// The addressing of one method call.
pub struct Call<'a> {
    pub destination: &'a str,
    pub path: &'a str,
    pub interface: &'a str,
    pub member: &'a str,
}

/// A complete METHOD_CALL message with `body` (marshalled as `signature`).
pub fn method_call(serial: u32, call: &Call<'_>, signature: &str, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.byte(b'l');
    w.byte(1); // METHOD_CALL
    w.byte(0); // flags
    w.byte(1); // protocol version
    w.u32(body.len() as u32);
    w.u32(serial);
    let field = |w: &mut Writer, code: u8, kind: &str, value: &str| {
        w.open_struct();
        w.byte(code);
        w.signature(kind);
        match kind {
            "g" => w.signature(value),
            _ => w.string(value),
        }
    };
    w.array(8, |w| {
        field(w, 1, "o", call.path);
        field(w, 2, "s", call.interface);
        field(w, 3, "s", call.member);
        field(w, 6, "s", call.destination);
        if !signature.is_empty() {
            field(w, 8, "g", signature);
        }
    });
    w.pad(8);
    w.buf.extend_from_slice(body);
    w.buf
}

/// A message read off the bus (only what a caller needs of its header).
/// Its body may hold a secret: zeroized on drop, and never shown by
/// `Debug`.
pub struct Message {
    pub kind: u8,
    pub serial: u32,
    pub member: Option<String>,
    pub reply_serial: Option<u32>,
    pub error_name: Option<String>,
    pub signature: String,
    big_endian: bool,
    body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .field("serial", &self.serial)
            .field("member", &self.member)
            .field("reply_serial", &self.reply_serial)
            .field("error_name", &self.error_name)
            .field("signature", &self.signature)
            .field("body", &format_args!("({} bytes)", self.body.len()))
            .finish()
    }
}

impl Message {
    /// A reply (to a method call of ours), rather than a signal or a call.
    pub fn is_reply(&self) -> bool {
        matches!(self.kind, METHOD_RETURN | ERROR) && self.reply_serial.is_some()
    }
}

impl Message {
    pub fn body(&self) -> Reader<'_> {
        Reader {
            buf: &self.body,
            pos: 0,
            big_endian: self.big_endian,
        }
    }
}

/// The full length of the message whose first 16 bytes are `head`.
pub fn message_len(head: &[u8]) -> Result<usize, WireError> {
    let mut r = Reader::head(head)?;
    r.pos = 4;
    let body = r.u32()? as usize;
    r.pos = 12;
    let fields = r.u32()? as usize;
    let total = 16usize
        .checked_add(fields)
        .and_then(|n| n.checked_next_multiple_of(8))
        .and_then(|header| header.checked_add(body))
        .filter(|&n| n <= MAX_MESSAGE)
        .ok_or_else(|| bad("too large"))?;
    Ok(total)
}

/// Parses one complete message (`message_len` bytes).
pub fn parse(buf: &[u8]) -> Result<Message, WireError> {
    let total = message_len(buf)?;
    if buf.len() < total {
        return Err(bad("truncated"));
    }
    let mut r = Reader::head(buf)?;
    r.pos = 1;
    let kind = r.byte()?;
    r.pos = 4;
    let body_len = r.u32()? as usize;
    let serial = r.u32()?;
    let fields_len = r.u32()? as usize;
    // Within `total`, checked above; the fields are read from a slice cut
    // at their end, so none can run into the padding or the body.
    let fields_end = 16 + fields_len;
    let mut r = Reader {
        buf: &buf[..fields_end],
        pos: 16,
        big_endian: r.big_endian,
    };
    let mut message = Message {
        kind,
        serial,
        member: None,
        reply_serial: None,
        error_name: None,
        signature: String::new(),
        big_endian: r.big_endian,
        body: Zeroizing::new(Vec::new()),
    };
    while r.pos < fields_end {
        r.align(8)?;
        let code = r.byte()?;
        let kind = r.signature()?;
        match (code, kind.as_str()) {
            (3, "s") => message.member = Some(r.string()?),
            (4, "s") => message.error_name = Some(r.string()?),
            (5, "u") => message.reply_serial = Some(r.u32()?),
            (8, "g") => message.signature = r.signature()?,
            (_, "s" | "o") => drop(r.string()?),
            (_, "g") => drop(r.signature()?),
            (_, "u") => drop(r.u32()?),
            _ => return Err(bad("unexpected header field type")),
        }
    }
    let body_start = fields_end.next_multiple_of(8);
    message.body = Zeroizing::new(buf[body_start..body_start + body_len].to_vec());
    Ok(message)
}

/// Reads values in order, honouring alignment and the sender's byte order.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Reader<'a> {
    fn head(buf: &'a [u8]) -> Result<Self, WireError> {
        let big_endian = match buf.first() {
            Some(b'l') => false,
            Some(b'B') => true,
            _ => return Err(bad("bad byte order mark")),
        };
        if buf.len() < 16 {
            return Err(bad("short header"));
        }
        Ok(Reader {
            buf,
            pos: 0,
            big_endian,
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).ok_or_else(|| bad("overflow"))?;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| bad("truncated"))?;
        self.pos = end;
        Ok(slice)
    }

    fn align(&mut self, align: usize) -> Result<(), WireError> {
        let to = self.pos.next_multiple_of(align);
        self.take(to - self.pos).map(|_| ())
    }

    pub fn byte(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, WireError> {
        self.align(4)?;
        let b: [u8; 4] = self.take(4)?.try_into().expect("4 bytes");
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn text(&mut self, len: usize) -> Result<String, WireError> {
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| bad("text is not UTF-8"))?;
        if self.byte()? != 0 {
            return Err(bad("text not terminated"));
        }
        Ok(text.to_string())
    }

    /// A string or an object path.
    pub fn string(&mut self) -> Result<String, WireError> {
        let len = self.u32()? as usize;
        self.text(len)
    }

    pub fn signature(&mut self) -> Result<String, WireError> {
        let len = self.byte()? as usize;
        self.text(len)
    }

    /// `ay`
    pub fn bytes(&mut self) -> Result<Vec<u8>, WireError> {
        let len = self.u32()? as usize;
        Ok(self.take(len)?.to_vec())
    }

    /// `ao` (or `as`)
    pub fn strings(&mut self) -> Result<Vec<String>, WireError> {
        let len = self.u32()? as usize;
        let end = self.pos.checked_add(len).ok_or_else(|| bad("overflow"))?;
        let mut out = Vec::new();
        while self.pos < end {
            out.push(self.string()?);
        }
        if self.pos != end {
            return Err(bad("array length mismatch"));
        }
        Ok(out)
    }

    /// The start of a struct.
    pub fn open_struct(&mut self) -> Result<(), WireError> {
        self.align(8)
    }

    /// A variant holding a string or a byte array (all a `plain` or `dh`
    /// session answers with), returned as bytes.
    pub fn variant_bytes(&mut self) -> Result<Vec<u8>, WireError> {
        match self.signature()?.as_str() {
            "s" => Ok(self.string()?.into_bytes()),
            "ay" => self.bytes(),
            _ => Err(bad("unexpected variant type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_field_may_not_run_into_the_body() {
        let mut v = vec![b'l', METHOD_RETURN, 0, 1];
        v.extend_from_slice(&8u32.to_le_bytes()); // body length
        v.extend_from_slice(&99u32.to_le_bytes()); // serial
        v.extend_from_slice(&16u32.to_le_bytes()); // header fields length
        v.extend_from_slice(&[5, 1, b'u', 0]);
        v.extend_from_slice(&1u32.to_le_bytes());
        // An error name of 7 bytes, which would be the body's.
        v.extend_from_slice(&[4, 1, b's', 0]);
        v.extend_from_slice(&7u32.to_le_bytes());
        v.extend_from_slice(b"abcdefg\0");
        assert_eq!(message_len(&v[..16]), Ok(v.len()));
        assert!(parse(&v).is_err());
    }

    #[test]
    fn a_message_shows_no_body_in_debug() {
        let body = b"\x07\0\0\0hunter2\0";
        let text = format!("{:?}", parse(&reply(1, "s", body, false)).unwrap());
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("12 bytes"), "{text}");
    }

    /// Appends `x` in the given byte order.
    fn put(v: &mut Vec<u8>, x: u32, big_endian: bool) {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    }

    /// A METHOD_RETURN to `serial`, built by hand in the given byte order.
    fn reply(serial: u32, signature: &str, body: &[u8], big_endian: bool) -> Vec<u8> {
        let put = |v: &mut Vec<u8>, x: u32| put(v, x, big_endian);
        let mut v = Vec::new();
        v.push(if big_endian { b'B' } else { b'l' });
        v.extend_from_slice(&[METHOD_RETURN, 0, 1]);
        put(&mut v, body.len() as u32);
        put(&mut v, 99);
        let mut fields = Vec::new();
        fields.extend_from_slice(&[5, 1, b'u', 0]);
        put(&mut fields, serial);
        fields.extend_from_slice(&[8, 1, b'g', 0, signature.len() as u8]);
        fields.extend_from_slice(signature.as_bytes());
        fields.push(0);
        put(&mut v, fields.len() as u32);
        v.extend_from_slice(&fields);
        while v.len() % 8 != 0 {
            v.push(0);
        }
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_method_call_is_laid_out_as_the_spec_says() {
        let mut body = Writer::default();
        body.string_dict(&[("service", "gettoken")]);
        let body = body.into_bytes();
        // a{ss}: length 4 bytes, pad to 8, then the entry
        assert_eq!(&body[0..4], &(body.len() as u32 - 8).to_le_bytes());
        assert_eq!(&body[8..12], &7u32.to_le_bytes());
        let call = Call {
            destination: "org.freedesktop.secrets",
            path: "/org/freedesktop/secrets",
            interface: "org.freedesktop.Secret.Service",
            member: "SearchItems",
        };
        let msg = method_call(3, &call, "a{ss}", &body);
        assert_eq!(&msg[0..4], &[b'l', 1, 0, 1]);
        assert_eq!(message_len(&msg[..16]).unwrap(), msg.len());
        assert!(msg.ends_with(&body));
        assert_eq!((msg.len() - body.len()) % 8, 0, "the body starts 8-aligned");
        let text = String::from_utf8_lossy(&msg);
        for part in [
            "SearchItems",
            "org.freedesktop.secrets",
            "a{ss}",
            "gettoken",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn replies_parse_in_either_byte_order() {
        for big in [false, true] {
            // (oayays), as Item.GetSecret answers
            let mut body = Vec::new();
            let put = |v: &mut Vec<u8>, x: u32| put(v, x, big);
            put(&mut body, 3);
            body.extend_from_slice(b"/s/\0");
            put(&mut body, 0); // parameters: empty
            put(&mut body, 5);
            body.extend_from_slice(b"token");
            body.extend_from_slice(&[0, 0, 0]); // pad to 4
            put(&mut body, 10);
            body.extend_from_slice(b"text/plain\0");
            let raw = reply(4, "(oayays)", &body, big);
            assert_eq!(message_len(&raw[..16]).unwrap(), raw.len());
            let msg = parse(&raw).unwrap();
            assert_eq!(msg.kind, METHOD_RETURN);
            assert_eq!(msg.reply_serial, Some(4));
            assert_eq!(msg.signature, "(oayays)");
            let mut r = msg.body();
            r.open_struct().unwrap();
            assert_eq!(r.string().unwrap(), "/s/");
            assert_eq!(r.bytes().unwrap(), b"");
            assert_eq!(r.bytes().unwrap(), b"token");
            assert_eq!(r.string().unwrap(), "text/plain");
        }
    }

    #[test]
    fn object_path_arrays_and_variants_read_back() {
        let mut w = Writer::default();
        w.array(4, |w| {
            w.string("/a");
            w.string("/bb");
        });
        w.array(4, |_| {});
        w.signature("s");
        w.string("");
        let bytes = w.into_bytes();
        let mut r = Reader {
            buf: &bytes,
            pos: 0,
            big_endian: false,
        };
        assert_eq!(r.strings().unwrap(), vec!["/a", "/bb"]);
        assert!(r.strings().unwrap().is_empty());
        assert_eq!(r.variant_bytes().unwrap(), b"");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(message_len(b"x123456789abcdef").is_err());
        let mut huge = reply(1, "", &[], false);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message_len(&huge[..16]).is_err());
        let good = reply(1, "s", &[5, 0, 0, 0, b'a', b'b'], false);
        assert!(parse(&good).unwrap().body().string().is_err());
        let mut r = Reader {
            buf: &[200, 0, 0, 0],
            pos: 0,
            big_endian: false,
        };
        assert!(r.strings().is_err());
    }
}
