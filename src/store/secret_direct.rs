//! The Secret Service read of a cache hit, and the write after a fetch,
//! through the `secret-service` crate on a `plain` session: one connection
//! to the session bus, `SearchItems` by the attributes the keyring store
//! writes (`service`, `username`; gettoken sets no `target`), then
//! `GetSecret` (a read), or `SetSecret` on the one item found or
//! `CreateItem` in the default collection, and `GetSecret` to see it took
//! (a write: the item is the keyring store's, label included).
//! The keyring store's own client negotiates a Diffie-Hellman session,
//! which is most of the 10-20 ms it takes. A plain session hides nothing
//! worth hiding: the session bus is a local socket of this user, and any
//! process of the user that could read the secret off it could as well ask
//! the Secret Service for it.
//!
//! Four round trips: the authentication (zbus's `AUTH EXTERNAL`); `BEGIN`,
//! `Hello` and a property read, written together (the connection is a
//! zbus `p2p` one, so zbus neither sends `Hello` itself nor waits for its
//! answer before anything else goes out: the bus needs it first, and gets
//! it first); the crate's `OpenSession` together with `SearchItems` (a
//! plain zbus call, as the crate's `search_items` would make it after the
//! session); the crate's `GetSecret`. All on the calling thread, no thread
//! started: zbus's executor is ticked here, and the socket under it is
//! `bus_socket`'s, which waits in `poll(2)` only when nothing else can
//! move.
//!
//! gnome-keyring 42 admits a new client from an idle callback that its
//! message filter schedules, and a method handled before that callback ran
//! finds no client record and makes the daemon abort (`OpenSession`:
//! "gkd_secret_service_publish_dispatch: assertion 'client' failed", then
//! a fatal `g_variant_new`), seen after a few thousand fast clients. The
//! crate's first call to the service is `OpenSession`, so the lookup reads
//! a property (`Collections`) first and waits for its answer, as
//! libsecret's proxy does. The crate does not close its session (the
//! daemon frees a client's sessions when the client leaves the bus); every
//! reply is awaited before the connection ends.
//!
//! The connection stays open for the process's next call ([`Link`], held
//! by the caller): a stampede's waiter read the old token before its wait
//! and reads the new one after it on the same connection, the item it
//! found asked for its secret and attributes together (one round trip; an
//! item that is gone, locked or now has other attributes is searched for
//! again), and the write after a fetch searches on the connection the read
//! opened: half the connections a stampede used to make (bench/run.sh's
//! stampede rows measure what that saves).
//!
//! The whole read, connecting included, ends by `keyring::LIMIT` (every
//! wait on the socket is bounded by what is left of it): a bus or a
//! service that never answers costs one wait, answered
//! [`Lookup::TimedOut`]. Anything out of the ordinary (a bus that is not a
//! Unix socket, a locked or ambiguous item, a locked or missing default
//! collection, an error reply, a secret that is not UTF-8, a write that
//! reads back otherwise) answers [`Lookup::Unsure`], and the caller asks
//! the full client, which knows how to unlock and report. A write the full
//! client makes costs 20-25 ms (its Diffie-Hellman session, and the probe
//! before it); the 49 waiters of a stampede wait for it.

use std::collections::HashMap;
use std::time::Instant;

use secret_service::EncryptionType;
use secret_service::SecretService;
use zbus::zvariant::OwnedObjectPath;
use zeroize::Zeroizing;

use super::bus_socket::{Bus, Failure};
use super::keyring::LIMIT;

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

/// A connection to the session bus with its plain session open, kept by
/// the caller for the process's next lookup or write: no new client of the
/// bus and of the daemon, and the item a lookup found read again in one
/// round trip (the waiters of a stampede read the new token so, after
/// their wait). Kept only after a call that went as expected; any other
/// outcome closes it.
pub struct Link {
    bus: Bus,
    conn: zbus::Connection,
    ss: SecretService<'static>,
    /// The item each (service, username) was last found as.
    items: Vec<(String, String, OwnedObjectPath)>,
}

impl Link {
    fn item(&self, service: &str, username: &str) -> Option<OwnedObjectPath> {
        self.items
            .iter()
            .find(|(s, u, _)| s == service && u == username)
            .map(|(_, _, path)| path.clone())
    }

    fn remember(&mut self, service: &str, username: &str, item: Option<OwnedObjectPath>) {
        self.items.retain(|(s, u, _)| s != service || u != username);
        if let Some(path) = item {
            self.items
                .push((service.to_string(), username.to_string(), path));
        }
    }
}

