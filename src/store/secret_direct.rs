//! The Secret Service read of a cache hit, and the write after a fetch,
//! on a `plain` session through the light D-Bus client ([`super::dbus`]):
//! one connection to the session bus, `SearchItems` by the attributes the
//! keyring store writes (`service`, `username`; gettoken sets no
//! `target`), then `GetSecret` (a read), or `SetSecret` on the one item
//! found or `CreateItem` in the default collection, and `GetSecret` to see
//! it took (a write: the item is the keyring store's, label and content
//! type included). The keyring store's own client negotiates a
//! Diffie-Hellman session, which is most of the 10-20 ms it takes. A plain
//! session hides nothing worth hiding: the session bus is a local socket
//! of this user, and any process of the user that could read the secret
//! off it could as well ask the Secret Service for it.
//!
//! Four round trips: the authentication; `BEGIN`, `Hello` and a property
//! read, written together (the bus needs `Hello` first, and gets it
//! first); `OpenSession` together with `SearchItems`; `GetSecret`. All on
//! the calling thread, no thread started, no async runtime: calls go out
//! together and their answers are read as they come (zbus and the
//! `secret-service` crate did this before, at 2.7 times the
//! instructions: 384 k against 142 k; the full client still uses them).
//!
//! gnome-keyring 42 admits a new client from an idle callback that its
//! message filter schedules, and a method handled before that callback ran
//! finds no client record and makes the daemon abort (`OpenSession`:
//! "gkd_secret_service_publish_dispatch: assertion 'client' failed", then
//! a fatal `g_variant_new`), seen after a few thousand fast clients. So the
//! first call to the service reads a property (`Collections`) and its
//! answer is awaited before `OpenSession` goes out, as libsecret's proxy
//! does. The session is not closed (the daemon frees a client's sessions
//! when the client leaves the bus); every reply is awaited before the
//! connection ends.
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
//! collection, a write that needs a prompt, an error reply, a reply of
//! another shape, a secret that is not UTF-8, a write that reads back
//! otherwise) answers [`Lookup::Unsure`], and the caller asks the full
//! client, which knows how to unlock and report. A write the full client
//! makes costs 20-25 ms (its Diffie-Hellman session, and the probe before
//! it); the 49 waiters of a stampede wait for it.

use std::time::Instant;

use zeroize::Zeroizing;

use super::dbus::{self, Bytes, Call, Connection, Failure, Kind, Message, Value};
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
const ITEM_IFACE: &str = "org.freedesktop.Secret.Item";
const COLLECTION_IFACE: &str = "org.freedesktop.Secret.Collection";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// A connection to the session bus with its plain session open, kept by
/// the caller for the process's next lookup or write: no new client of the
/// bus and of the daemon, and the item a lookup found read again in one
/// round trip (the waiters of a stampede read the new token so, after
/// their wait). Kept only after a call that went as expected; any other
/// outcome closes it.
pub struct Link {
    conn: Connection,
    session: String,
    /// The item each (service, username) was last found as.
    items: Vec<(String, String, String)>,
}

impl Link {
    fn item(&self, service: &str, username: &str) -> Option<String> {
        self.items
            .iter()
            .find(|(s, u, _)| s == service && u == username)
            .map(|(_, _, path)| path.clone())
    }

