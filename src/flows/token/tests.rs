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
    /// Warnings said once: (name, text).
    notices: RefCell<Vec<(String, String)>>,
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

    fn first_notice(&self, name: &str, text: &str) -> bool {
        let said = (name.to_string(), text.to_string());
        let first = !self.notices.borrow().contains(&said);
        self.notices.borrow_mut().push(said);
        first
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
        dpop_jkt: None,
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
        self.run_with(opts, &mut FakeResolver, &crate::flows::refresh::NoLogins)
    }

    fn run_with(
        &self,
        opts: &Options,
        resolver: &mut dyn Resolve,
        logins: &dyn Logins,
    ) -> anyhow::Result<Token> {
        let ports = Ports {
            cache: Some(&self.cache),
            locks: &self.locks,
            connect: &self.endpoint,
            resolver,
            logins,
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

/// Plain secrets as written, and `{ keyring = ... }` ones from a map that
/// `store_secret` writes.
#[derive(Default)]
struct KeyringResolver {
    keyring: RefCell<std::collections::BTreeMap<String, String>>,
}

impl KeyringResolver {
    fn holding(name: &str, value: &str) -> Self {
        let r = KeyringResolver::default();
        r.keyring
            .borrow_mut()
            .insert(name.to_string(), value.to_string());
        r
    }

    fn get(&self, name: &str) -> Option<String> {
        self.keyring.borrow().get(name).cloned()
    }
}

impl Resolve for KeyringResolver {
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret> {
        match text {
            Text::Plain(v) => Ok(Secret::new(v.clone())),
            Text::From(crate::secrets::Source::Keyring(name)) => self
                .get(name)
                .map(Secret::new)
                .ok_or_else(|| anyhow::anyhow!("`{key}`: no secret `{name}`")),
            Text::From(_) => panic!("`{key}`: plain or keyring secrets only"),
        }
    }

    fn now(&self) -> i64 {
        NOW
    }

    fn unique_id(&mut self) -> String {
        "fake-id".into()
    }

    fn store_secret(&mut self, name: &str, value: &Secret) -> anyhow::Result<()> {
        self.keyring
            .borrow_mut()
            .insert(name.to_string(), value.expose().to_string());
        Ok(())
    }
}

fn parsed(text: &str, name: &str) -> Profile {
    Config::parse(Path::new("t.toml"), text, &[])
        .unwrap()
        .profile(name)
        .unwrap()
}

const KEYRING_RT: &str = r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "cli"
grant = "refresh_token"
refresh_token = { keyring = "rt" }
"#;

const ROTATED: &str = r#"{"access_token":"at-new","expires_in":3600,"refresh_token":"rt-2"}"#;

#[test]
fn a_keyring_refresh_token_is_the_one_sent_and_a_rotated_one_goes_back() {
    let mut w = World::new(&[(200, ROTATED)]);
    w.profile = parsed(KEYRING_RT, "p");
    // An older record's refresh token is not the live one: the keyring's is.
    let w = w.cached(&token_of("at-old", NOW - 10, Some("rt-old")));
    let mut keyring = KeyringResolver::holding("rt", "rt-1");
    let got = w
        .run_with(
            &Options::default(),
            &mut keyring,
            &crate::flows::refresh::NoLogins,
        )
        .unwrap();
    assert_eq!(access(&got), "at-new");
    let bodies = w.endpoint.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(
        bodies[0].starts_with("grant_type=refresh_token&refresh_token=rt-1"),
        "{}",
        bodies[0]
    );
    assert_eq!(keyring.get("rt").as_deref(), Some("rt-2"), "written back");
    assert_eq!(w.stored().as_ref().and_then(refresh), Some("rt-2"));
    assert_eq!(*w.locks.taken.borrow(), ["p", "secret/rt"]);
}

#[test]
fn after_forget_the_keyring_holds_the_live_refresh_token() {
    let mut w = World::new(&[(200, ROTATED), (200, FRESH)]);
    w.profile = parsed(KEYRING_RT, "p");
    let mut keyring = KeyringResolver::holding("rt", "rt-1");
    w.run_with(
        &Options::default(),
        &mut keyring,
        &crate::flows::refresh::NoLogins,
    )
    .unwrap();
    assert!(w.cache.forget("p").unwrap());
    // A new run reads the keyring afresh.
    let mut again = KeyringResolver::holding("rt", &keyring.get("rt").unwrap());
    let got = w
        .run_with(
            &Options::default(),
            &mut again,
            &crate::flows::refresh::NoLogins,
        )
        .unwrap();
    let bodies = w.endpoint.bodies();
    assert!(bodies[1].contains("refresh_token=rt-2"), "{}", bodies[1]);
    assert!(
        !bodies[1].contains("rt-1"),
        "the spent one is never sent again"
    );
    // A reply that rotates none keeps the keyring's, in the keyring and the record.
    assert_eq!(again.get("rt").as_deref(), Some("rt-2"));
    assert_eq!(refresh(&got), Some("rt-2"));
}

#[test]
fn a_rotation_of_a_refresh_token_gettoken_cannot_write_is_said_once() {
    let text = KEYRING_RT.replace(r#"{ keyring = "rt" }"#, r#""rt-written""#);
    let mut w = World::new(&[(200, ROTATED)]);
    w.profile = parsed(&text, "p");
    w.run(&Options::default()).unwrap();
    let notices = w.locks.notices.borrow();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "p/rotation");
    assert!(
        notices[0]
            .1
            .contains("is written out in the profiles file, which gettoken cannot write"),
        "{}",
        notices[0].1
    );
    assert!(!notices[0].1.contains("rt-"), "no token in the warning");
    // The cache holds the live one.
    assert_eq!(w.stored().as_ref().and_then(refresh), Some("rt-2"));
}

#[test]
fn a_reply_that_rotates_nothing_says_nothing() {
    let text = KEYRING_RT.replace(r#"{ keyring = "rt" }"#, r#""rt-written""#);
    let mut w = World::new(&[(200, FRESH)]);
    w.profile = parsed(&text, "p");
    w.run(&Options::default()).unwrap();
    assert!(w.locks.notices.borrow().is_empty());
}

const LENT: &str = r#"[profiles.login]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "cli"
grant = "device_code"
device_url = "https://a.example/device"
scope = "openid offline_access"

[profiles.api]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "cli"
refresh_from = "login"
scope = "api:read"
resource = "https://api.example"
"#;

/// The login profile `login` of [`LENT`] (or of `text`), its record in
/// `store`.
struct FakeLogins {
    store: MemoryBackend,
    text: Option<String>,
}

impl Logins for FakeLogins {
    fn login(&self, of: &str, from: &str) -> anyhow::Result<crate::flows::refresh::Login> {
        Ok(crate::flows::refresh::Login {
            profile: parsed(self.text.as_deref().unwrap_or(LENT), from),
            cache: Some(Cache::new(Box::new(self.store.clone()))),
            chain: vec![of.to_string(), from.to_string()],
        })
    }
}

fn lent_world(replies: &[(u16, &str)], login_refresh: Option<&str>) -> (World, FakeLogins) {
    let mut w = World::new(replies);
    w.profile = parsed(LENT, "api");
    let logins = FakeLogins {
        store: MemoryBackend::default(),
        text: None,
    };
    Cache::new(Box::new(logins.store.clone())).save(
        &parsed(LENT, "login"),
        &token_of("at-login", NOW + 3600, login_refresh),
    );
    (w, logins)
}

fn login_record(logins: &FakeLogins) -> Option<Token> {
    Cache::new(Box::new(logins.store.clone())).load(&parsed(LENT, "login"))
}

#[test]
fn refresh_from_sends_the_logins_refresh_token_with_its_own_scope() {
    let (w, logins) = lent_world(&[(200, ROTATED)], Some("rt-login"));
    let got = w
        .run_with(&Options::default(), &mut FakeResolver, &logins)
        .unwrap();
    assert_eq!(access(&got), "at-new");
    let bodies = w.endpoint.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(
        bodies[0].starts_with(
            "grant_type=refresh_token&refresh_token=rt-login&scope=api%3Aread&resource=https%3A%2F%2Fapi.example"
        ),
        "{}",
        bodies[0]
    );
    // Its own token under its own name, no refresh token of its own.
    assert_eq!(w.stored().as_ref().map(access), Some("at-new"));
    assert_eq!(w.stored().as_ref().and_then(refresh), None);
    // The rotated one back in the login's record, its access token kept.
    let login = login_record(&logins).unwrap();
    assert_eq!(refresh(&login), Some("rt-2"));
    assert_eq!(access(&login), "at-login");
    assert_eq!(*w.locks.taken.borrow(), ["api", "login"]);
}

#[test]
fn refresh_from_a_login_without_a_refresh_token_says_to_log_in() {
    let (w, logins) = lent_world(&[], None);
    let err = w
        .run_with(&Options::default(), &mut FakeResolver, &logins)
        .unwrap_err();
    let f = err.downcast_ref::<Failure>().unwrap();
    assert_eq!(f.kind, Kind::Refused);
    assert_eq!(
        f.message,
        "profile `api` takes its refresh token from the login of profile `login` (api -> login), which holds none: run `gettoken login login`"
    );
    assert_eq!(w.endpoint.connects.get(), 1, "no request is sent");
    assert!(w.endpoint.bodies().is_empty());
}

#[test]
fn refresh_from_a_refused_login_names_both_profiles_and_the_endpoints_words() {
    let (w, logins) = lent_world(
        &[(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        )],
        Some("rt-login"),
    );
    let err = w
        .run_with(&Options::default(), &mut FakeResolver, &logins)
        .unwrap_err();
    let f = err.downcast_ref::<Failure>().unwrap();
    assert_eq!(f.kind, Kind::Refused);
    assert!(
        f.message.starts_with(
            "profile `api`: the refresh token of profile `login`'s login (api -> login) was refused: "
        ) && f.message.contains("grant request is invalid")
            && f.message.contains("run `gettoken login login`"),
        "{}",
        f.message
    );
    // The login's record is left as it was.
    assert_eq!(
        login_record(&logins).as_ref().and_then(refresh),
        Some("rt-login")
    );
}

#[test]
fn a_refused_configured_refresh_token_says_how_to_store_a_fresh_one() {
    let mut w = World::new(&[(
        403,
        r#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#,
    )]);
    w.profile = parsed(KEYRING_RT, "p");
    let mut keyring = KeyringResolver::holding("rt", "rt-spent");
    let err = w
        .run_with(
            &Options::default(),
            &mut keyring,
            &crate::flows::refresh::NoLogins,
        )
        .unwrap_err();
    let f = err.downcast_ref::<Failure>().unwrap();
    assert_eq!(f.kind, Kind::Refused);
    assert!(
        f.message.contains("Unknown or invalid refresh token."),
        "{}",
        f.message
    );
    assert!(f.hint.unwrap().contains("gettoken secret set NAME"));
    assert_eq!(
        keyring.get("rt").as_deref(),
        Some("rt-spent"),
        "left as it was"
    );
}

#[test]
fn refresh_from_a_login_kept_in_the_keyring_reads_and_writes_the_keyring() {
    let login = KEYRING_RT.replace("[profiles.p]", "[profiles.login]");
    let mut w = World::new(&[(200, ROTATED)]);
    w.profile = parsed(LENT, "api");
    let logins = FakeLogins {
        store: MemoryBackend::default(),
        text: Some(login),
    };
    let mut keyring = KeyringResolver::holding("rt", "rt-1");
    let got = w
        .run_with(&Options::default(), &mut keyring, &logins)
        .unwrap();
    assert_eq!(access(&got), "at-new");
    let bodies = w.endpoint.bodies();
    assert!(
        bodies[0].starts_with("grant_type=refresh_token&refresh_token=rt-1&scope=api%3Aread"),
        "{}",
        bodies[0]
    );
    assert_eq!(keyring.get("rt").as_deref(), Some("rt-2"), "written back");
    assert_eq!(*w.locks.taken.borrow(), ["api", "login", "secret/rt"]);
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