/// Looks up the item with these attributes, taking at most
/// `keyring::LIMIT`, on `link` if it holds one (else on a new connection,
/// left in `link`).
pub fn lookup(link: &mut Option<Link>, service: &str, username: &str) -> Lookup {
    on_link(link, service, username, Job::Read)
}

/// What became of a write.
pub enum Written {
    /// In the store, and read back.
    Done,
    /// Ask the full client: the reason, for `-v`.
    Unsure(String),
    /// The bus or the service did not answer in time: do not wait again.
    TimedOut,
}

/// Writes `value` as the item with these attributes, taking at most
/// `keyring::LIMIT` (on `link`, as [`lookup`]).
pub fn write(link: &mut Option<Link>, service: &str, username: &str, value: &str) -> Written {
    match on_link(link, service, username, Job::Write(value)) {
        Lookup::Found(_) => Written::Done,
        Lookup::Absent => Written::Unsure("the item written is not there".into()),
        Lookup::Unsure(why) => Written::Unsure(why),
        Lookup::TimedOut => Written::TimedOut,
    }
}

#[derive(Clone, Copy)]
enum Job<'v> {
    Read,
    Write(&'v str),
}

/// What a job did: its answer, the item it found or made, and the session
/// it opened (on a new connection).
struct Done {
    answer: Lookup,
    item: Option<OwnedObjectPath>,
    opened: Option<SecretService<'static>>,
}

/// Runs `job` on the held connection or a new one, all of it within
/// `keyring::LIMIT`, and keeps the connection after an expected answer.
fn on_link(link: &mut Option<Link>, service: &str, username: &str, job: Job<'_>) -> Lookup {
    let deadline = Instant::now() + LIMIT;
    let outcome = match link.as_ref() {
        Some(held) => {
            held.bus.renew(deadline);
            let known = held.item(service, username);
            let work = act(&held.conn, Some(&held.ss), known, service, username, job);
            let done = held.bus.block_on(ticking(&held.conn, work));
            (held.bus.clone(), done.map(|d| d.map(|d| (d, None))))
        }
        None => {
            let bus = match Bus::connect(deadline) {
                Ok(bus) => bus,
                Err(Failure::TimedOut) => return Lookup::TimedOut,
                Err(Failure::Other(why)) => return Lookup::Unsure(why),
            };
            let done = bus.block_on(async {
                let conn = greeted(bus.clone()).await?;
                let work = act(&conn, None, None, service, username, job);
                let done = ticking(&conn, work).await?;
                Ok((done, Some(conn)))
            });
            (bus, done)
        }
    };
    let (bus, done) = outcome;
    let (done, conn) = match done {
        Ok(Ok(done)) => done,
        Ok(Err(_)) | Err(Failure::TimedOut) if bus.expired() => {
            return dropped(link, Lookup::TimedOut);
        }
        Ok(Err(why)) | Err(Failure::Other(why)) => return dropped(link, Lookup::Unsure(why)),
        Err(Failure::TimedOut) => return dropped(link, Lookup::TimedOut),
    };
    if !matches!(done.answer, Lookup::Found(_) | Lookup::Absent) {
        return dropped(link, done.answer);
    }
    if let (Some(conn), Some(ss)) = (conn, done.opened) {
        *link = Some(Link {
            bus,
            conn,
            ss,
            items: Vec::new(),
        });
    }
    if let Some(held) = link.as_mut() {
        held.remember(service, username, done.item);
    }
    done.answer
}

/// `answer`, the held connection closed (it is in no known state).
fn dropped(link: &mut Option<Link>, answer: Lookup) -> Lookup {
    *link = None;
    answer
}

/// A peer-to-peer connection to zbus on `bus`: it sends no `Hello` of its
/// own (which it would send with `BEGIN` and await before anything else
/// could go out); `open` sends it, with the property read behind it.
async fn greeted(bus: Bus) -> Result<zbus::Connection, String> {
    zbus::connection::Builder::socket(bus)
        .p2p()
        .internal_executor(false)
        .build()
        .await
        .map_err(|e| format!("session bus: {e}"))
}

/// `work` on the connection, whose executor (which reads the socket) is
/// ticked on this thread too.
async fn ticking<T>(conn: &zbus::Connection, work: impl std::future::Future<Output = T>) -> T {
    let ticks = async {
        loop {
            conn.executor().tick().await;
        }
    };
    futures_lite::future::or(work, ticks).await
}

