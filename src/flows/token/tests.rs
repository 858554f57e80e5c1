//! The use case on stand-ins: a store in memory, an endpoint that answers
//! scripted replies and records the requests, locks that can play another
//! process, and a fixed clock.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::path::Path;

use zeroize::Zeroizing;

use super::*;
use crate::config::Config;
use crate::error::Failure;
use crate::http::Reply;
use crate::protocol::request::TokenRequest;
use crate::secrets::{Secret, Text};
use crate::store::MemoryBackend;
use crate::store::lock::Held;

const NOW: i64 = 1_700_000_000;

fn fixed() -> i64 {
    NOW
}

const PROFILE: &str = r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "cli"
client_secret = "cs-1"
"#;

fn profile() -> Profile {
    Config::parse(Path::new("t.toml"), PROFILE, &[])
        .unwrap()
        .profile("p")
        .unwrap()
}

/// A request as the fake endpoint saw it.
#[derive(Debug)]
struct Seen {
    url: String,
    body: String,
}

/// Answers each request with the next scripted reply, and records it.
#[derive(Default)]
struct FakeEndpoint {
    replies: RefCell<VecDeque<(u16, String)>>,
    seen: RefCell<Vec<Seen>>,
    connects: Cell<u32>,
}

impl FakeEndpoint {
    fn answering(replies: &[(u16, &str)]) -> Self {
        FakeEndpoint {
            replies: RefCell::new(replies.iter().map(|(s, b)| (*s, b.to_string())).collect()),
            ..Default::default()
        }
    }

    /// The form bodies sent, in order.
    fn bodies(&self) -> Vec<String> {
        self.seen.borrow().iter().map(|s| s.body.clone()).collect()
    }
}

impl Transport for FakeEndpoint {
    fn send(&self, req: &TokenRequest) -> anyhow::Result<Reply> {
        self.seen.borrow_mut().push(Seen {
            url: req.url.clone(),
            body: String::from_utf8_lossy(req.body.as_deref().unwrap_or_default()).into_owned(),
        });
        let (status, body) = self
            .replies
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("no reply scripted for request to {}", req.url));
        Ok(Reply {
            status,
            body: Zeroizing::new(body.into_bytes()),
            retry_after: None,
            content_type: Some("application/json".into()),
            headers: vec![],
        })
    }
}

impl Connect for FakeEndpoint {
    fn connect(
        &self,
        _profile: &Profile,
        _resolver: &mut dyn Resolve,
    ) -> anyhow::Result<Box<dyn Transport + '_>> {
        self.connects.set(self.connects.get() + 1);
        Ok(Box::new(self))
    }
}

/// Secrets as written; the fixed time.
struct FakeResolver;

impl Resolve for FakeResolver {
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret> {
        match text {
            Text::Plain(v) => Ok(Secret::new(v.clone())),
            Text::From(_) => panic!("`{key}`: the test profiles hold plain secrets"),
        }
    }

    fn now(&self) -> i64 {
        NOW
    }

    fn unique_id(&mut self) -> String {
        "fake-id".into()
    }
}

struct FakeHeld;

impl Held for FakeHeld {}

/// Grants every lock at once; `meanwhile` stands for another process that
/// fetched while this one "waited".
#[derive(Default)]
struct FakeLocks {
    taken: RefCell<Vec<String>>,
    meanwhile: RefCell<Option<Box<dyn FnOnce()>>>,
    /// Another process holding the lock, done when `wait_for_fetch` returns.
    fetching: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Locks for FakeLocks {
    fn acquire(&self, name: &str, _wait: Duration) -> Result<Option<Box<dyn Held>>, Failure> {
        self.taken.borrow_mut().push(name.to_string());
        if let Some(other) = self.meanwhile.borrow_mut().take() {
            other();
        }
        Ok(Some(Box::new(FakeHeld)))
    }

    fn wait_for_fetch(&self, _name: &str, _wait: Duration) -> Result<bool, Failure> {
        Ok(match self.fetching.borrow_mut().take() {
            Some(other) => {
                other();
                true
            }
            None => false,
        })
    }
}

fn token_of(access: &str, expires_at: i64, refresh: Option<&str>) -> Token {
    Token {
        access_token: Secret::new(access),
        token_type: Some("Bearer".into()),
        expires_at: Some(expires_at),
        refresh_token: refresh.map(Secret::new),
        scope: None,
        extra: vec![],
        id_token: None,
    }
}

/// What one run saw: its result, the cache after it, the endpoint, the locks.
struct World {
    profile: Profile,
    store: MemoryBackend,
    cache: Cache,
    endpoint: FakeEndpoint,
    locks: FakeLocks,
}

impl World {
    fn new(replies: &[(u16, &str)]) -> Self {
        let store = MemoryBackend::default();
        World {
            profile: profile(),
            cache: Cache::new(Box::new(store.clone())),
            store,
            endpoint: FakeEndpoint::answering(replies),
            locks: FakeLocks::default(),
        }
    }

