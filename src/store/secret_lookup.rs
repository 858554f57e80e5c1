//! A read from the Secret Service at the cost of a few bus round trips, for
//! the cache hit: one connection to the session bus, a `plain` session,
//! `SearchItems` by the attributes the keyring store writes (`service`,
//! `username`), then `GetSecret`. The full client (zbus, with a
//! Diffie-Hellman session) costs 10-20 ms to open; this costs about one.
//! A plain session hides nothing worth hiding: the session bus is a local
//! socket of this user, and any process of the user that could read the
//! secret off it could as well ask the Secret Service for it.
//!
//! Anything out of the ordinary (a locked or ambiguous item, a bus address
//! other than a Unix socket, an error reply) answers [`Lookup::Unsure`], and
//! the caller asks the full client, which knows how to unlock and report.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::dbus_wire::{self, Call, METHOD_RETURN, Message, Writer};

pub enum Lookup {
    Found(Zeroizing<String>),
    Absent,
    /// Ask the full client: the reason, for `-v`.
    Unsure(String),
    /// The bus or the service did not answer in time: do not wait again.
    TimedOut,
}

const SECRETS: &str = "org.freedesktop.secrets";
const SECRETS_PATH: &str = "/org/freedesktop/secrets";
const SERVICE_IFACE: &str = "org.freedesktop.Secret.Service";

/// Looks up the item with these attributes, taking at most `limit`.
pub fn lookup(service: &str, username: &str, limit: Duration) -> Lookup {
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    match sockets(address.as_deref(), dirs::runtime_dir()) {
        Ok(sockets) => lookup_on(&sockets, service, username, limit),
        Err(Failure::TimedOut) => Lookup::TimedOut,
        Err(Failure::Other(why)) => Lookup::Unsure(why),
    }
}

/// The same, on the bus listening on `sockets`.
fn lookup_on(sockets: &[Socket], service: &str, username: &str, limit: Duration) -> Lookup {
    match Session::open(sockets, limit).and_then(|mut s| s.find(service, username)) {
        Ok(found) => found,
        Err(Failure::TimedOut) => Lookup::TimedOut,
        Err(Failure::Other(why)) => Lookup::Unsure(why),
    }
}

enum Failure {
    TimedOut,
    Other(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => Failure::TimedOut,
            _ => Failure::Other(format!("session bus: {e}")),
        }
    }
}

impl From<dbus_wire::WireError> for Failure {
    fn from(e: dbus_wire::WireError) -> Self {
        Failure::Other(e.to_string())
    }
}

fn other(why: impl Into<String>) -> Failure {
    Failure::Other(why.into())
}

struct Session {
    stream: UnixStream,
    deadline: Instant,
    /// Bytes read and not yet parsed (a reply may hold the secret).
    buffered: Zeroizing<Vec<u8>>,
    serial: u32,
    /// Replies that came before the one awaited: D-Bus does not promise
    /// replies in the order of the calls.
    early: Vec<Message>,
}

/// At most this many early replies are kept (a lookup makes five calls).
const MAX_EARLY: usize = 8;

impl Session {
    /// Connects and authenticates (SASL EXTERNAL: the uid the kernel
    /// vouches for).
    fn open(sockets: &[Socket], limit: Duration) -> Result<Self, Failure> {
        let deadline = Instant::now() + limit;
        let stream = connect(sockets, limit)?;
        let mut session = Session {
            stream,
            deadline,
            buffered: Zeroizing::new(Vec::with_capacity(8192)),
            serial: 0,
            early: Vec::new(),
        };
        // The bus checks the uid against the socket's peer credentials,
        // which carry the effective uid.
        // SAFETY: geteuid(2) cannot fail and touches no memory.
        let uid = unsafe { libc::geteuid() };
        let hex: String = uid
            .to_string()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        session.send(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())?;
        let line = session.read_line()?;
        if !line.starts_with("OK ") {
            return Err(other(format!(
                "session bus refused EXTERNAL auth: {}",
                line.escape_debug()
            )));
        }
        Ok(session)
    }