/// The job on a connection: on a held session, first the item found last
/// time (if it still is the one), else a search; on a new connection, the
/// greeting, the session and the search.
async fn act(
    conn: &zbus::Connection,
    held: Option<&SecretService<'static>>,
    known: Option<OwnedObjectPath>,
    service: &str,
    username: &str,
    job: Job<'_>,
) -> Result<Done, String> {
    let attributes = HashMap::from([("service", service), ("username", username)]);
    if let (Some(ss), Some(path), Job::Read) = (held, &known, job)
        && let Some(secret) = reread(ss, path, &attributes).await
    {
        crate::log::debug!("Secret Service: the item read again on the connection already open");
        return Ok(Done {
            answer: decoded(secret),
            item: known,
            opened: None,
        });
    }
    let (opened, unlocked, locked) = match held {
        Some(_) => {
            let (unlocked, locked) = search(conn, &attributes).await.map_err(|e| failed(&e))?;
            (None, unlocked, locked)
        }
        None => {
            let o = open(conn, &attributes).await?;
            (Some(o.ss), o.unlocked, o.locked)
        }
    };
    let Some(ss) = held.or(opened.as_ref()) else {
        return Err("no session".into());
    };
    let (answer, item) = match job {
        Job::Read => read_on(ss, unlocked, locked).await?,
        Job::Write(value) => {
            let label = label(service, username);
            write_on(ss, unlocked, locked, attributes, &label, value).await?
        }
    };
    Ok(Done {
        answer,
        item,
        opened,
    })
}

/// The secret of the item at `path`, if it still has these attributes and
/// is unlocked: the secret and the attributes asked together, one round
/// trip. `None` for anything else (the caller searches again).
async fn reread(
    ss: &SecretService<'static>,
    path: &OwnedObjectPath,
    attributes: &HashMap<&str, &str>,
) -> Option<Zeroizing<Vec<u8>>> {
    let item = ss.get_item_by_path(path.clone()).await.ok()?;
    let (has, secret) = futures_lite::future::zip(item.get_attributes(), item.get_secret()).await;
    let secret = Zeroizing::new(secret.ok()?);
    let has = has.ok()?;
    attributes
        .iter()
        .all(|(k, v)| has.get(*k).is_some_and(|h| h == v))
        .then_some(secret)
}

fn failed(e: &dyn std::fmt::Display) -> String {
    format!("Secret Service: {e}")
}

/// What the search by these attributes found, on a session: the
/// connection greeted, the session opened.
struct Opened<'c> {
    ss: SecretService<'c>,
    unlocked: Paths,
    locked: Paths,
}

async fn open<'c>(
    conn: &zbus::Connection,
    attributes: &HashMap<&str, &str>,
) -> Result<Opened<'c>, String> {
    // `Hello` (the bus's due first message), and behind it the harmless
    // first call (see the module doc): one round trip, answered before
    // anything that needs the daemon's client record goes out.
    let (hello, greet) = futures_lite::future::zip(
        conn.call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            "Hello",
            &(),
        ),
        conn.call_method(
            Some(SECRETS),
            SECRETS_PATH,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(SERVICE_IFACE, "Collections"),
        ),
    )
    .await;
    hello.map_err(|e| format!("session bus: {e}"))?;
    greet.map_err(|e| failed(&e))?;
    // The session and the search go out together: one round trip.
    let (ss, found) = futures_lite::future::zip(
        SecretService::connect_with_existing(EncryptionType::Plain, conn.clone()),
        search(conn, attributes),
    )
    .await;
    let ss = ss.map_err(|e| failed(&e))?;
    let (unlocked, locked) = found.map_err(|e| failed(&e))?;
    Ok(Opened {
        ss,
        unlocked,
        locked,
    })
}

/// The read of what a search found: the secret of the one unlocked item.
async fn read_on(
    ss: &SecretService<'static>,
    unlocked: Paths,
    locked: Paths,
) -> Result<(Lookup, Option<OwnedObjectPath>), String> {
    match next_step(unlocked.len(), locked.len()) {
        Step::Absent => Ok((Lookup::Absent, None)),
        Step::Ask(why) => Ok((Lookup::Unsure(why), None)),
        Step::Read => {
            let path = unlocked[0].clone();
            let item = ss
                .get_item_by_path(path.clone())
                .await
                .map_err(|e| failed(&e))?;
            let secret = item
                .get_secret()
                .await
                .map(Zeroizing::new)
                .map_err(|e| failed(&e))?;
            Ok((decoded(secret), Some(path)))
        }
    }
}

/// The content type and label the keyring store gives the items it makes.
const CONTENT_TYPE: &str = "application/octet-stream";

fn label(service: &str, username: &str) -> String {
    format!("keyring:{username}@{service}")
}