    fn remember(&mut self, service: &str, username: &str, item: Option<String>) {
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
/// it worked in.
struct Done {
    answer: Lookup,
    item: Option<String>,
    session: String,
}

/// Runs `job` on the held connection or a new one, all of it within
/// `keyring::LIMIT`, and keeps the connection after an expected answer.
fn on_link(link: &mut Option<Link>, service: &str, username: &str, job: Job<'_>) -> Lookup {
    let deadline = Instant::now() + LIMIT;
    let (mut conn, session, known, items) = match link.take() {
        Some(mut held) => {
            held.conn.renew(deadline);
            let known = held.item(service, username);
            (held.conn, Some(held.session), known, held.items)
        }
        None => match Connection::open(deadline) {
            Ok(conn) => (conn, None, None, Vec::new()),
            Err(Failure::TimedOut) => return Lookup::TimedOut,
            Err(Failure::Other(why)) => return Lookup::Unsure(why),
        },
    };
    let attributes = [("service", service), ("username", username)];
    let done = match act(&mut conn, session, known, &attributes, job) {
        Ok(done) => done,
        Err(Failure::TimedOut) => return Lookup::TimedOut,
        Err(Failure::Other(why)) => return Lookup::Unsure(why),
    };
    if !matches!(done.answer, Lookup::Found(_) | Lookup::Absent) {
        return done.answer;
    }
    let mut held = Link {
        conn,
        session: done.session,
        items,
    };
    held.remember(service, username, done.item);
    *link = Some(held);
    done.answer
}

type Attributes<'a> = [(&'a str, &'a str); 2];

/// The job on a connection: on a held session, first the item found last
/// time (if it still is the one), else a search; on a new connection, the
/// greeting, the session and the search.
fn act(
    conn: &mut Connection,
    session: Option<String>,
    known: Option<String>,
    attributes: &Attributes<'_>,
    job: Job<'_>,
) -> Result<Done, Failure> {
    if let (Some(session), Some(path), Job::Read) = (&session, &known, job)
        && let Some(secret) = reread(conn, session, path, attributes)?
    {
        crate::log::debug!("Secret Service: the item read again on the connection already open");
        return Ok(Done {
            answer: decoded(secret),
            item: known,
            session: session.clone(),
        });
    }
    let (session, unlocked, locked) = match session {
        Some(session) => {
            let [found] = answers::<1>(conn.calls(&[search(attributes)])?)?;
            let (unlocked, locked) = found_items(found)?;
            (session, unlocked, locked)
        }
        None => open(conn, attributes)?,
    };
    let (answer, item) = match job {
        Job::Read => read_on(conn, &session, unlocked, locked)?,
        Job::Write(value) => {
            let label = label(attributes[0].1, attributes[1].1);
            write_on(conn, &session, unlocked, locked, attributes, &label, value)?
        }
    };
    Ok(Done {
        answer,
        item,
        session,
    })
}

/// The secret of the item at `path`, if it still has these attributes and
/// is unlocked: the secret and the attributes asked together, one round
/// trip. `None` for anything else (the caller searches again).
fn reread(
    conn: &mut Connection,
    session: &str,
    path: &str,
    attributes: &Attributes<'_>,
) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
    let [secret, has] = answers::<2>(conn.calls(&[
        get_secret(path, session),
        property(path, ITEM_IFACE, "Attributes"),
    ])?)?;
    let (Ok(secret), Ok(has)) = (secret_of(secret), ok(has)) else {
        return Ok(None);
    };
    let Some(has) = has.first().and_then(|v| v.unwrapped().string_pairs()) else {
        return Ok(None);
    };
    let same = attributes
        .iter()
        .all(|(k, v)| has.iter().any(|(hk, hv)| hk == k && hv == v));
    Ok(same.then_some(secret))
}

/// The greeting, the session and the search on a new connection: the
/// session, and the unlocked and locked items found.
fn open(
    conn: &mut Connection,
    attributes: &Attributes<'_>,
) -> Result<(String, Paths, Paths), Failure> {
    // `Hello` (the bus's due first message), and behind it the harmless
    // first call (see the module doc): one round trip, answered before
    // anything that needs the daemon's client record goes out.
    let [hello, greet] = answers::<2>(conn.calls(&[
        dbus::hello(),
        property(SECRETS_PATH, SERVICE_IFACE, "Collections"),
    ])?)?;
    ok(hello).map_err(|e| Failure::Other(format!("session bus: {e}")))?;
    ok(greet).map_err(failed)?;
    // The session and the search go out together: one round trip.
    let open_session = Call {
        destination: SECRETS,
        path: SECRETS_PATH,
        interface: SERVICE_IFACE,
        member: "OpenSession",
        args: vec![
            Value::Str("plain".into()),
            Value::Variant(Box::new(Value::Str(String::new()))),
        ],
    };
    let [opened, found] = answers::<2>(conn.calls(&[open_session, search(attributes)])?)?;
    let session = match ok(opened).map_err(failed)?.as_slice() {
        [_, Value::Path(session)] => session.clone(),
        _ => return Err(unexpected("OpenSession")),
    };
    let (unlocked, locked) = found_items(found)?;
    Ok((session, unlocked, locked))
}

/// The read of what a search found: the secret of the one unlocked item.
fn read_on(
    conn: &mut Connection,
    session: &str,
    unlocked: Paths,
    locked: Paths,
) -> Result<(Lookup, Option<String>), Failure> {
    match next_step(unlocked.len(), locked.len()) {
        Step::Absent => Ok((Lookup::Absent, None)),
        Step::Ask(why) => Ok((Lookup::Unsure(why), None)),
        Step::Read => {
            let path = unlocked[0].clone();
            let [secret] = answers::<1>(conn.calls(&[get_secret(&path, session)])?)?;
            let secret = secret_of(secret).map_err(failed)?;
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
/// item, or `CreateItem` in the default collection; then the secret read
/// back.
fn write_on(
    conn: &mut Connection,
    session: &str,
    unlocked: Paths,
    locked: Paths,
    attributes: &Attributes<'_>,
    label: &str,
    value: &str,
) -> Result<(Lookup, Option<String>), Failure> {
    let item = match next_step(unlocked.len(), locked.len()) {
        Step::Ask(why) => return Ok((Lookup::Unsure(why), None)),
        Step::Read => {
            let item = unlocked[0].clone();
            // The write and the read back go out together: the service
            // answers them in order.
            let set = Call {
                destination: SECRETS,
                path: &item,
                interface: ITEM_IFACE,
                member: "SetSecret",
                args: vec![secret_struct(session, value)],
            };
            let [set, back] = answers::<2>(conn.calls(&[set, get_secret(&item, session)])?)?;
            ok(set).map_err(failed)?;
            return Ok((read_back(back, value)?, Some(item)));
        }
        Step::Absent => {
            let read_alias = Call {
                destination: SECRETS,
                path: SECRETS_PATH,
                interface: SERVICE_IFACE,
                member: "ReadAlias",
                args: vec![Value::Str("default".into())],
            };
            let [alias] = answers::<1>(conn.calls(&[read_alias])?)?;
            let collection = match ok(alias).map_err(failed)?.as_slice() {
                [Value::Path(p)] if p == "/" => {
                    return Ok((Lookup::Unsure("no default collection".into()), None));
                }
                [Value::Path(p)] => p.clone(),
                _ => return Err(unexpected("ReadAlias")),
            };
            // Unlocked, it takes the item without a prompt (a prompt is the
            // full client's to show).
            let [locked] =
                answers::<1>(conn.calls(&[property(&collection, COLLECTION_IFACE, "Locked")])?)?;
            match ok(locked).map_err(failed)?.first().map(Value::unwrapped) {
                Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => {
                    return Ok((
                        Lookup::Unsure("the default collection is locked".into()),
                        None,
                    ));
                }
                _ => return Err(unexpected("Locked")),
            }
            let properties = Value::Array(
                "{sv}".into(),
                vec![
                    entry(
                        "org.freedesktop.Secret.Item.Label",
                        Value::Str(label.into()),
                    ),
                    entry(
                        "org.freedesktop.Secret.Item.Attributes",
                        Value::string_dict(attributes),
                    ),
                ],
            );
            let create = Call {
                destination: SECRETS,
                path: &collection,
                interface: COLLECTION_IFACE,
                member: "CreateItem",
                args: vec![properties, secret_struct(session, value), Value::Bool(true)],
            };
            let [created] = answers::<1>(conn.calls(&[create])?)?;
            match ok(created).map_err(failed)?.as_slice() {
                [Value::Path(item), _] if item != "/" => item.clone(),
                [Value::Path(_), _] => {
                    return Ok((Lookup::Unsure("the new item needs a prompt".into()), None));
                }
                _ => return Err(unexpected("CreateItem")),
            }
        }
    };
    let [back] = answers::<1>(conn.calls(&[get_secret(&item, session)])?)?;
    Ok((read_back(back, value)?, Some(item)))
}

/// The item's secret read back: a store that takes a write and answers
/// something else is not used (the full client's probe asks the same).
fn read_back(reply: Message, value: &str) -> Result<Lookup, Failure> {
    let back = secret_of(reply).map_err(failed)?;
    if back.as_slice() != value.as_bytes() {
        return Ok(Lookup::Unsure(
            "the item written reads back otherwise".into(),
        ));
    }
    Ok(decoded(back))
}

type Paths = Vec<String>;

fn search(attributes: &Attributes<'_>) -> Call<'static> {
    Call {
        destination: SECRETS,
        path: SECRETS_PATH,
        interface: SERVICE_IFACE,
        member: "SearchItems",
        args: vec![Value::string_dict(attributes)],
    }
}

fn get_secret<'a>(item: &'a str, session: &str) -> Call<'a> {
    Call {
        destination: SECRETS,
        path: item,
        interface: ITEM_IFACE,
        member: "GetSecret",
        args: vec![Value::Path(session.into())],
    }
}

/// `org.freedesktop.DBus.Properties.Get` of `name` on `path`.
fn property<'a>(path: &'a str, interface: &str, name: &str) -> Call<'a> {
    Call {
        destination: SECRETS,
        path,
        interface: PROPERTIES,
        member: "Get",
        args: vec![Value::Str(interface.into()), Value::Str(name.into())],
    }
}

/// A secret as the Secret Service takes it on a plain session: the
/// session, no parameters, the value, its content type.
fn secret_struct(session: &str, value: &str) -> Value {
    Value::Struct(vec![
        Value::Path(session.into()),
        Value::bytes(Vec::new()),
        Value::bytes(value.as_bytes().to_vec()),
        Value::Str(CONTENT_TYPE.into()),
    ])
}

fn entry(key: &str, value: Value) -> Value {
    Value::Entry(
        Box::new(Value::Str(key.into())),
        Box::new(Value::Variant(Box::new(value))),
    )
}

/// The `N` answers of `N` calls.
fn answers<const N: usize>(messages: Vec<Message>) -> Result<[Message; N], Failure> {
    messages
        .try_into()
        .map_err(|_| Failure::Other("Secret Service: answers missing".into()))
}

/// A return's body; an error reply is its own text.
fn ok(reply: Message) -> Result<Vec<Value>, String> {
    match reply.kind {
        Kind::Return => Ok(reply.body),
        _ => Err(reply.error_text()),
    }
}

/// The value of a `GetSecret` reply, `(oayays)`.
fn secret_of(reply: Message) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut body = ok(reply)?;
    match body.pop() {
        Some(Value::Struct(mut fields)) if body.is_empty() && fields.len() == 4 => {
            match fields.swap_remove(2) {
                Value::Bytes(Bytes(value)) => Ok(value),
                _ => Err("a secret of another shape".into()),
            }
        }
        _ => Err("a GetSecret reply of another shape".into()),
    }
}

/// The unlocked and locked items of a `SearchItems` reply, `(aoao)`.
fn found_items(reply: Message) -> Result<(Paths, Paths), Failure> {
    match ok(reply).map_err(failed)?.as_slice() {
        [unlocked, locked] => match (unlocked.paths(), locked.paths()) {
            (Some(u), Some(l)) => Ok((u, l)),
            _ => Err(unexpected("SearchItems")),
        },
        _ => Err(unexpected("SearchItems")),
    }
}

fn failed(e: String) -> Failure {
    Failure::Other(format!("Secret Service: {e}"))
}

fn unexpected(member: &str) -> Failure {
    Failure::Other(format!("Secret Service: a {member} reply of another shape"))
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
