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
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::dbus_wire::{self, Call, ERROR, METHOD_RETURN, Message, Writer};

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
    match Session::open(limit).and_then(|mut s| s.find(service, username)) {
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
    buffered: Vec<u8>,
    serial: u32,
}

impl Session {
    /// Connects and authenticates (SASL EXTERNAL: the uid the kernel
    /// vouches for).
    fn open(limit: Duration) -> Result<Self, Failure> {
        let deadline = Instant::now() + limit;
        let stream = connect()?;
        stream.set_write_timeout(Some(limit))?;
        let mut session = Session {
            stream,
            deadline,
            buffered: Vec::new(),
            serial: 0,
        };
        // SAFETY: getuid(2) cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        let hex: String = uid
            .to_string()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        session.send(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())?;
        let line = session.read_line()?;
        if !line.starts_with("OK ") {
            return Err(other(format!("session bus refused EXTERNAL auth: {line}")));
        }
        Ok(session)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        Ok(self.stream.write_all(bytes)?)
    }

    /// Reads more bytes into the buffer, within the deadline.
    fn fill(&mut self) -> Result<(), Failure> {
        let left = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Failure::TimedOut)?;
        self.stream.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk)?;
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

    /// The reply to `serial`, skipping signals and other replies.
    fn reply(&mut self, serial: u32) -> Result<Message, Failure> {
        loop {
            while self.buffered.len() >= 16 {
                let len = dbus_wire::message_len(&self.buffered[..16])?;
                if self.buffered.len() < len {
                    break;
                }
                let message = dbus_wire::parse(&self.buffered[..len])?;
                self.buffered.drain(..len);
                if message.reply_serial != Some(serial) {
                    continue;
                }
                return match message.kind {
                    METHOD_RETURN => Ok(message),
                    ERROR => Err(other(format!(
                        "Secret Service: {}",
                        message.error_name.as_deref().unwrap_or("error")
                    ))),
                    _ => Err(other("unexpected reply type")),
                };
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
        let opened = self.reply(open)?;
        let mut r = opened.body();
        r.variant_bytes()?;
        let session = r.string()?;
        let found = self.reply(search)?;
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
        let secret = self.reply(get)?;
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

fn secrets_call(member: &str) -> Call<'_> {
    Call {
        destination: SECRETS,
        path: SECRETS_PATH,
        interface: SERVICE_IFACE,
        member,
    }
}

/// The session bus's Unix socket: the first `unix:path=` or
/// `unix:abstract=` in `DBUS_SESSION_BUS_ADDRESS`, else
/// `$XDG_RUNTIME_DIR/bus`.
fn connect() -> Result<UnixStream, Failure> {
    let Some(address) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        let path = dirs::runtime_dir()
            .map(|d| d.join("bus"))
            .ok_or_else(|| other("no session bus address"))?;
        return Ok(UnixStream::connect(path)?);
    };
    let address = address.to_string_lossy();
    for entry in address.split(';') {
        let Some(params) = entry.strip_prefix("unix:") else {
            continue;
        };
        for param in params.split(',') {
            if let Some(path) = param.strip_prefix("path=") {
                return Ok(UnixStream::connect(unescape(path)?)?);
            }
            if let Some(name) = param.strip_prefix("abstract=") {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(unescape(name)?)?;
                return Ok(UnixStream::connect_addr(&addr)?);
            }
        }
    }
    Err(other(format!("unsupported session bus address {address}")))
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
    use super::*;

    #[test]
    fn addresses_unescape() {
        assert_eq!(unescape("/tmp/a%2cb").ok().as_deref(), Some("/tmp/a,b"));
        assert!(unescape("/tmp/%zz").is_err());
    }
}