    /// The time left before the deadline; none left is a time-out.
    fn left(&self) -> Result<Duration, Failure> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Failure::TimedOut)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        Ok(self.stream.write_all(bytes)?)
    }

    /// Reads more bytes into the buffer, within the deadline.
    fn fill(&mut self) -> Result<(), Failure> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        let mut chunk = Zeroizing::new([0u8; 4096]);
        let n = self.stream.read(&mut chunk[..])?;
        if n == 0 {
            return Err(other("the session bus closed the connection"));
        }
        self.buffered.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn read_line(&mut self) -> Result<String, Failure> {
        loop {
            if let Some(end) = self.buffered.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buffered[..end]).into_owned();
                self.buffered.drain(..end + 2);
                return Ok(line);
            }
            if self.buffered.len() > 512 {
                return Err(other("session bus: overlong auth reply"));
            }
            self.fill()?;
        }
    }

    /// Queues a method call; returns its serial.
    fn call(&mut self, out: &mut Vec<u8>, call: &Call<'_>, sig: &str, body: Writer) -> u32 {
        self.serial += 1;
        out.extend(dbus_wire::method_call(
            self.serial,
            call,
            sig,
            &body.into_bytes(),
        ));
        self.serial
    }

    /// The reply to `serial`: one that came early, else the next reply to
    /// it off the bus. Signals and calls are skipped; replies to the other
    /// calls of this session are kept for later.
    fn reply(&mut self, serial: u32) -> Result<Message, Failure> {
        if let Some(i) = self
            .early
            .iter()
            .position(|m| m.reply_serial == Some(serial))
        {
            return answer(self.early.swap_remove(i));
        }
        loop {
            while self.buffered.len() >= 16 {
                let len = dbus_wire::message_len(&self.buffered[..16])?;
                if self.buffered.len() < len {
                    break;
                }
                let message = dbus_wire::parse(&self.buffered[..len])?;
                self.buffered.drain(..len);
                if !message.is_reply() {
                    continue;
                }
                if message.reply_serial == Some(serial) {
                    return answer(message);
                }
                let ours = message.reply_serial.is_some_and(|s| s <= self.serial);
                if ours && self.early.len() < MAX_EARLY {
                    self.early.push(message);
                }
            }
            self.fill()?;
        }
    }

    /// Closes the session and waits for the answer, so that the connection
    /// ends only once the service is done with this client.
    fn close(&mut self, session: &str) -> Result<(), Failure> {
        let mut out = Vec::new();
        let close = self.queue_close(&mut out, session);
        self.send(&out)?;
        self.reply(close).map(drop)
    }

    fn queue_close(&mut self, out: &mut Vec<u8>, session: &str) -> u32 {
        let call = Call {
            destination: SECRETS,
            path: session,
            interface: "org.freedesktop.Secret.Session",
            member: "Close",
        };
        self.call(out, &call, "", Writer::default())
    }

    /// The reply to `serial`, which must carry `signature`: a body of
    /// another shape is not read as if it were the one asked for.
    fn reply_shaped(&mut self, serial: u32, signature: &str) -> Result<Message, Failure> {
        let message = self.reply(serial)?;
        if message.signature != signature {
            return Err(other(format!(
                "Secret Service: a reply of signature `{}` where `{signature}` was due",
                message.signature.escape_debug()
            )));
        }
        Ok(message)
    }

    fn find(&mut self, service: &str, username: &str) -> Result<Lookup, Failure> {
        // gnome-keyring admits a new client from an idle callback that its
        // message filter schedules, and a method handled before that ran
        // makes it abort (OpenSession: "gkd_secret_service_publish_dispatch:
        // assertion 'client' failed", then a fatal g_variant_new). So the
        // first call is a harmless property read, answered before anything
        // that needs the client record goes out; then OpenSession and
        // SearchItems together.
        let mut out = b"BEGIN\r\n".to_vec();
        let bus = Call {
            destination: "org.freedesktop.DBus",
            path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus",
            member: "Hello",
        };
        let hello = self.call(&mut out, &bus, "", Writer::default());
        let mut args = Writer::default();
        args.string(SERVICE_IFACE);
        args.string("Collections");
        let properties = Call {
            destination: SECRETS,
            path: SECRETS_PATH,
            interface: "org.freedesktop.DBus.Properties",
            member: "Get",
        };
        let greet = self.call(&mut out, &properties, "ss", args);
        self.send(&out)?;
        self.reply(hello)?;
        self.reply(greet)?;

        let mut out = Vec::new();
        let mut args = Writer::default();
        args.string("plain");
        args.signature("s");
        args.string("");
        let open = self.call(&mut out, &secrets_call("OpenSession"), "sv", args);
        let mut args = Writer::default();
        args.string_dict(&[("service", service), ("username", username)]);
        let search = self.call(&mut out, &secrets_call("SearchItems"), "a{ss}", args);
        self.send(&out)?;
        let opened = self.reply_shaped(open, "vo")?;
        let mut r = opened.body();
        r.variant_bytes()?;
        let session = r.string()?;
        let found = self.reply_shaped(search, "aoao")?;
        let mut r = found.body();
        let unlocked = r.strings()?;
        let locked = r.strings()?;
        let item = match (unlocked.as_slice(), locked.len()) {
            ([], 0) => {
                self.close(&session)?;
                return Ok(Lookup::Absent);
            }
            ([item], 0) => item.clone(),
            _ => {
                self.close(&session)?;
                return Ok(Lookup::Unsure(format!(
                    "{} unlocked and {} locked items match",
                    unlocked.len(),
                    locked.len()
                )));
            }
        };

        let mut out = Vec::new();
        let mut args = Writer::default();
        args.string(&session);
        let get = Call {
            destination: SECRETS,
            path: &item,
            interface: "org.freedesktop.Secret.Item",
            member: "GetSecret",
        };
        let get = self.call(&mut out, &get, "o", args);
        let close = self.queue_close(&mut out, &session);
        self.send(&out)?;
        let secret = self.reply_shaped(get, "(oayays)")?;
        let _ = self.reply(close);
        let mut r = secret.body();
        r.open_struct()?;
        r.string()?;
        let parameters = r.bytes()?;
        let value = Zeroizing::new(r.bytes()?);
        if !parameters.is_empty() {
            return Err(other("the secret came back encrypted"));
        }
        match std::str::from_utf8(&value) {
            Ok(text) => Ok(Lookup::Found(Zeroizing::new(text.to_string()))),
            Err(_) => Ok(Lookup::Unsure("the secret is not UTF-8".into())),
        }
    }
}

