//! A D-Bus client as small as the Secret Service read of a cache hit can
//! use: one connection to the session bus, authenticated as this user
//! (`EXTERNAL`), on which calls go out together and their answers are
//! awaited together, every wait bounded by the deadline of the call.
//! [`wire`] is the message format, [`socket`] the bytes; this is the
//! conversation. It sends `Hello` when told to, passes no file descriptors,
//! and leaves signals unread (the bus's `NameAcquired` is the one it gets).

pub mod socket;
pub mod wire;

use std::time::Instant;

use zeroize::Zeroizing;

use socket::Bus;
pub use socket::Failure;
pub use wire::{Bytes, Call, Kind, Message, Value, hello};

/// What the inbox holds before it first grows (a Secret Service reply
/// with a cached record fits).
const INBOX: usize = 16 * 1024;

/// An authenticated connection to the session bus.
pub struct Connection {
    bus: Bus,
    /// Bytes read and not yet taken as messages (a secret among them,
    /// maybe: wiped when dropped).
    inbox: Zeroizing<Vec<u8>>,
    serial: u32,
    /// `BEGIN` (the end of the authentication) is sent with the first calls.
    begun: bool,
}

impl Connection {
    /// Connects and authenticates, by `deadline`.
    pub fn open(deadline: Instant) -> Result<Connection, Failure> {
        let mut conn = Connection {
            bus: Bus::connect(deadline)?,
            inbox: Zeroizing::new(Vec::with_capacity(INBOX)),
            serial: 0,
            begun: false,
        };
        let uid = rustix::process::getuid().as_raw().to_string();
        let auth = format!(
            "\0AUTH EXTERNAL {}\r\n",
            crate::util::text::hex(uid.as_bytes())
        );
        conn.bus.send(auth.as_bytes())?;
        let line = conn.line()?;
        if !line.starts_with("OK ") {
            return Err(Failure::Other(format!(
                "the session bus refused the authentication: {}",
                line.trim_end()
            )));
        }
        Ok(conn)
    }

    /// A new deadline for the calls that follow.
    pub fn renew(&mut self, deadline: Instant) {
        self.bus.renew(deadline);
    }

    /// Sends `calls` together and waits for each one's answer: the
    /// messages answering them, in their order (a return or an error).
    pub fn calls(&mut self, calls: &[Call<'_>]) -> Result<Vec<Message>, Failure> {
        let mut serials = Vec::with_capacity(calls.len());
        let mut encoded = Vec::with_capacity(calls.len());
        for call in calls {
            self.serial = self.serial.wrapping_add(1).max(1);
            serials.push(self.serial);
            encoded.push(wire::encode_call(call, self.serial).map_err(Failure::Other)?);
        }
        // One buffer of the size it needs (it never grows: a call holding
        // a secret leaves no copy behind), one send.
        let begin: &[u8] = if self.begun { b"" } else { b"BEGIN\r\n" };
        let mut out = Zeroizing::new(Vec::with_capacity(
            begin.len() + encoded.iter().map(|e| e.len()).sum::<usize>(),
        ));
        out.extend_from_slice(begin);
        for e in &encoded {
            out.extend_from_slice(e);
        }
        self.bus.send(&out)?;
        self.begun = true;
        let mut answers: Vec<Option<Message>> = calls.iter().map(|_| None).collect();
        while answers.iter().any(Option::is_none) {
            let message = self.next()?;
            if !matches!(message.kind, Kind::Return | Kind::Error) {
                continue;
            }
            if let Some(i) = serials
                .iter()
                .position(|s| Some(*s) == message.reply_serial)
            {
                answers[i] = Some(message);
            }
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// The next whole message off the socket.
    fn next(&mut self) -> Result<Message, Failure> {
        loop {
            match wire::decode(&self.inbox).map_err(Failure::Other)? {
                Some((message, used)) => {
                    self.inbox.drain(..used);
                    return Ok(message);
                }
                None => self.bus.receive(&mut self.inbox)?,
            }
        }
    }

    /// One line of the authentication, `\r\n` taken off.
    fn line(&mut self) -> Result<String, Failure> {
        loop {
            if let Some(end) = self.inbox.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.inbox[..end]).into_owned();
                self.inbox.drain(..end + 2);
                return Ok(line);
            }
            if self.inbox.len() > 4096 {
                return Err(Failure::Other("the session bus sent no line ending".into()));
            }
            self.bus.receive(&mut self.inbox)?;
        }
    }
}