    /// Puts `token` in the cache as an earlier run would have.
    fn cached(self, token: &Token) -> Self {
        self.cache.save(&self.profile, token);
        self
    }

    fn run(&self, opts: &Options) -> anyhow::Result<Token> {
        let ports = Ports {
            cache: Some(&self.cache),
            locks: &self.locks,
            connect: &self.endpoint,
            resolver: &mut FakeResolver,
            clock: fixed,
        };
        token(&self.profile, opts, ports)
    }

    fn stored(&self) -> Option<Token> {
        self.cache.load(&self.profile)
    }
}

fn access(token: &Token) -> &str {
    token.access_token.expose()
}

fn refresh(token: &Token) -> Option<&str> {
    token.refresh_token.as_ref().map(Secret::expose)
}

const GRANT: &str = "grant_type=client_credentials";
const FRESH: &str = r#"{"access_token":"at-new","token_type":"Bearer","expires_in":3600}"#;

#[test]
fn a_fresh_cached_token_is_returned_without_a_request_or_a_lock() {
    let w = World::new(&[]).cached(&token_of("at-cached", NOW + 3600, None));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-cached");
    assert_eq!(w.endpoint.connects.get(), 0, "a hit opens no transport");
    assert!(w.locks.taken.borrow().is_empty());
}

#[test]
fn a_miss_sends_one_request_under_the_lock_and_stores_the_token() {
    let w = World::new(&[(200, FRESH)]);
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-new");
    assert_eq!(got.expires_at, Some(NOW + 3600), "dated by the given clock");
    let seen = w.endpoint.seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url, "https://a.example/token");
    assert!(seen[0].body.starts_with(GRANT), "{}", seen[0].body);
    assert_eq!(*w.locks.taken.borrow(), ["p"]);
    assert_eq!(w.stored().as_ref().map(access), Some("at-new"));
}

#[test]
fn a_token_within_min_ttl_of_its_expiry_is_a_miss() {
    // min_ttl defaults to 60s.
    let w = World::new(&[(200, FRESH)]).cached(&token_of("at-old", NOW + 30, None));
    assert_eq!(access(&w.run(&Options::default()).unwrap()), "at-new");
}

#[test]
fn the_cache_is_checked_again_once_the_lock_is_held() {
    let w = World::new(&[]).cached(&token_of("at-expired", NOW - 10, None));
    // Another gettoken fetched while this one waited for the lock.
    let other = Cache::new(Box::new(w.store.clone()));
    let profile = w.profile.clone();
    *w.locks.meanwhile.borrow_mut() = Some(Box::new(move || {
        other.save(&profile, &token_of("at-other", NOW + 3600, None));
    }));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-other");
    assert_eq!(*w.locks.taken.borrow(), ["p"]);
    assert_eq!(w.endpoint.connects.get(), 0, "no request once it is there");
}

#[test]
fn a_refused_refresh_token_is_followed_by_the_profiles_grant() {
    let w = World::new(&[
        (
            400,
            r#"{"error":"invalid_grant","error_description":"revoked"}"#,
        ),
        (200, FRESH),
    ])
    .cached(&token_of("at-expired", NOW - 10, Some("rt-old")));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-new");
    let bodies = w.endpoint.bodies();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies[0].starts_with("grant_type=refresh_token&refresh_token=rt-old"),
        "{}",
        bodies[0]
    );
    assert!(bodies[1].starts_with(GRANT), "{}", bodies[1]);
    assert_eq!(w.stored().as_ref().map(access), Some("at-new"));
}