/// A reply's message, or its error.
fn answer(message: Message) -> Result<Message, Failure> {
    match message.kind {
        METHOD_RETURN => Ok(message),
        _ => Err(other(format!(
            "Secret Service: {}",
            message.error_name.as_deref().unwrap_or("error")
        ))),
    }
}

fn secrets_call(member: &str) -> Call<'_> {
    Call {
        destination: SECRETS,
        path: SECRETS_PATH,
        interface: SERVICE_IFACE,
        member,
    }
}

/// A Unix socket the session bus may listen on.
#[derive(Debug, PartialEq, Eq)]
enum Socket {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

/// The session bus's Unix sockets, in the order to try them: each
/// `unix:path=` or `unix:abstract=` of the bus address (`;`-separated),
/// else `$XDG_RUNTIME_DIR/bus` when there is no address. Pure.
fn sockets(address: Option<&str>, runtime_dir: Option<PathBuf>) -> Result<Vec<Socket>, Failure> {
    let Some(address) = address.filter(|a| !a.is_empty()) else {
        return runtime_dir
            .map(|d| vec![Socket::Path(d.join("bus"))])
            .ok_or_else(|| other("no session bus address"));
    };
    let mut found = Vec::new();
    for entry in address.split(';') {
        let Some(params) = entry.strip_prefix("unix:") else {
            continue;
        };
        for param in params.split(',') {
            if let Some(path) = param.strip_prefix("path=") {
                found.push(Socket::Path(PathBuf::from(unescape(path)?)));
            } else if let Some(name) = param.strip_prefix("abstract=") {
                found.push(Socket::Abstract(unescape(name)?.into_bytes()));
            }
        }
    }
    if found.is_empty() {
        return Err(other(format!("unsupported session bus address {address}")));
    }
    Ok(found)
}

/// A connection to the session bus: the first of its sockets that takes
/// one within `limit` (a time-out ends the tries).
fn connect(sockets: &[Socket], limit: Duration) -> Result<UnixStream, Failure> {
    let mut last = other("no session bus address");
    for socket in sockets {
        match connect_within(socket, limit).map_err(Failure::from) {
            Ok(stream) => return Ok(stream),
            Err(Failure::TimedOut) => return Err(Failure::TimedOut),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Connects to `socket`, waiting at most `limit` (a bus whose backlog is
/// full would otherwise block `connect` for ever): Linux bounds a Unix
/// socket's `connect` by its send time-out, set before connecting.
fn connect_within(socket: &Socket, limit: Duration) -> std::io::Result<UnixStream> {
    use std::os::fd::FromRawFd as _;
    use std::os::unix::ffi::OsStrExt as _;

    // SAFETY: socket(2) takes no pointers; the descriptor it returns is
    // owned by the stream at once, which closes it on every path.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    stream.set_write_timeout(Some(limit))?;

    // SAFETY: sockaddr_un is plain data, valid all zeroes.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // A path ends with a NUL (in the zeroed tail); an abstract name starts
    // with one and is as long as the length given.
    let (name, at, nul) = match socket {
        Socket::Path(p) => (p.as_os_str().as_bytes(), 0, 1),
        Socket::Abstract(n) => (n.as_slice(), 1, 0),
    };
    if at + name.len() + nul > addr.sun_path.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "session bus socket name too long",
        ));
    }
    for (slot, byte) in addr.sun_path[at..].iter_mut().zip(name) {
        *slot = *byte as libc::c_char;
    }
    let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + at + name.len() + nul;
    // SAFETY: `addr` is a valid sockaddr_un of at least `len` bytes.
    let rc = unsafe {
        libc::connect(
            fd,
            (&raw const addr).cast::<libc::sockaddr>(),
            len as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stream)
}

/// D-Bus addresses escape bytes as `%XX`.
fn unescape(value: &str) -> Result<String, Failure> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| other("bad escape in the session bus address"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| other("session bus address is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;

    use super::*;
    use crate::store::dbus_wire::ERROR;

    #[test]
    fn addresses_unescape() {
        assert_eq!(unescape("/tmp/a%2cb").ok().as_deref(), Some("/tmp/a,b"));
        assert!(unescape("/tmp/%zz").is_err());
        assert!(unescape("/tmp/%+f").is_err(), "a sign is no hex digit");
    }

    #[test]
    fn every_unix_socket_of_the_address_is_tried_in_order() {
        let found = sockets(
            Some("tcp:host=127.0.0.1,port=1;unix:abstract=/tmp/dbus-x,guid=1;unix:path=/run/a%20b"),
            None,
        )
        .ok()
        .unwrap();
        assert_eq!(
            found,
            [
                Socket::Abstract(b"/tmp/dbus-x".to_vec()),
                Socket::Path("/run/a b".into())
            ]
        );
    }

    #[test]
    fn no_address_means_the_runtime_dirs_bus_and_none_usable_is_unsure() {
        let run = Some(PathBuf::from("/run/user/7"));
        for empty in [None, Some("")] {
            let found = sockets(empty, run.clone()).ok().unwrap();
            assert_eq!(found, [Socket::Path("/run/user/7/bus".into())]);
        }
        assert!(sockets(Some("tcp:host=localhost,port=1"), run).is_err());
        assert!(sockets(None, None).is_err());
    }

    /// A message from the bus, built as the bus would.
    fn message(
        kind: u8,
        reply_to: Option<u32>,
        member: Option<&str>,
        sig: &str,
        body: Writer,
    ) -> Vec<u8> {
        let body = body.into_bytes();
        let mut w = Writer::default();
        for b in [b'l', kind, 0, 1] {
            w.byte(b);
        }
        w.u32(body.len() as u32);
        w.u32(1000);
        w.array(8, |w| {
            let mut field = |code: u8, kind: &str, value: &str| {
                w.open_struct();
                w.byte(code);
                w.signature(kind);
                if kind == "g" {
                    w.signature(value);
                } else {
                    w.string(value);
                }
            };
            if let Some(member) = member {
                field(1, "o", "/org/freedesktop/DBus");
                field(2, "s", "org.freedesktop.DBus");
                field(3, "s", member);
            }
            if !sig.is_empty() {
                field(8, "g", sig);
            }
            if let Some(serial) = reply_to {
                w.open_struct();
                w.byte(5);
                w.signature("u");
                w.u32(serial);
            }
        });
        w.open_struct();
        let mut bytes = w.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    fn reply(to: u32, sig: &str, body: Writer) -> Vec<u8> {
        message(METHOD_RETURN, Some(to), None, sig, body)
    }

    /// A Secret Service on a bus of its own, holding one item whose secret
    /// is `tok-0`. With `out_of_order`, it answers OpenSession only after
    /// SearchItems, as a service that runs each call on a task of its own
    /// may; after Hello it sends a signal (NameAcquired), as buses do.
    fn mock_bus(
        dir: &std::path::Path,
        out_of_order: bool,
        secret_signature: &'static str,
    ) -> (Socket, std::thread::JoinHandle<()>) {
        let path = dir.join("bus");
        let listener = UnixListener::bind(&path).unwrap();
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let mut authed = false;
            let mut deferred = None;
            loop {
                if !authed {
                    if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
                        buf.drain(..end + 2);
                        s.write_all(b"OK 0123456789abcdef0123456789abcdef\r\n")
                            .unwrap();
                        authed = true;
                        continue;
                    }
                } else if buf.starts_with(b"BEGIN\r\n") {
                    buf.drain(..7);
                    continue;
                } else if buf.len() >= 16 {
                    let len = dbus_wire::message_len(&buf[..16]).unwrap();
                    if buf.len() >= len {
                        let call = dbus_wire::parse(&buf[..len]).unwrap();
                        buf.drain(..len);
                        let mut out = Vec::new();
                        match call.member.as_deref().unwrap_or("") {
                            "Hello" => {
                                let mut w = Writer::default();
                                w.string(":1.7");
                                out.extend(reply(call.serial, "s", w));
                                let mut w = Writer::default();
                                w.string(":1.7");
                                out.extend(message(4, None, Some("NameAcquired"), "s", w));
                            }
                            "OpenSession" => {
                                let mut w = Writer::default();
                                w.signature("s");
                                w.string("");
                                w.string("/org/freedesktop/secrets/session/1");
                                let answer = reply(call.serial, "vo", w);
                                if out_of_order {
                                    deferred = Some(answer);
                                } else {
                                    out.extend(answer);
                                }
                            }
                            "SearchItems" => {
                                let mut w = Writer::default();
                                w.array(4, |w| {
                                    w.string("/org/freedesktop/secrets/collection/login/1")
                                });
                                w.array(4, |_| {});
                                out.extend(reply(call.serial, "aoao", w));
                                out.extend(deferred.take().unwrap_or_default());
                            }
                            "GetSecret" => {
                                let mut w = Writer::default();
                                w.open_struct();
                                w.string("/org/freedesktop/secrets/session/1");
                                w.array(1, |_| {});
                                w.array(1, |w| b"tok-0".iter().for_each(|b| w.byte(*b)));
                                w.string("text/plain");
                                out.extend(reply(call.serial, secret_signature, w));
                            }
                            _ => out.extend(reply(call.serial, "", Writer::default())),
                        }
                        s.write_all(&out).unwrap();
                        continue;
                    }
                }
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        });
        (Socket::Path(path), handle)
    }

    fn found(lookup: Lookup) -> String {
        match lookup {
            Lookup::Found(v) => v.to_string(),
            Lookup::Absent => "absent".into(),
            Lookup::Unsure(why) => format!("unsure: {why}"),
            Lookup::TimedOut => "timed out".into(),
        }
    }

    #[test]
    fn replies_are_matched_to_calls_in_any_order() {
        for out_of_order in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let (socket, bus) = mock_bus(dir.path(), out_of_order, "(oayays)");
            let start = Instant::now();
            let got = lookup_on(&[socket], "gettoken", "token/p", Duration::from_secs(3));
            assert_eq!(found(got), "tok-0", "out of order: {out_of_order}");
            assert!(start.elapsed() < Duration::from_secs(2));
            bus.join().unwrap();
        }
    }

    #[test]
    fn a_reply_of_another_shape_is_not_read_as_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let (socket, bus) = mock_bus(dir.path(), false, "(oayay)");
        let got = lookup_on(&[socket], "gettoken", "token/p", Duration::from_secs(3));
        assert!(found(got).starts_with("unsure: "));
        bus.join().unwrap();
    }

    #[test]
    fn an_error_reply_is_unsure() {
        let mut early = Session {
            stream: UnixStream::pair().unwrap().0,
            deadline: Instant::now() + Duration::from_secs(1),
            buffered: Zeroizing::new(Vec::new()),
            serial: 2,
            early: Vec::new(),
        };
        let mut bytes = message(ERROR, Some(2), None, "", Writer::default());
        bytes.extend(reply(1, "", Writer::default()));
        early.buffered.extend_from_slice(&bytes);
        assert!(
            early.reply(1).is_ok(),
            "the later reply found past the earlier"
        );
        assert!(
            matches!(early.reply(2), Err(Failure::Other(_))),
            "kept, and an error"
        );
    }

    #[test]
    fn a_bus_that_takes_no_connection_is_a_time_out_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("full");
        // A listener with a backlog of none, and one connection already
        // waiting on it: the next connect would block for ever.
        // SAFETY: plain socket calls on a fresh descriptor and a zeroed,
        // filled-in sockaddr_un.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        assert!(fd >= 0);
        let listener = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (slot, b) in addr
            .sun_path
            .iter_mut()
            .zip(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
        {
            *slot = *b as libc::c_char;
        }
        let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        assert_eq!(unsafe { libc::bind(fd, (&raw const addr).cast(), len) }, 0);
        assert_eq!(unsafe { libc::listen(fd, 0) }, 0);
        let _waiting = connect_within(&Socket::Path(path.clone()), Duration::from_secs(1)).unwrap();

        let start = Instant::now();
        let err = connect(&[Socket::Path(path)], Duration::from_millis(300)).err();
        assert!(matches!(err, Some(Failure::TimedOut)));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        drop(listener);
    }
}
