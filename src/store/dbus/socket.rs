//! The session bus socket under the Secret Service read and write
//! (`secret_direct`): connected here, and read and written without
//! blocking, every wait a `poll(2)` that ends by the deadline of the call
//! it serves. No thread, no runtime: the conversation on it is
//! [`super::Connection`]'s.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{AddressFamily, SendFlags, SocketAddrUnix, SocketFlags, SocketType};
use zbus::address::transport::{Transport, UnixSocket};
use zeroize::Zeroizing;

/// Why the bus could not be used.
#[derive(Debug)]
pub enum Failure {
    /// The deadline passed.
    TimedOut,
    Other(String),
}

/// The connected session bus socket (non-blocking), and the deadline no
/// wait on it goes past.
#[derive(Debug)]
pub struct Bus {
    stream: UnixStream,
    deadline: Instant,
}

impl Bus {
    /// Connects to the session bus (`DBUS_SESSION_BUS_ADDRESS`, else
    /// `$XDG_RUNTIME_DIR/bus`, as zbus reads them) if it is a Unix socket.
    pub fn connect(deadline: Instant) -> Result<Bus, Failure> {
        let address =
            zbus::Address::session().map_err(|e| other(format!("session bus address: {e}")))?;
        let target = match address.transport() {
            Transport::Unix(unix) => match unix.path() {
                UnixSocket::File(path) => SocketAddrUnix::new(path.as_path()),
                UnixSocket::Abstract(name) => SocketAddrUnix::new_abstract_name(name.as_bytes()),
                path => {
                    return Err(other(format!(
                        "session bus {path}: not a socket to connect to"
                    )));
                }
            },
            transport => return Err(other(format!("session bus {transport}: not a Unix socket"))),
        }
        .map_err(|e| other(format!("session bus address: {e}")))?;
        let failed = |e: rustix::io::Errno| match e {
            rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT => Failure::TimedOut,
            e => other(format!("session bus: {e}")),
        };
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(failed)?;
        // A Unix socket's connect waits while the listener's backlog is
        // full (a bus that stopped accepting): the send timeout bounds it.
        rustix::net::sockopt::set_socket_timeout(
            &fd,
            rustix::net::sockopt::Timeout::Send,
            Some(left(deadline)?),
        )
        .map_err(failed)?;
        rustix::net::connect(&fd, &target).map_err(failed)?;
        let stream = UnixStream::from(fd);
        stream
            .set_nonblocking(true)
            .map_err(|e| other(format!("session bus: {e}")))?;
        Ok(Bus { stream, deadline })
    }

    /// A new deadline, for the next call on a connection kept open.
    pub fn renew(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// Sends all of `bytes`; a full socket buffer is waited out (the bus
    /// reads on its own), up to the deadline.
    pub fn send(&mut self, mut bytes: &[u8]) -> Result<(), Failure> {
        while !bytes.is_empty() {
            match rustix::net::send(self.stream.as_fd(), bytes, SendFlags::NOSIGNAL) {
                Ok(n) => bytes = &bytes[n..],
                Err(rustix::io::Errno::AGAIN) => self.wait(PollFlags::OUT)?,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(other(format!("session bus: {e}"))),
            }
        }
        Ok(())
    }

    /// Appends to `into` what the socket has, waiting for at least a byte
    /// up to the deadline. The bus closing the connection is a failure.
    /// `into` grows into a new buffer, the old one wiped: what it held
    /// (a secret, maybe) is left nowhere.
    pub fn receive(&mut self, into: &mut Zeroizing<Vec<u8>>) -> Result<(), Failure> {
        const CHUNK: usize = 4096;
        // A peer that never stops sending (signals no one asked for) ends
        // at the deadline too, not only one that stops answering.
        left(self.deadline)?;
        let len = into.len();
        if into.capacity() - len < CHUNK {
            let mut bigger = Vec::with_capacity((len + CHUNK).next_power_of_two());
            bigger.extend_from_slice(into);
            *into = Zeroizing::new(bigger);
        }
        // Read straight into the buffer's room (no copy anywhere else).
        into.resize(len + CHUNK, 0);
        let read = loop {
            match (&self.stream).read(&mut into[len..]) {
                Ok(0) => break Err(other("the session bus closed the connection")),
                Ok(n) => break Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = self.wait(PollFlags::IN) {
                        break Err(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(other(format!("session bus: {e}"))),
            }
        };
        into.truncate(len + *read.as_ref().unwrap_or(&0));
        read.map(|_| ())
    }

    /// Waits until the socket is ready for `flags`, at most until the
    /// deadline.
    fn wait(&self, flags: PollFlags) -> Result<(), Failure> {
        loop {
            let timeout =
                Timespec::try_from(left(self.deadline)?).map_err(|_| other("bad timeout"))?;
            let mut fds = [PollFd::new(&self.stream, flags)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) => {}
                Ok(_) => return Ok(()),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(other(format!("session bus: {e}"))),
            }
        }
    }
}

/// The time left until `deadline`; none left is [`Failure::TimedOut`].
fn left(deadline: Instant) -> Result<Duration, Failure> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or(Failure::TimedOut)
}

fn other(why: impl Into<String>) -> Failure {
    Failure::Other(why.into())
}
