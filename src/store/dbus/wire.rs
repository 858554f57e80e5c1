//! The D-Bus wire format, as far as the Secret Service read and write need
//! it: method calls encoded (little-endian), and any message taken off the
//! socket decoded, in either byte order, its body into [`Value`]s of any
//! signature. Pure: bytes in, bytes out. The format is the D-Bus
//! specification's "Message Protocol": a 16-byte fixed header, the header
//! fields as `a(yv)`, padding to 8, then the body; every value aligned to
//! its type's size from the start of the header (or of the body, which
//! starts at a multiple of 8).

use zeroize::Zeroizing;

/// Messages larger than this are refused: the specification's limit is
/// 128 MiB, but nothing a Secret Service read or write receives comes
/// close to this one, and a peer sending more is not one to follow.
pub const MAX_MESSAGE: usize = 1 << 20;

/// Containers nest at most this deep (the specification allows 64).
const MAX_DEPTH: usize = 32;

/// The bytes of an `ay`: wiped when dropped, and shown by their length
/// only (`{:?}` of a value, a message or a failed assertion never prints a
/// secret).
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

/// A D-Bus value: what a call carries and what a reply is decoded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Byte(u8),
    Bool(bool),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    /// A double, as its bits.
    F64(u64),
    Str(String),
    Path(String),
    Signature(String),
    /// A Unix file descriptor's index (none are ever passed here).
    Fd(u32),
    /// `ay`, kept apart: a secret travels as one.
    Bytes(Bytes),
    /// Any other array, with the signature of its elements.
    Array(String, Vec<Value>),
    Struct(Vec<Value>),
    Entry(Box<Value>, Box<Value>),
    Variant(Box<Value>),
}

impl Value {
    /// The value's signature.
    pub fn signature(&self) -> String {
        match self {
            Value::Byte(_) => "y".into(),
            Value::Bool(_) => "b".into(),
            Value::I16(_) => "n".into(),
            Value::U16(_) => "q".into(),
            Value::I32(_) => "i".into(),
            Value::U32(_) => "u".into(),
            Value::I64(_) => "x".into(),
            Value::U64(_) => "t".into(),
            Value::F64(_) => "d".into(),
            Value::Str(_) => "s".into(),
            Value::Path(_) => "o".into(),
            Value::Signature(_) => "g".into(),
            Value::Fd(_) => "h".into(),
            Value::Bytes(_) => "ay".into(),
            Value::Array(elem, _) => format!("a{elem}"),
            Value::Struct(fields) => {
                let inner: String = fields.iter().map(Value::signature).collect();
                format!("({inner})")
            }
            Value::Entry(k, v) => format!("{{{}{}}}", k.signature(), v.signature()),
            Value::Variant(_) => "v".into(),
        }
    }

    /// More than the bytes the value takes on the wire, wherever it is
    /// aligned: a writer this large never grows (and never leaves a copy
    /// of a secret behind in a buffer it let go).
    fn bound(&self) -> usize {
        8 + match self {
            Value::Str(s) | Value::Path(s) | Value::Signature(s) => s.len() + 8,
            Value::Bytes(b) => b.0.len() + 8,
            Value::Array(elem, items) => {
                elem.len() + 16 + items.iter().map(Value::bound).sum::<usize>()
            }
            Value::Struct(fields) => fields.iter().map(Value::bound).sum::<usize>(),
            Value::Entry(k, v) => k.bound() + v.bound(),
            Value::Variant(inner) => 2 * inner.bound(),
            _ => 8,
        }
    }