#[test]
fn a_refresh_failing_otherwise_fails_the_run_without_the_grant() {
    let w = World::new(&[(500, r#"{"error":"server_error"}"#)]).cached(&token_of(
        "at-expired",
        NOW - 10,
        Some("rt-old"),
    ));
    assert!(w.run(&Options::default()).is_err());
    assert_eq!(w.endpoint.bodies().len(), 1);
}

#[test]
fn a_reply_without_a_refresh_token_keeps_the_old_one() {
    let w = World::new(&[(200, FRESH)]).cached(&token_of("at-expired", NOW - 10, Some("rt-old")));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-new");
    assert_eq!(refresh(&got), Some("rt-old"));
    assert_eq!(w.stored().as_ref().and_then(refresh), Some("rt-old"));
    assert_eq!(w.endpoint.bodies().len(), 1, "the refresh only");
}

#[test]
fn a_rotated_refresh_token_replaces_the_old_one() {
    let rotated = r#"{"access_token":"at-new","expires_in":3600,"refresh_token":"rt-new"}"#;
    let w = World::new(&[(200, rotated)]).cached(&token_of("at-expired", NOW - 10, Some("rt-old")));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(refresh(&got), Some("rt-new"));
    assert_eq!(w.stored().as_ref().and_then(refresh), Some("rt-new"));
}

#[test]
fn a_store_that_fails_to_write_still_gives_the_token() {
    let w = World::new(&[(200, FRESH)]);
    w.store.fail_writes();
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-new");
    assert!(w.stored().is_none());
}

#[test]
fn force_fetches_over_a_fresh_token_and_stores_the_new_one() {
    let w = World::new(&[(200, FRESH)]).cached(&token_of("at-cached", NOW + 3600, None));
    let opts = Options {
        force: true,
        ..Options::default()
    };
    assert_eq!(access(&w.run(&opts).unwrap()), "at-new");
    assert_eq!(w.stored().as_ref().map(access), Some("at-new"));
}

#[test]
fn no_cache_neither_reads_nor_writes_nor_locks() {
    let w = World::new(&[(200, FRESH)]).cached(&token_of("at-cached", NOW + 3600, None));
    let opts = Options {
        no_cache: true,
        ..Options::default()
    };
    assert_eq!(access(&w.run(&opts).unwrap()), "at-new");
    assert!(w.locks.taken.borrow().is_empty());
    assert_eq!(w.stored().as_ref().map(access), Some("at-cached"));
}

#[test]
fn discovery_runs_on_the_same_transport() {
    let text = r#"[profiles.p]
flavour = "oauth2"
issuer = "https://id.example"
client_id = "cli"
client_secret = "cs-1"
"#;
    let mut w = World::new(&[
        (
            200,
            r#"{"issuer":"https://id.example","token_endpoint":"https://id.example/token"}"#,
        ),
        (200, FRESH),
    ]);
    w.profile = Config::parse(Path::new("t.toml"), text, &[])
        .unwrap()
        .profile("p")
        .unwrap();
    assert_eq!(access(&w.run(&Options::default()).unwrap()), "at-new");
    let seen = w.endpoint.seen.borrow();
    let urls: Vec<&str> = seen.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://id.example/.well-known/openid-configuration",
            "https://id.example/token"
        ]
    );
}

#[test]
fn a_process_that_waited_for_another_fetch_takes_its_token_without_the_lock() {
    let w = World::new(&[(200, FRESH)]);
    let other = Cache::new(Box::new(w.store.clone()));
    let profile = w.profile.clone();
    *w.locks.fetching.borrow_mut() = Some(Box::new(move || {
        other.save(&profile, &token_of("at-other", NOW + 3600, None));
    }));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-other");
    assert!(w.locks.taken.borrow().is_empty(), "no lock taken");
    assert_eq!(w.endpoint.connects.get(), 0);
    // The other process failed: this one takes the lock and fetches.
    let w = World::new(&[(200, FRESH)]);
    *w.locks.fetching.borrow_mut() = Some(Box::new(|| {}));
    let got = w.run(&Options::default()).unwrap();
    assert_eq!(access(&got), "at-new");
    assert_eq!(*w.locks.taken.borrow(), ["p"]);
}