/// The write of what a search found: `SetSecret` on the one unlocked
/// item, or `CreateItem` in the default collection.
async fn write_on(
    ss: &SecretService<'static>,
    unlocked: Paths,
    locked: Paths,
    attributes: HashMap<&str, &str>,
    label: &str,
    value: &str,
) -> Result<(Lookup, Option<OwnedObjectPath>), String> {
    match next_step(unlocked.len(), locked.len()) {
        Step::Ask(why) => Ok((Lookup::Unsure(why), None)),
        Step::Read => {
            let item = ss
                .get_item_by_path(unlocked[0].clone())
                .await
                .map_err(|e| failed(&e))?;
            item.set_secret(value.as_bytes(), CONTENT_TYPE)
                .await
                .map_err(|e| failed(&e))?;
            read_back(&item, value)
                .await
                .map(|answer| (answer, Some(item.item_path.clone())))
        }
        Step::Absent => {
            let collection = match ss.get_default_collection().await {
                Ok(c) => c,
                Err(secret_service::Error::NoResult) => {
                    return Ok((Lookup::Unsure("no default collection".into()), None));
                }
                Err(e) => return Err(failed(&e)),
            };
            // Unlocked, it takes the item without a prompt (a prompt is the
            // full client's to show).
            if collection.is_locked().await.map_err(|e| failed(&e))? {
                return Ok((
                    Lookup::Unsure("the default collection is locked".into()),
                    None,
                ));
            }
            let item = collection
                .create_item(label, attributes, value.as_bytes(), true, CONTENT_TYPE)
                .await
                .map_err(|e| failed(&e))?;
            read_back(&item, value)
                .await
                .map(|answer| (answer, Some(item.item_path.clone())))
        }
    }
}

/// The item's secret read back: a store that takes a write and answers
/// something else is not used (the full client's probe asks the same).
async fn read_back(item: &secret_service::Item<'_>, value: &str) -> Result<Lookup, String> {
    let back = item
        .get_secret()
        .await
        .map(Zeroizing::new)
        .map_err(|e| failed(&e))?;
    if back.as_slice() != value.as_bytes() {
        return Ok(Lookup::Unsure(
            "the item written reads back otherwise".into(),
        ));
    }
    Ok(decoded(back))
}

type Paths = Vec<OwnedObjectPath>;

/// `SearchItems`, as the crate's `search_items` makes it, but callable
/// alongside `OpenSession` (the crate's needs the session first): the
/// unlocked and the locked items.
async fn search(
    conn: &zbus::Connection,
    attributes: &HashMap<&str, &str>,
) -> zbus::Result<(Paths, Paths)> {
    let reply = conn
        .call_method(
            Some(SECRETS),
            SECRETS_PATH,
            Some(SERVICE_IFACE),
            "SearchItems",
            attributes,
        )
        .await?;
    reply.body().deserialize()
}

/// What a search's result calls for. Pure.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Absent,
    /// Read the one unlocked item.
    Read,
    /// Leave it to the full client (it unlocks, and reports ambiguity).
    Ask(String),
}

fn next_step(unlocked: usize, locked: usize) -> Step {
    match (unlocked, locked) {
        (0, 0) => Step::Absent,
        (1, 0) => Step::Read,
        _ => Step::Ask(format!(
            "{unlocked} unlocked and {locked} locked items match"
        )),
    }
}

/// The secret as text; one that is not UTF-8 is the full client's to
/// report. Pure.
fn decoded(secret: Zeroizing<Vec<u8>>) -> Lookup {
    match std::str::from_utf8(&secret) {
        Ok(text) => Lookup::Found(Zeroizing::new(text.to_string())),
        Err(_) => Lookup::Unsure("the secret is not UTF-8".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_unlocked_match_is_read() {
        assert_eq!(next_step(0, 0), Step::Absent);
        assert_eq!(next_step(1, 0), Step::Read);
        for (unlocked, locked) in [(0, 1), (1, 1), (2, 0)] {
            let Step::Ask(why) = next_step(unlocked, locked) else {
                panic!("{unlocked} unlocked, {locked} locked: read");
            };
            assert_eq!(
                why,
                format!("{unlocked} unlocked and {locked} locked items match")
            );
        }
    }

    #[test]
    fn a_secret_that_is_not_text_is_left_to_the_full_client() {
        let text = decoded(Zeroizing::new(b"tok-0".to_vec()));
        assert!(matches!(text, Lookup::Found(v) if v.as_str() == "tok-0"));
        let bytes = decoded(Zeroizing::new(vec![0xff, 0xfe]));
        assert!(matches!(bytes, Lookup::Unsure(why) if why.contains("UTF-8")));
    }
}