    /// An `ay` of these bytes.
    pub fn bytes(b: Vec<u8>) -> Value {
        Value::Bytes(Bytes(Zeroizing::new(b)))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Path(s) | Value::Signature(s) => Some(s),
            _ => None,
        }
    }

    /// The value inside a variant (itself when it is none).
    pub fn unwrapped(&self) -> &Value {
        match self {
            Value::Variant(inner) => inner.unwrapped(),
            other => other,
        }
    }

    /// The object paths of an `ao`.
    pub fn paths(&self) -> Option<Vec<String>> {
        match self {
            Value::Array(_, items) => items
                .iter()
                .map(|v| match v {
                    Value::Path(p) => Some(p.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// The string pairs of an `a{ss}`.
    pub fn string_pairs(&self) -> Option<Vec<(String, String)>> {
        match self {
            Value::Array(_, items) => items
                .iter()
                .map(|e| match e {
                    Value::Entry(k, v) => Some((k.as_str()?.to_string(), v.as_str()?.to_string())),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// An `a{ss}` of these pairs.
    pub fn string_dict(pairs: &[(&str, &str)]) -> Value {
        Value::Array(
            "{ss}".into(),
            pairs
                .iter()
                .map(|(k, v)| {
                    Value::Entry(
                        Box::new(Value::Str((*k).into())),
                        Box::new(Value::Str((*v).into())),
                    )
                })
                .collect(),
        )
    }
}

/// A method call to send.
pub struct Call<'a> {
    pub destination: &'a str,
    pub path: &'a str,
    pub interface: &'a str,
    pub member: &'a str,
    pub args: Vec<Value>,
}

/// The bus's `Hello`, a connection's due first message.
pub fn hello() -> Call<'static> {
    Call {
        destination: "org.freedesktop.DBus",
        path: "/org/freedesktop/DBus",
        interface: "org.freedesktop.DBus",
        member: "Hello",
        args: vec![],
    }
}

/// The bytes of `call` as message `serial` (little-endian). They hold the
/// call's arguments, a secret among them maybe: wiped when dropped.
pub fn encode_call(call: &Call<'_>, serial: u32) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut body = Writer::with_capacity(call.args.iter().map(Value::bound).sum());
    let body_capacity = body.out.capacity();
    let mut signature = String::new();
    for arg in &call.args {
        signature.push_str(&arg.signature());
        body.value(arg, 0)?;
    }
    // The header fields, `a(yv)`, written as they are (no values built).
    let fields: [(u8, u8, &str); 5] = [
        (1, b'o', call.path),
        (2, b's', call.interface),
        (3, b's', call.member),
        (6, b's', call.destination),
        (8, b'g', &signature),
    ];
    let texts: usize = fields.iter().map(|(_, _, t)| t.len()).sum();
    let body_len = u32::try_from(body.out.len()).map_err(|_| "a call too large")?;
    let mut out = Writer::with_capacity(16 + fields.len() * 24 + texts + 8 + body.out.len());
    let out_capacity = out.out.capacity();
    out.out.extend_from_slice(&[b'l', 1, 0, 1]);
    out.u32(body_len);
    out.u32(serial);
    out.u32(0);
    let start = out.out.len();
    for (code, ty, text) in fields {
        if ty == b'g' && text.is_empty() {
            continue;
        }
        out.align(8);
        out.out.extend_from_slice(&[code, 1, ty, 0]);
        if ty == b'g' {
            out.signature(text)?;
        } else {
            out.string(text)?;
        }
    }
    let fields_len = u32::try_from(out.out.len() - start).map_err(|_| "a call too large")?;
    out.out[12..16].copy_from_slice(&fields_len.to_le_bytes());
    out.align(8);
    out.out.extend_from_slice(&body.out);
    // Neither buffer grew: no copy of an argument was left behind.
    debug_assert!(body.out.capacity() == body_capacity && out.out.capacity() == out_capacity);
    if out.out.len() > MAX_MESSAGE {
        return Err("a call too large".into());
    }
    Ok(out.out)
}

/// What kind of message one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Call,
    Return,
    Error,
    Signal,
}

/// A message taken off the socket.
#[derive(Debug)]
pub struct Message {
    pub kind: Kind,
    /// The call it answers (a return or an error).
    pub reply_serial: Option<u32>,
    /// An error's name (`org.freedesktop.DBus.Error.…`).
    pub error_name: Option<String>,
    pub body: Vec<Value>,
}

impl Message {
    /// An error's own text: its name, and its message if it has one.
    pub fn error_text(&self) -> String {
        let name = self.error_name.as_deref().unwrap_or("an error");
        match self.body.first().and_then(Value::as_str) {
            Some(text) if !text.is_empty() => format!("{name}: {text}"),
            _ => name.to_string(),
        }
    }
}

/// The first whole message in `buf`, and the bytes it took; `Ok(None)` when
/// more bytes are needed. Anything malformed is an error.
pub fn decode(buf: &[u8]) -> Result<Option<(Message, usize)>, String> {
    if buf.len() < 16 {
        return Ok(None);
    }
    let big = match buf[0] {
        b'l' => false,
        b'B' => true,
        _ => return Err("not a D-Bus message (byte order)".into()),
    };
    if buf[3] != 1 {
        return Err(format!("D-Bus protocol version {}", buf[3]));
    }
    let word = |at: usize| {
        let b = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let body_len = word(4) as usize;
    let fields_len = word(12) as usize;
    if body_len > MAX_MESSAGE || fields_len > MAX_MESSAGE {
        return Err("a D-Bus message too large".into());
    }
    let header_len = (16 + fields_len).next_multiple_of(8);
    let total = header_len + body_len;
    if total > MAX_MESSAGE {
        return Err("a D-Bus message too large".into());
    }
    if buf.len() < total {
        return Ok(None);
    }
    let kind = match buf[1] {
        1 => Kind::Call,
        2 => Kind::Return,
        3 => Kind::Error,
        4 => Kind::Signal,
        other => return Err(format!("D-Bus message type {other}")),
    };
    // The header fields, `a(yv)`, read as they are (no values built): the
    // three a reply is taken by, any other skipped.
    let mut header = Reader {
        buf: &buf[..16 + fields_len],
        at: 16,
        big,
    };
    let (mut reply_serial, mut error_name, mut signature) = (None, None, "");
    while header.at < header.buf.len() {
        header.align(8)?;
        let code = header.take(1)?[0];
        let len = usize::from(header.take(1)?[0]);
        let ty = header.str_of(len)?;
        if one_type(ty)? != ty.len() {
            return Err("a D-Bus header field of more than one type".into());
        }
        match (code, ty) {
            (5, "u") => reply_serial = Some(header.u32()?),
            (4, "s") => {
                let len = header.u32()? as usize;
                error_name = Some(header.str_of(len)?.to_string());
            }
            (8, "g") => {
                let len = usize::from(header.take(1)?[0]);
                signature = header.str_of(len)?;
            }
            _ => {
                header.value(ty, 1)?;
            }
        }
    }
    let mut reader = Reader {
        buf: &buf[header_len..total],
        at: 0,
        big,
    };
    let mut body = Vec::new();
    for ty in split_signature(signature)? {
        body.push(reader.value(ty, 0)?);
    }
    if reader.at != reader.buf.len() {
        return Err("a D-Bus message with bytes after its body".into());
    }
    Ok(Some((
        Message {
            kind,
            reply_serial,
            error_name,
            body,
        },
        total,
    )))
}

/// The complete types of a signature, in order.
fn split_signature(sig: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = sig;
    while !rest.is_empty() {
        let n = one_type(rest)?;
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    Ok(out)
}

/// The length of the one complete type `sig` starts with.
fn one_type(sig: &str) -> Result<usize, String> {
    let bytes = sig.as_bytes();
    let bad = || format!("bad D-Bus signature `{sig}`");
    match bytes.first() {
        None => Err(bad()),
        Some(b'a') => Ok(1 + one_type(&sig[1..])?),
        Some(open @ (b'(' | b'{')) => {
            let close = if *open == b'(' { b')' } else { b'}' };
            let (mut at, mut types) = (1, 0);
            while bytes.get(at).ok_or_else(bad)? != &close {
                at += one_type(&sig[at..])?;
                types += 1;
            }
            // A struct holds one type or more; a dict entry a key of a
            // basic type and a value.
            let basic_key = !matches!(bytes[1], b'a' | b'(' | b'{' | b'v');
            if types == 0 || (*open == b'{' && (types != 2 || !basic_key)) {
                return Err(bad());
            }
            Ok(at + 1)
        }
        Some(b'y' | b'b' | b'n' | b'q' | b'i' | b'u' | b'x' | b't' | b'd' | b's' | b'o')
        | Some(b'g' | b'h' | b'v') => Ok(1),
        Some(_) => Err(bad()),
    }
}

/// The alignment of the type `sig` starts with.
fn alignment(sig: &str) -> usize {
    match sig.as_bytes().first() {
        Some(b'y' | b'g' | b'v') => 1,
        Some(b'n' | b'q') => 2,
        Some(b'x' | b't' | b'd' | b'(' | b'{') => 8,
        _ => 4,
    }
}

/// Values written in little-endian order (big-endian for tests that
/// play a big-endian peer).
#[derive(Default)]
struct Writer {
    out: Zeroizing<Vec<u8>>,
    big: bool,
}

impl Writer {
    fn with_capacity(n: usize) -> Writer {
        Writer {
            out: Zeroizing::new(Vec::with_capacity(n)),
            big: false,
        }
    }

    fn align(&mut self, n: usize) {
        let len = self.out.len().next_multiple_of(n);
        self.out.resize(len, 0);
    }

    /// A number given as its little-endian bytes, aligned to its size.
    fn number<const N: usize>(&mut self, mut le: [u8; N]) {
        self.align(N);
        if self.big {
            le.reverse();
        }
        self.out.extend_from_slice(&le);
    }

    fn u32(&mut self, v: u32) {
        self.number(v.to_le_bytes());
    }

    fn string(&mut self, s: &str) -> Result<(), String> {
        if s.contains('\0') {
            return Err("a string with a NUL in a D-Bus call".into());
        }
        self.u32(u32::try_from(s.len()).map_err(|_| "a string too long")?);
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
        Ok(())
    }

    fn signature(&mut self, s: &str) -> Result<(), String> {
        let n = u8::try_from(s.len()).map_err(|_| "a signature too long")?;
        self.out.push(n);
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
        Ok(())
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("a D-Bus value nested too deep".into());
        }
        match v {
            Value::Byte(b) => self.out.push(*b),
            Value::Bool(b) => self.u32(u32::from(*b)),
            Value::I16(n) => self.number(n.to_le_bytes()),
            Value::U16(n) => self.number(n.to_le_bytes()),
            Value::I32(n) => self.number(n.to_le_bytes()),
            Value::U32(n) | Value::Fd(n) => self.u32(*n),
            Value::I64(n) => self.number(n.to_le_bytes()),
            Value::U64(n) | Value::F64(n) => self.number(n.to_le_bytes()),
            Value::Str(s) | Value::Path(s) => self.string(s)?,
            Value::Signature(s) => self.signature(s)?,
            Value::Bytes(Bytes(b)) => {
                self.u32(u32::try_from(b.len()).map_err(|_| "an array too long")?);
                self.out.extend_from_slice(b);
            }
            Value::Array(elem, items) => {
                self.u32(0);
                let at = self.out.len() - 4;
                self.align(alignment(elem));
                let start = self.out.len();
                for item in items {
                    if item.signature() != *elem {
                        return Err(format!(
                            "an array of `{elem}` holding a `{}`",
                            item.signature()
                        ));
                    }
                    self.value(item, depth + 1)?;
                }
                let len = u32::try_from(self.out.len() - start).map_err(|_| "an array too long")?;
                let len = if self.big {
                    len.to_be_bytes()
                } else {
                    len.to_le_bytes()
                };
                self.out[at..at + 4].copy_from_slice(&len);
            }
            Value::Struct(fields) => {
                self.align(8);
                for f in fields {
                    self.value(f, depth + 1)?;
                }
            }
            Value::Entry(k, val) => {
                self.align(8);
                self.value(k, depth + 1)?;
                self.value(val, depth + 1)?;
            }
            Value::Variant(inner) => {
                self.signature(&inner.signature())?;
                self.value(inner, depth + 1)?;
            }
        }
        Ok(())
    }
}

struct Reader<'b> {
    buf: &'b [u8],
    at: usize,
    big: bool,
}

impl<'b> Reader<'b> {
    fn align(&mut self, n: usize) -> Result<(), String> {
        let to = self.at.next_multiple_of(n);
        let pad = self
            .buf
            .get(self.at..to)
            .ok_or("a D-Bus message cut short")?;
        if pad.iter().any(|b| *b != 0) {
            return Err("non-zero D-Bus padding".into());
        }
        self.at = to;
        Ok(())
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).ok_or("a D-Bus length overflows")?;
        let bytes = self
            .buf
            .get(self.at..end)
            .ok_or("a D-Bus message cut short")?;
        self.at = end;
        Ok(bytes)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], String> {
        self.align(N)?;
        let mut b: [u8; N] = self.take(N)?.try_into().map_err(|_| "cut short")?;
        if !self.big {
            b.reverse();
        }
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.fixed::<4>()?))
    }

    /// A string of `len` bytes and its NUL, borrowed from the message.
    fn str_of(&mut self, len: usize) -> Result<&'b str, String> {
        let buf: &'b [u8] = self.buf;
        let end = self.at.checked_add(len).ok_or("a D-Bus length overflows")?;
        let (Some(text), Some(0)) = (buf.get(self.at..end), buf.get(end)) else {
            return Err("a D-Bus string not ended by a NUL".into());
        };
        if text.contains(&0) {
            return Err("a D-Bus string with a NUL inside".into());
        }
        self.at = end + 1;
        std::str::from_utf8(text).map_err(|_| "a D-Bus string not UTF-8".into())
    }

    fn text(&mut self, len: usize) -> Result<String, String> {
        self.str_of(len).map(str::to_string)
    }

    fn value(&mut self, sig: &str, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("a D-Bus value nested too deep".into());
        }
        let first = *sig.as_bytes().first().ok_or("an empty D-Bus type")?;
        Ok(match first {
            b'y' => Value::Byte(self.take(1)?[0]),
            b'b' => match self.u32()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                n => return Err(format!("a D-Bus boolean {n}")),
            },
            b'n' => Value::I16(i16::from_be_bytes(self.fixed::<2>()?)),
            b'q' => Value::U16(u16::from_be_bytes(self.fixed::<2>()?)),
            b'i' => Value::I32(i32::from_be_bytes(self.fixed::<4>()?)),
            b'u' => Value::U32(self.u32()?),
            b'h' => Value::Fd(self.u32()?),
            b'x' => Value::I64(i64::from_be_bytes(self.fixed::<8>()?)),
            b't' => Value::U64(u64::from_be_bytes(self.fixed::<8>()?)),
            b'd' => Value::F64(u64::from_be_bytes(self.fixed::<8>()?)),
            b's' | b'o' => {
                let len = self.u32()? as usize;
                let text = self.text(len)?;
                if first == b's' {
                    Value::Str(text)
                } else {
                    Value::Path(text)
                }
            }
            b'g' => {
                let len = usize::from(self.take(1)?[0]);
                let text = self.text(len)?;
                split_signature(&text)?;
                Value::Signature(text)
            }
            b'v' => {
                let len = usize::from(self.take(1)?[0]);
                let inner = self.text(len)?;
                if one_type(&inner)? != inner.len() {
                    return Err("a D-Bus variant of more than one type".into());
                }
                Value::Variant(Box::new(self.value(&inner, depth + 1)?))
            }
            b'a' => {
                let len = self.u32()? as usize;
                let elem = &sig[1..1 + one_type(&sig[1..])?];
                self.align(alignment(elem))?;
                let end = self.at.checked_add(len).ok_or("a D-Bus length overflows")?;
                if end > self.buf.len() {
                    return Err("a D-Bus array longer than its message".into());
                }
                if elem == "y" {
                    return Ok(Value::bytes(self.take(len)?.to_vec()));
                }
                let mut items = Vec::new();
                while self.at < end {
                    items.push(self.value(elem, depth + 1)?);
                }
                if self.at != end {
                    return Err("a D-Bus array element past the array's end".into());
                }
                Value::Array(elem.to_string(), items)
            }
            b'(' | b'{' => {
                self.align(8)?;
                let inner = &sig[1..one_type(sig)? - 1];
                let mut fields = Vec::new();
                for ty in split_signature(inner)? {
                    fields.push(self.value(ty, depth + 1)?);
                }
                if first == b'(' {
                    Value::Struct(fields)
                } else {
                    let [k, v]: [Value; 2] = fields
                        .try_into()
                        .map_err(|_| "a D-Bus dict entry not of two")?;
                    Value::Entry(Box::new(k), Box::new(v))
                }
            }
            _ => return Err(format!("D-Bus type `{sig}`")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: Vec<Value>) -> Call<'static> {
        Call {
            destination: "org.freedesktop.secrets",
            path: "/org/freedesktop/secrets",
            interface: "org.freedesktop.Secret.Service",
            member: "SearchItems",
            args,
        }
    }

    fn field(code: u8, value: Value) -> Value {
        Value::Struct(vec![Value::Byte(code), Value::Variant(Box::new(value))])
    }

    /// A reply (little- or big-endian) to serial 7, with this body.
    fn reply(kind: u8, body: &[Value], big: bool) -> Vec<u8> {
        let mut w = Writer {
            big,
            ..Writer::default()
        };
        let mut sig = String::new();
        for v in body {
            sig.push_str(&v.signature());
            w.value(v, 0).unwrap();
        }
        let mut fields = vec![field(5, Value::U32(7))];
        if kind == 3 {
            fields.push(field(
                4,
                Value::Str("org.freedesktop.DBus.Error.Failed".into()),
            ));
        }
        if !sig.is_empty() {
            fields.push(field(8, Value::Signature(sig)));
        }
        let mut h = Writer {
            big,
            ..Writer::default()
        };
        h.out
            .extend_from_slice(&[if big { b'B' } else { b'l' }, kind, 0, 1]);
        h.u32(w.out.len() as u32);
        h.u32(99);
        h.value(&Value::Array("(yv)".into(), fields), 0).unwrap();
        h.align(8);
        let mut bytes = h.out.to_vec();
        bytes.extend_from_slice(&w.out);
        bytes
    }

    #[test]
    fn a_call_is_encoded_as_the_specification_lays_it_out() {
        let attrs = Value::string_dict(&[("service", "gettoken")]);
        let bytes = encode_call(&call(vec![attrs]), 4).unwrap();
        // The fixed header: little-endian, a method call, no flags, version 1.
        assert_eq!(&bytes[..4], &[b'l', 1, 0, 1]);
        let body_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 4);
        let fields_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let header_len = (16 + fields_len).next_multiple_of(8);
        assert_eq!(bytes.len(), header_len + body_len);
        // The body: the array's length, padding to the entry's 8, the
        // entry's two strings.
        let body = &bytes[header_len..];
        assert_eq!(
            body,
            b"\x19\0\0\0\0\0\0\0\x07\0\0\0service\0\x08\0\0\0gettoken\0"
        );
        // Decoded again (as a call), the body is what went in.
        let (msg, used) = decode(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(msg.kind, Kind::Call);
        assert_eq!(
            msg.body[0].string_pairs().unwrap(),
            vec![("service".to_string(), "gettoken".to_string())]
        );
    }

    #[test]
    fn the_bytes_of_the_hello_call_match_a_real_clients() {
        // What zbus sent for `Hello` (seen with strace): the same header
        // byte for byte, serial 1.
        let ours = encode_call(&hello(), 1).unwrap();
        let mut zbus = Vec::new();
        zbus.extend_from_slice(b"l\x01\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00m\x00\x00\x00");
        zbus.extend_from_slice(b"\x01\x01o\x00\x15\x00\x00\x00/org/freedesktop/DBus\x00\x00\x00");
        zbus.extend_from_slice(
            b"\x02\x01s\x00\x14\x00\x00\x00org.freedesktop.DBus\x00\x00\x00\x00",
        );
        zbus.extend_from_slice(b"\x03\x01s\x00\x05\x00\x00\x00Hello\x00\x00\x00");
        zbus.extend_from_slice(
            b"\x06\x01s\x00\x14\x00\x00\x00org.freedesktop.DBus\x00\x00\x00\x00",
        );
        assert_eq!(ours.as_slice(), zbus.as_slice());
    }

    #[test]
    fn replies_decode_in_either_byte_order() {
        let secret = Value::Struct(vec![
            Value::Path("/org/freedesktop/secrets/session/s1".into()),
            Value::bytes(vec![]),
            Value::bytes(b"tok-0".to_vec()),
            Value::Str("text/plain".into()),
        ]);
        let paths = Value::Array("o".into(), vec![Value::Path("/a/1".into())]);
        let body = [
            secret.clone(),
            paths.clone(),
            Value::Variant(Box::new(Value::Bool(true))),
        ];
        for big in [false, true] {
            let bytes = reply(2, &body, big);
            assert_eq!(bytes[0], if big { b'B' } else { b'l' });
            let (msg, used) = decode(&bytes).unwrap().unwrap();
            assert_eq!(used, bytes.len());
            assert_eq!(msg.kind, Kind::Return);
            assert_eq!(msg.reply_serial, Some(7));
            assert_eq!(msg.body, body, "big-endian: {big}");
            assert_eq!(msg.body[1].paths().unwrap(), vec!["/a/1".to_string()]);
            assert_eq!(msg.body[2].unwrapped(), &Value::Bool(true));
        }
    }

    #[test]
    fn an_error_reply_carries_its_name_and_text() {
        let bytes = reply(3, &[Value::Str("No such object".into())], false);
        let (msg, _) = decode(&bytes).unwrap().unwrap();
        assert_eq!(msg.kind, Kind::Error);
        assert_eq!(
            msg.error_text(),
            "org.freedesktop.DBus.Error.Failed: No such object"
        );
    }

    #[test]
    fn a_partial_message_waits_for_more_and_two_come_apart() {
        let one = reply(2, &[Value::Str("x".into())], false);
        for cut in 0..one.len() {
            assert!(decode(&one[..cut]).unwrap().is_none(), "cut at {cut}");
        }
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let (_, used) = decode(&two).unwrap().unwrap();
        assert_eq!(used, one.len());
        assert!(decode(&two[used..]).unwrap().is_some());
    }

    #[test]
    fn malformed_messages_are_errors_never_panics() {
        let good = reply(
            2,
            &[
                Value::Array("o".into(), vec![Value::Path("/a".into())]),
                Value::Variant(Box::new(Value::string_dict(&[("k", "v")]))),
            ],
            false,
        );
        // Every single byte changed to every value: an error, a message,
        // or a wait for more, never a panic.
        for at in 0..good.len() {
            for b in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[at] = b;
                let _ = decode(&bad);
            }
        }
        // A length past the limit is refused before any wait for it.
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge[..16]).is_err());
        let mut fields = good.clone();
        fields[12..16].copy_from_slice(&(u32::MAX - 7).to_le_bytes());
        assert!(decode(&fields[..16]).is_err());
        // Signatures that are not one type.
        for sig in ["a", "(", "()", "{s}", "{sss}", "{vs}", "z", "(s", "a{ss"] {
            assert!(split_signature(sig).is_err(), "`{sig}` accepted");
        }
        assert_eq!(
            split_signature("a{sv}(oayays)u").unwrap(),
            ["a{sv}", "(oayays)", "u"]
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let sig = format!("{}y", "a".repeat(40));
        let mut r = Reader {
            buf: &[0; 8],
            at: 0,
            big: false,
        };
        // Every array is empty here, so only the depth can stop it: it
        // does not, as an empty array's elements are not read.
        assert!(r.value(&sig, 0).is_ok());
        let mut nested = Value::Byte(1);
        for _ in 0..40 {
            nested = Value::Variant(Box::new(nested));
        }
        assert!(Writer::default().value(&nested, 0).is_err());
    }

    #[test]
    fn a_call_with_a_nul_in_a_string_is_refused() {
        let attrs = Value::string_dict(&[("service", "get\0token")]);
        assert!(encode_call(&call(vec![attrs]), 1).is_err());
    }

    #[test]
    fn every_type_a_call_can_carry_decodes_to_itself() {
        let values = vec![
            Value::Byte(7),
            Value::Bool(true),
            Value::I16(-2),
            Value::U16(65_000),
            Value::I32(-70_000),
            Value::U32(4_000_000_000),
            Value::I64(-1 << 40),
            Value::U64(1 << 63),
            Value::F64(0x4009_21fb_5444_2d18),
            Value::Str("héllo".into()),
            Value::Path("/org/freedesktop/secrets/session/s1".into()),
            Value::Signature("a{sv}".into()),
            Value::Fd(0),
            Value::bytes(vec![0, 1, 2, 255]),
            Value::Array("s".into(), vec![]),
            Value::Array(
                "(yu)".into(),
                vec![Value::Struct(vec![Value::Byte(1), Value::U32(2)])],
            ),
            Value::Variant(Box::new(Value::string_dict(&[("a", "b"), ("c", "")]))),
        ];
        for big in [false, true] {
            let bytes = reply(2, &values, big);
            let (msg, used) = decode(&bytes).unwrap().unwrap();
            assert_eq!(used, bytes.len());
            assert_eq!(msg.body, values, "big-endian: {big}");
        }
        // And as a call's arguments (in a debug build, `encode_call`
        // asserts its buffers never grew).
        let call = call(values);
        let bytes = encode_call(&call, 3).unwrap();
        let (msg, _) = decode(&bytes).unwrap().unwrap();
        assert_eq!(msg.body, call.args);
    }

    #[test]
    fn random_damage_is_an_error_a_message_or_a_wait_never_a_panic() {
        let good = reply(
            2,
            &[
                Value::Struct(vec![
                    Value::Path("/s".into()),
                    Value::bytes(vec![]),
                    Value::bytes(b"tok".to_vec()),
                    Value::Str("text/plain".into()),
                ]),
                Value::Array("o".into(), vec![Value::Path("/a".into())]),
                Value::Variant(Box::new(Value::string_dict(&[("k", "v")]))),
            ],
            false,
        );
        // xorshift: the same damage on every run.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut bad = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % bad.len();
                bad[at] = next() as u8;
            }
            let cut = (next() as usize) % (bad.len() + 1);
            let _ = decode(&bad[..cut]);
            let _ = decode(&bad);
        }
    }

    #[test]
    fn a_secret_in_a_value_is_never_shown() {
        let secret = Value::Struct(vec![
            Value::Path("/s".into()),
            Value::bytes(b"tok-secret".to_vec()),
        ]);
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("tok-secret") && !shown.contains("116"),
            "{shown}"
        );
        assert!(shown.contains("<10 bytes>"), "{shown}");
    }
}
