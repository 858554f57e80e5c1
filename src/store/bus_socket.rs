//! The session bus socket under the cache hit's Secret Service read
//! (`secret_direct`): connected here, handed to zbus as its transport
//! (`zbus::connection::Builder::socket`), and driven on the calling thread
//! by [`Bus::block_on`], which waits on the socket itself, never past a
//! deadline.
//!
//! zbus's own Unix transport is async-io's: its first use starts the
//! `async-io` thread, which then takes every reply off the socket and wakes
//! the thread that waits for it, and zbus connects through the `blocking`
//! crate's thread pool; a bound in time took a third thread. Here a read
//! that would block hands its waker to `block_on`, which `poll(2)`s the
//! socket only when nothing else can move: no thread, no hop per reply, and
//! the deadline is the timeout of that one wait. The D-Bus protocol itself
//! (authentication, messages) stays zbus's; this moves bytes only.

use std::future::Future;
use std::io::{self, Read};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{AddressFamily, SendFlags, SocketAddrUnix, SocketFlags, SocketType};
use zbus::address::transport::{Transport, UnixSocket};
use zbus::connection::socket::{ReadHalf, Socket, Split, WriteHalf};

/// Why the bus could not be used.
#[derive(Debug)]
pub enum Failure {
    /// The deadline passed.
    TimedOut,
    Other(String),
}

/// The connected session bus socket (non-blocking), shared by zbus's read
/// and write halves and [`Bus::block_on`].
#[derive(Debug, Clone)]
pub struct Bus {
    stream: Arc<UnixStream>,
    /// The waker of the read that found the socket empty.
    reader: Arc<Mutex<Option<Waker>>>,
    /// No wait goes past it; [`Bus::renew`] sets the next call's.
    deadline: Arc<Mutex<Instant>>,
    /// Set once a wait ran into the deadline.
    expired: Arc<AtomicBool>,
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
        Ok(Bus {
            stream: Arc::new(stream),
            reader: Arc::default(),
            deadline: Arc::new(Mutex::new(deadline)),
            expired: Arc::default(),
        })
    }

    /// A new deadline, for the next call on a connection kept open.
    pub fn renew(&self, deadline: Instant) {
        if let Ok(mut d) = self.deadline.lock() {
            *d = deadline;
        }
        self.expired.store(false, Ordering::Relaxed);
    }

    fn deadline(&self) -> Instant {
        // A poisoned lock (no thread here panics holding it) is the past:
        // the wait ends at once.
        self.deadline
            .lock()
            .map(|d| *d)
            .unwrap_or_else(|_| Instant::now())
    }

    /// Whether a wait ran into the deadline (an error zbus reports then is
    /// that timeout).
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    /// Runs `future` to its end on this thread. When it waits and nothing
    /// woke it, the only thing that can move it is the socket: wait until
    /// it is readable, at most until the deadline. Nothing here runs on
    /// another thread, so a wake-up that does not come from the socket
    /// comes from within `poll`.
    pub fn block_on<T>(&self, future: impl Future<Output = T>) -> Result<T, Failure> {
        let woken = Arc::new(Woken(AtomicBool::new(true)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if woken.0.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                    return Ok(value);
                }
                continue;
            }
            let reader = self.reader.lock().map(|mut r| r.take()).unwrap_or(None);
            let Some(reader) = reader else {
                return Err(other(
                    "the D-Bus client stalled (waiting, and not on the bus)",
                ));
            };
            self.wait(PollFlags::IN)?;
            reader.wake();
        }
    }

    /// Waits until the socket is ready for `flags`, at most until the
    /// deadline.
    fn wait(&self, flags: PollFlags) -> Result<(), Failure> {
        loop {
            let timeout = Timespec::try_from(left(self.deadline()).inspect_err(|_| self.expire())?)
                .map_err(|_| other("bad timeout"))?;
            let mut fds = [PollFd::new(&*self.stream, flags)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) => {}
                Ok(_) => return Ok(()),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(other(format!("session bus: {e}"))),
            }
        }
    }

    fn expire(&self) {
        self.expired.store(true, Ordering::Relaxed);
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

struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// Pending once, having left its waker for [`Bus::block_on`]; then ready.
struct Readable<'a> {
    bus: &'a Bus,
    parked: bool,
}

impl Future for Readable<'_> {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.parked {
            return Poll::Ready(());
        }
        if let Ok(mut reader) = self.bus.reader.lock() {
            *reader = Some(cx.waker().clone());
        }
        self.parked = true;
        Poll::Pending
    }
}

impl Socket for Bus {
    type ReadHalf = Bus;
    type WriteHalf = Bus;

    fn split(self) -> Split<Bus, Bus> {
        Split::new(self.clone(), self)
    }
}

#[async_trait::async_trait]
impl ReadHalf for Bus {
    async fn recvmsg(&mut self, buf: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
        loop {
            match (&*self.stream).read(buf) {
                Ok(n) => return Ok((n, Vec::new())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    Readable {
                        bus: self,
                        parked: false,
                    }
                    .await
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[async_trait::async_trait]
impl WriteHalf for Bus {
    /// Writes; a full socket buffer is waited out here (the bus reads on
    /// its own), up to the deadline.
    async fn sendmsg(&mut self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        if !fds.is_empty() {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        loop {
            match rustix::net::send(self.stream.as_fd(), buf, SendFlags::NOSIGNAL) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::AGAIN) => match self.wait(PollFlags::OUT) {
                    Ok(()) => {}
                    Err(Failure::TimedOut) => return Err(io::ErrorKind::TimedOut.into()),
                    Err(Failure::Other(why)) => return Err(io::Error::other(why)),
                },
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn close(&mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Both)
    }
}
