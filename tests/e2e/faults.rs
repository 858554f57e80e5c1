//! The fault matrix: under every fault gettoken fails clearly, quickly and
//! safely. One row per fault; every row is run twice (plain and with `-v`),
//! each time in a fresh environment, and checked the same way:
//!
//! - the exit status, and on failure nothing on stdout;
//! - the message: the endpoint's own words where there are some, the file,
//!   line and column for a bad profiles file;
//! - a bounded time (the run is killed, and the row fails, past the bound);
//! - the cache entry afterwards: byte for byte the one seeded before the
//!   fault, or replaced by a whole new record (mode 0600, no temporary file
//!   left) that the next call serves, or fetches anew when it has expired;
//! - no secret, no seeded token or refresh token, and no token that must not
//!   show, on stdout or stderr.
//!
//! Rows that share the shape are the table below (`matrix!`); those that
//! need their own set-up (TLS, a lock holder killed with SIGKILL, stdout
//! closed early, a locked Secret Service) are functions after it, with the
//! same checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::*;

const PROFILE: &str = "fault";
const CLIENT_ID: &str = "fault-client";
const CLIENT_SECRET: &str = "fault-client-secret-5f1e";
/// The secret as a source (command, environment, file) gives it.
const SOURCED_SECRET: &str = "fault-sourced-secret-9c2d";
const SECRET_ENV: &str = "GT_FAULT_SECRET";
const SEED_TOKEN: &str = "fault-seed-token-0a1b";
const SEED_REFRESH: &str = "fault-seed-refresh-2c3d";
const NEW_TOKEN: &str = "fault-new-token-4e5f";
const NEW_REFRESH: &str = "fault-new-refresh-6a7b";
/// Another credential, that a twist puts in place of the seed's.
const OTHER_SECRET: &str = "fault-other-secret-8e9f";
/// A `Retry-After` header with this value is sent as an HTTP date, this
/// many seconds after the moment of the reply.
const RETRY_DATE_IN_3S: &str = "(an HTTP date 3 s from now)";
/// The bound for rows that wait for nothing.
const QUICK: Duration = Duration::from_secs(10);
/// The bound for rows that must fail at once (a special file).
const AT_ONCE: Duration = Duration::from_secs(2);
/// The bound for rows that wait out the profile's 2 s timeout once.
const ONE_TIMEOUT: Duration = Duration::from_secs(6);

/// What the cache holds before the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seed {
    /// A valid token with less than `min_ttl` left: the run must fetch.
    Stale,
    /// The same, with a refresh token: the run refreshes first.
    StaleWithRefresh,
    /// A fresh token; the run uses `--force`.
    Fresh,
    /// A fresh token, and the run does not force: only a changed identity
    /// makes it fetch.
    Valid,
}

/// Where the profile's client secret comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SecretFrom {
    Literal,
    /// `{ command = [ROOT/secret.sh] }`
    Command,
    /// `{ env = "GT_FAULT_SECRET" }`
    Env,
    /// `{ file = ROOT/secret.txt }`
    File,
}

/// What the token endpoint does with the run's requests.
#[derive(Debug, Clone)]
enum Endpoint {
    /// Each request gets the next conduct; the last one repeats.
    Answers(Vec<Conduct>),
    /// Nothing listens any more.
    Refused,
    /// A redirect to a second server on another host name, which must get
    /// nothing.
    RedirectElsewhere,
}

/// What else changes between the seed and the run.
#[derive(Debug, Clone)]
enum Twist {
    None,
    /// The run's profile has this line too.
    ProfileLine(&'static str),
    /// The profiles file now holds this (`{url}`, `{secret}` replaced).
    ConfigText(&'static str),
    /// The profiles file now holds these bytes.
    ConfigBytes(&'static [u8]),
    /// The profiles file is now a directory.
    ConfigDir,
    /// The secret command's script body is now this.
    SecretScript(&'static str),
    /// The secret's environment variable is unset.
    SecretEnvUnset,
    /// The secret file is now a directory (unreadable even for root).
    SecretFileDir,
    /// The cache entry now holds these bytes.
    CacheEntry(&'static [u8]),
    /// The profiles file has this text replaced by that (`{...}` filled).
    ConfigReplace(&'static str, &'static str),
    /// The secret's environment variable now holds this.
    SecretEnvValue(&'static str),
    /// The secret file now holds this.
    SecretFileText(&'static str),
    /// This file is now a special one (for `Place::CaFile`, the profile
    /// also names it as its `ca_file`).
    Special(Place, Special),
}

/// A file gettoken reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Config,
    SecretFile,
    CacheEntry,
    CaFile,
}

/// A file that must neither block nor fill memory.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Special {
    /// A FIFO no one writes to.
    Fifo,
    /// A symbolic link to `/dev/zero`.
    DevZero,
    /// A sparse file of 1 GiB.
    Huge,
}

/// The cache entry after the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum After {
    /// Byte for byte the seeded one.
    Untouched,
    /// The new token's record, which the next call serves.
    Cached,
    /// The new token's record, already expired: the next call fetches.
    Refetch,
}

#[derive(Debug, Clone)]
struct Row {
    seed: Seed,
    secret: SecretFrom,
    /// The profile's `retries`.
    retries: u32,
    /// Extra profile lines, for the seed and the run alike.
    extra: &'static str,
    endpoint: Endpoint,
    twist: Twist,
    code: i32,
    /// Fragments stderr must hold; `{config}`, `{url}`, `{port}`,
    /// `{root}` are replaced.
    says: Vec<&'static str>,
    /// Fragments the error message must not hold.
    never_says: Vec<&'static str>,
    /// Requests the endpoint gets during the run.
    requests: usize,
    /// The least time between the run's first two requests.
    gap: Option<Duration>,
    within: Duration,
    after: After,
}

impl Default for Row {
    fn default() -> Row {
        Row {
            seed: Seed::Stale,
            secret: SecretFrom::Literal,
            retries: 1,
            extra: "",
            endpoint: Endpoint::Answers(vec![ok()]),
            twist: Twist::None,
            code: 4,
            says: vec![],
            never_says: vec![],
            requests: 0,
            gap: None,
            within: QUICK,
            after: After::Untouched,
        }
    }
}

/// The good reply: the new token, a refresh token, an hour.
fn ok() -> Conduct {
    Conduct::Answer(Reply::json(
        200,
        json!({"access_token": NEW_TOKEN, "token_type": "Bearer", "expires_in": 3600,
               "refresh_token": NEW_REFRESH}),
    ))
}

/// A 200 with this JSON body.
fn ok_with(body: Value) -> Conduct {
    Conduct::Answer(Reply::json(200, body))
}

fn answer(status: u16, body: Value) -> Conduct {
    Conduct::Answer(Reply::json(status, body))
}

fn answers(list: Vec<Conduct>) -> Endpoint {
    Endpoint::Answers(list)
}

/// One test per row: the plain and the `-v` run side by side.
macro_rules! matrix {
    ($($name:ident => $row:expr,)*) => {
        $(
            #[test]
            fn $name() {
                let row: Row = $row;
                std::thread::scope(|s| {
                    let verbose = s.spawn(|| run_row(&row, true));
                    run_row(&row, false);
                    if let Err(panic) = verbose.join() {
                        std::panic::resume_unwind(panic);
                    }
                });
            }
        )*
    };
}

matrix! {
    // ---- the network -------------------------------------------------------
    connection_refused => Row {
        endpoint: Endpoint::Refused,
        says: vec!["cannot reach", "127.0.0.1:{port}"],
        ..Row::default()
    },
    accepts_and_never_answers => Row {
        retries: 0,
        endpoint: answers(vec![Conduct::Silent]),
        says: vec!["no complete reply from", "within the timeout"],
        requests: 1,
        within: ONE_TIMEOUT,
        ..Row::default()
    },
    trickles_bytes => Row {
        retries: 0,
        endpoint: answers(vec![Conduct::Trickle(Duration::from_millis(300))]),
        says: vec!["no complete reply from http://127.0.0.1:{port}/token within the timeout"],
        never_says: vec!["cannot reach"],
        requests: 1,
        within: ONE_TIMEOUT,
        ..Row::default()
    },
    stalls_in_the_middle_of_the_reply => Row {
        retries: 0,
        endpoint: answers(vec![Conduct::Trickle(Duration::from_secs(5))]),
        says: vec!["no complete reply from http://127.0.0.1:{port}/token within the timeout"],
        never_says: vec!["cannot reach"],
        requests: 1,
        within: ONE_TIMEOUT,
        ..Row::default()
    },
    hangs_up_without_a_word => Row {
        endpoint: answers(vec![Conduct::HangUp]),
        says: vec!["cannot reach", "127.0.0.1:{port}"],
        requests: 2,
        ..Row::default()
    },
    // ---- HTTP statuses -----------------------------------------------------
    http_500 => Row {
        endpoint: answers(vec![answer(500, json!({"error": "server_error",
            "error_description": "the database is on fire"}))]),
        says: vec!["HTTP 500", "server_error", "the database is on fire"],
        requests: 2,
        ..Row::default()
    },
    http_502_with_an_html_body => Row {
        endpoint: answers(vec![Conduct::Answer(Reply {
            status: 502,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><head><title>502 Bad Gateway</title></head><body>\
                <h1>Bad Gateway</h1><p>the upstream went away</p></body></html>"
                .to_vec(),
        })]),
        says: vec!["HTTP 502", "Bad Gateway", "the upstream went away"],
        never_says: vec!["<h1>", "<html>"],
        requests: 2,
        ..Row::default()
    },
    http_503_then_success => Row {
        endpoint: answers(vec![
            Conduct::Answer(Reply::text(503, "down for maintenance")),
            ok(),
        ]),
        code: 0,
        requests: 2,
        after: After::Cached,
        ..Row::default()
    },
    http_429_with_retry_after_seconds => Row {
        endpoint: answers(vec![
            Conduct::Answer(
                Reply::json(429, json!({"error": "slow down"})).with_header("Retry-After", "1"),
            ),
            ok(),
        ]),
        code: 0,
        requests: 2,
        gap: Some(Duration::from_millis(950)),
        after: After::Cached,
        ..Row::default()
    },
    http_429_with_retry_after_date => Row {
        endpoint: answers(vec![
            Conduct::Answer(
                Reply::json(429, json!({"error": "slow down"}))
                    .with_header("Retry-After", RETRY_DATE_IN_3S),
            ),
            ok(),
        ]),
        code: 0,
        requests: 2,
        gap: Some(Duration::from_millis(1500)),
        after: After::Cached,
        ..Row::default()
    },
    http_429_with_retry_after_beyond_the_cap_fails_at_once => Row {
        endpoint: answers(vec![
            Conduct::Answer(
                Reply::json(429, json!({"error": "rate_limited",
                    "error_description": "come back in an hour"}))
                    .with_header("Retry-After", "3600"),
            ),
            ok(),
        ]),
        says: vec![
            "HTTP 429",
            "come back in an hour",
            "the endpoint asks to wait 1h 0m before trying again",
        ],
        requests: 1,
        within: Duration::from_secs(5),
        ..Row::default()
    },
    http_429_until_the_retries_run_out => Row {
        endpoint: answers(vec![Conduct::Answer(
            Reply::json(429, json!({"error": "rate_limited",
                "error_description": "too many requests from this client"}))
                .with_header("Retry-After", "0"),
        )]),
        says: vec!["HTTP 429", "too many requests from this client"],
        never_says: vec!["asks to wait"],
        requests: 2,
        ..Row::default()
    },
    http_401_is_refused_in_the_endpoints_words => Row {
        endpoint: answers(vec![answer(401, json!({"error": "invalid_client",
            "error_description": "client authentication failed"}))]),
        code: 3,
        says: vec!["HTTP 401", "invalid_client", "client authentication failed"],
        requests: 1,
        ..Row::default()
    },
    // ---- replies that are not token replies --------------------------------
    ok_but_not_json => Row {
        endpoint: answers(vec![Conduct::Answer(Reply::text(200, "Service busy, try again later"))]),
        // A 2xx body may be the token itself: described, never quoted.
        says: vec!["not JSON", "text/plain", "29 bytes"],
        never_says: vec!["Service busy"],
        requests: 1,
        ..Row::default()
    },
    ok_but_empty => Row {
        endpoint: answers(vec![Conduct::Answer(Reply::text(200, ""))]),
        says: vec!["HTTP 200", "empty body"],
        requests: 1,
        ..Row::default()
    },
    no_token_at_the_configured_path => Row {
        endpoint: answers(vec![ok_with(json!({"status": "ok",
            "error_description": "no token for this client today"}))]),
        says: vec!["no token at `/access_token`", "no token for this client today"],
        requests: 1,
        ..Row::default()
    },
    no_token_at_a_configured_nested_path => Row {
        extra: "[profiles.fault.response]\ntoken = \"/Data/accessToken\"\nerror = \"/message\"",
        endpoint: answers(vec![ok_with(json!({"Data": {"accessToken": null},
            "message": "account suspended"}))]),
        says: vec!["no token at `/Data/accessToken`", "account suspended"],
        requests: 1,
        ..Row::default()
    },
    token_that_is_a_number => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": 4242, "expires_in": 60}))]),
        says: vec!["`/access_token` is a number, not a string token"],
        requests: 1,
        ..Row::default()
    },
    token_that_is_an_object => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": {"value": NEW_TOKEN}}))]),
        says: vec!["`/access_token` is an object, not a string token"],
        requests: 1,
        ..Row::default()
    },
    token_with_a_line_break => Row {
        endpoint: answers(vec![ok_with(json!({
            "access_token": format!("{NEW_TOKEN}\r\nX-Injected: 1"), "expires_in": 60}))]),
        says: vec!["control characters"],
        never_says: vec!["X-Injected"],
        requests: 1,
        ..Row::default()
    },
    reply_over_the_size_cap => Row {
        seed: Seed::Fresh,
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "padding": "x".repeat(2 * 1024 * 1024)}))]),
        says: vec!["larger than 1024 KiB"],
        requests: 1,
        ..Row::default()
    },
    // ---- expiry -------------------------------------------------------------
    expires_in_negative => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN, "expires_in": -30,
            "refresh_token": NEW_REFRESH}))]),
        code: 0,
        requests: 1,
        after: After::Refetch,
        ..Row::default()
    },
    expires_in_zero => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN, "expires_in": 0}))]),
        code: 0,
        requests: 1,
        after: After::Refetch,
        ..Row::default()
    },
    expires_in_huge => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN, "expires_in": 1e300}))]),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    expires_in_not_a_number => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN, "expires_in": "soon"}))]),
        says: vec!["`/expires_in` is \"soon\", not a number of seconds"],
        requests: 1,
        ..Row::default()
    },
    expires_at_in_the_past => Row {
        extra: "[profiles.fault.response]\nexpires_at = \"/expires_at\"",
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "expires_at": "2001-09-09T01:46:40Z"}))]),
        code: 0,
        requests: 1,
        after: After::Refetch,
        ..Row::default()
    },
    expires_at_not_a_time => Row {
        extra: "[profiles.fault.response]\nexpires_at = \"/expires_at\"",
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "expires_at": "next tuesday"}))]),
        says: vec!["`/expires_at` is \"next tuesday\", not a UNIX time or an RFC 3339 time"],
        requests: 1,
        ..Row::default()
    },
    // ---- where requests may go ---------------------------------------------
    redirect_to_another_host_is_not_followed => Row {
        seed: Seed::Fresh,
        endpoint: Endpoint::RedirectElsewhere,
        says: vec!["HTTP 302", "a redirect to `http://localhost:", "do not follow redirects"],
        requests: 1,
        ..Row::default()
    },
    redirect_to_an_https_host_is_not_followed => Row {
        endpoint: answers(vec![Conduct::Answer(Reply::text(307, "")
            .with_header("Location", "https://collector.example.invalid/steal"))]),
        says: vec!["HTTP 307", "`https://collector.example.invalid/steal`"],
        requests: 1,
        ..Row::default()
    },
    plain_http_off_loopback_without_insecure_http => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\n\
            token_url = \"http://auth.example.invalid/token\"\nclient_id = \"fault-client\"\n\
            client_secret = \"{secret}\"\ncache = \"file\"\n"),
        code: 2,
        says: vec!["http://auth.example.invalid/token", "insecure_http"],
        ..Row::default()
    },
    // ---- secrets --------------------------------------------------------------
    secret_command_fails => Row {
        secret: SecretFrom::Command,
        twist: Twist::SecretScript("printf partial-output; echo 'vault is sealed' >&2; exit 3"),
        code: 2,
        says: vec!["`client_secret`", "secret.sh", "vault is sealed"],
        never_says: vec!["partial-output"],
        ..Row::default()
    },
    secret_command_hangs => Row {
        secret: SecretFrom::Command,
        twist: Twist::SecretScript("sleep 30"),
        code: 2,
        says: vec!["secret.sh", "did not finish within 2s"],
        within: ONE_TIMEOUT,
        ..Row::default()
    },
    secret_command_prints_nothing => Row {
        secret: SecretFrom::Command,
        twist: Twist::SecretScript("exit 0"),
        code: 2,
        says: vec!["secret.sh", "printed nothing"],
        ..Row::default()
    },
    secret_env_missing => Row {
        secret: SecretFrom::Env,
        twist: Twist::SecretEnvUnset,
        code: 2,
        says: vec!["`GT_FAULT_SECRET` is not set"],
        ..Row::default()
    },
    secret_file_unreadable => Row {
        secret: SecretFrom::File,
        twist: Twist::SecretFileDir,
        code: 2,
        says: vec!["{root}/secret.txt"],
        ..Row::default()
    },
    // ---- the cache ------------------------------------------------------------
    cache_entry_not_json => Row {
        seed: Seed::Fresh,
        twist: Twist::CacheEntry(b"{not json"),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    cache_entry_half_written => Row {
        seed: Seed::Fresh,
        twist: Twist::CacheEntry(br#"{"v":1,"fingerprint":"0123","access_token":"fault-"#),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    cache_entry_binary => Row {
        seed: Seed::Fresh,
        twist: Twist::CacheEntry(b"\x00\x01\xff\xfe"),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    cache_entry_of_another_version => Row {
        seed: Seed::Fresh,
        twist: Twist::CacheEntry(br#"{"v":99,"access_token":"fault-seed-token-0a1b"}"#),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    cache_entry_empty => Row {
        seed: Seed::Fresh,
        twist: Twist::CacheEntry(b""),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    profile_changed_between_two_calls => Row {
        seed: Seed::Fresh,
        twist: Twist::ProfileLine("scope = \"admin\""),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    // ---- refresh tokens -------------------------------------------------------
    refresh_gets_a_500_and_is_not_retried => Row {
        seed: Seed::StaleWithRefresh,
        endpoint: answers(vec![answer(500, json!({"error": "temporarily_unavailable"}))]),
        says: vec!["HTTP 500", "temporarily_unavailable"],
        requests: 1,
        ..Row::default()
    },
    refresh_never_answered_is_not_retried => Row {
        seed: Seed::StaleWithRefresh,
        endpoint: answers(vec![Conduct::Silent]),
        says: vec!["within the timeout"],
        requests: 1,
        within: ONE_TIMEOUT,
        ..Row::default()
    },
    refresh_refused_falls_back_to_the_grant => Row {
        seed: Seed::StaleWithRefresh,
        endpoint: answers(vec![answer(400, json!({"error": "invalid_grant"})), ok()]),
        code: 0,
        requests: 2,
        after: After::Cached,
        ..Row::default()
    },
    // ---- the profiles file ------------------------------------------------------
    config_unreadable => Row {
        twist: Twist::ConfigDir,
        code: 2,
        says: vec!["cannot read profiles file {config}"],
        ..Row::default()
    },
    config_not_utf8 => Row {
        twist: Twist::ConfigBytes(b"[profiles.fault]\nclient_secret = \"\xff\xfe\"\n"),
        code: 2,
        says: vec!["cannot read profiles file {config}", "UTF-8"],
        ..Row::default()
    },
    config_not_toml => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\nclient_secret = \"{secret}\n"),
        code: 2,
        says: vec!["{config}:3:42", "invalid basic string"],
        ..Row::default()
    },
    config_wrong_type => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
            client_id = \"fault-client\"\nclient_secret = \"{secret}\"\nretries = \"two\"\n"),
        code: 2,
        says: vec!["{config}:6:11", "expected u32"],
        never_says: vec!["two"],
        ..Row::default()
    },
    config_secret_of_the_wrong_type => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
            client_id = \"fault-client\"\nclient_secret = [\"{secret}\"]\n"),
        code: 2,
        says: vec!["{config}:5:17"],
        ..Row::default()
    },
    // ---- hardening: text from outside, replies, the header line ----
    expires_at_rfc3339_in_year_9999 => Row {
        extra: "[profiles.fault.response]\nexpires_at = \"/expires_at\"",
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "expires_at": "9999-12-31T23:59:59Z"}))]),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    expires_at_seconds_in_year_9999_are_not_milliseconds => Row {
        extra: "[profiles.fault.response]\nexpires_at = \"/expires_at\"",
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "expires_at": 253_402_300_799_i64}))]),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    expires_at_in_milliseconds_when_the_profile_says_so => Row {
        extra: "[profiles.fault.response]\nexpires_at = \"/expires_at\"\nexpiry_unit = \"ms\"",
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "expires_at": 253_402_300_799_000_i64}))]),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    expiry_unit_that_is_not_s_or_ms => Row {
        twist: Twist::ProfileLine("[profiles.fault.response]\nexpiry_unit = \"minutes\""),
        code: 2,
        says: vec!["`response.expiry_unit`", "\"s\", \"ms\""],
        ..Row::default()
    },
    ok_body_that_is_the_token_itself_is_not_quoted => Row {
        endpoint: answers(vec![Conduct::Answer(Reply::text(200, NEW_TOKEN))]),
        says: vec!["HTTP 200", "text/plain", "20 bytes", "not JSON"],
        requests: 1,
        ..Row::default()
    },
    ok_json_without_the_token_is_not_quoted => Row {
        endpoint: answers(vec![ok_with(json!({"value": NEW_TOKEN, "kind": "opaque"}))]),
        says: vec!["no token at `/access_token`", "keys: kind, value"],
        requests: 1,
        ..Row::default()
    },
    token_with_a_bidi_override => Row {
        endpoint: answers(vec![ok_with(json!({
            "access_token": format!("{NEW_TOKEN}\u{202E}"), "expires_in": 60}))]),
        says: vec!["control characters"],
        requests: 1,
        ..Row::default()
    },
    token_with_a_c1_control => Row {
        endpoint: answers(vec![ok_with(json!({
            "access_token": format!("{NEW_TOKEN}\u{9b}31m"), "expires_in": 60}))]),
        says: vec!["control characters"],
        requests: 1,
        ..Row::default()
    },
    error_text_with_terminal_controls_is_escaped => Row {
        endpoint: answers(vec![answer(400, json!({"error": "invalid_grant",
            "error_description": "bad\u{1b}[2Jclient\r\nsee\u{7f}\u{202E}docs"}))]),
        code: 3,
        says: vec!["invalid_grant: bad\\u{1b}[2Jclient  see\\u{7f}\\u{202e}docs"],
        requests: 1,
        ..Row::default()
    },
    // Not an auth scheme the token can be used with: the header says
    // `Bearer` (`token_type_that_is_not_an_auth_scheme_becomes_bearer`).
    token_type_that_is_not_an_auth_scheme => Row {
        endpoint: answers(vec![ok_with(json!({"access_token": NEW_TOKEN,
            "token_type": "Bearer\r\nX-Injected: 1", "expires_in": 3600}))]),
        code: 0,
        never_says: vec!["X-Injected"],
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    profile_scheme_that_is_not_an_auth_scheme => Row {
        twist: Twist::ProfileLine("scheme = \"Bearer x\""),
        code: 2,
        says: vec!["`scheme`", "not an HTTP auth scheme"],
        ..Row::default()
    },
    // ---- hardening: leaks, proxies, aborts and the browser listener ----
    timeout_absurdly_long_is_refused => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
            client_id = \"fault-client\"\nclient_secret = \"{secret}\"\ncache = \"file\"\n\
            timeout = \"200000000000000d\"\n"),
        code: 2,
        says: vec!["`timeout`", "too large: at most 3650d"],
        ..Row::default()
    },
    min_ttl_absurdly_long_is_refused => Row {
        twist: Twist::ConfigText("[profiles.fault]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
            client_id = \"fault-client\"\nclient_secret = \"{secret}\"\ncache = \"file\"\n\
            timeout = \"2s\"\nmin_ttl = \"200000000000000d\"\n"),
        code: 2,
        says: vec!["`min_ttl`", "too large: at most 3650d"],
        ..Row::default()
    },
    login_timeout_absurdly_long_is_refused => Row {
        twist: Twist::ProfileLine("login_timeout = \"200000000000000d\""),
        code: 2,
        says: vec!["`login_timeout`", "too large: at most 3650d"],
        ..Row::default()
    },
    lifetime_absurdly_long_is_refused => Row {
        twist: Twist::ProfileLine("[profiles.fault.response]\nlifetime = \"18446744073709551615s\""),
        code: 2,
        says: vec!["`response.lifetime`", "too large: at most 3650d"],
        ..Row::default()
    },
    // ---- hardening: directories, files and stored records ----
    config_is_a_fifo => special_row(Place::Config, Special::Fifo, 2,
        vec!["cannot read profiles file {config}", "a FIFO"]),
    config_is_dev_zero => special_row(Place::Config, Special::DevZero, 2,
        vec!["cannot read profiles file {config}", "a device"]),
    config_is_huge => special_row(Place::Config, Special::Huge, 2,
        vec!["cannot read profiles file {config}", "larger than 16384 KiB"]),
    secret_file_is_a_fifo => special_row(Place::SecretFile, Special::Fifo, 2,
        vec!["{root}/secret.txt", "a FIFO"]),
    secret_file_is_dev_zero => special_row(Place::SecretFile, Special::DevZero, 2,
        vec!["{root}/secret.txt", "a device"]),
    secret_file_is_huge => special_row(Place::SecretFile, Special::Huge, 2,
        vec!["{root}/secret.txt", "larger than 1024 KiB"]),
    ca_file_is_a_fifo => special_row(Place::CaFile, Special::Fifo, 2,
        vec!["ca_file {root}/ca.pem", "a FIFO"]),
    ca_file_is_dev_zero => special_row(Place::CaFile, Special::DevZero, 2,
        vec!["ca_file {root}/ca.pem", "a device"]),
    ca_file_is_huge => special_row(Place::CaFile, Special::Huge, 2,
        vec!["ca_file {root}/ca.pem", "larger than 1024 KiB"]),
    cache_entry_is_a_fifo => special_row(Place::CacheEntry, Special::Fifo, 0,
        vec!["warning", "{root}/cache/gettoken/token~fault.json", "a FIFO"]),
    cache_entry_is_dev_zero => special_row(Place::CacheEntry, Special::DevZero, 0,
        vec!["warning", "{root}/cache/gettoken/token~fault.json", "symbolic link"]),
    cache_entry_is_huge => special_row(Place::CacheEntry, Special::Huge, 0,
        vec!["warning", "{root}/cache/gettoken/token~fault.json"]),
    // ---- hardening: the cache identity ----
    // Tenant A's token is never served to tenant B: a changed credential
    // fetches anew, though the profile's settings are the same.
    a_changed_literal_secret_fetches_anew => Row {
        seed: Seed::Valid,
        twist: Twist::ConfigReplace("{secret}", "fault-other-secret-8e9f"),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    a_changed_env_secret_value_fetches_anew => Row {
        seed: Seed::Valid,
        secret: SecretFrom::Env,
        twist: Twist::SecretEnvValue(OTHER_SECRET),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    a_changed_file_secret_fetches_anew => Row {
        seed: Seed::Valid,
        secret: SecretFrom::File,
        twist: Twist::SecretFileText("fault-other-secret-8e9f\n"),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    a_changed_api_key_header_fetches_anew => Row {
        seed: Seed::Valid,
        extra: "headers = { X-Api-Key = \"fault-client-secret-5f1e-k1\" }",
        twist: Twist::ConfigReplace("-k1\"", "-k2\""),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    // `authorization_url` is an address, part of the identity, though its
    // name holds "authorization".
    a_changed_authorization_url_fetches_anew => Row {
        seed: Seed::Valid,
        extra: "authorization_url = \"https://auth.example.invalid/a1\"",
        twist: Twist::ConfigReplace("/a1\"", "/a2\""),
        code: 0,
        requests: 1,
        after: After::Cached,
        ..Row::default()
    },
    // ---- DPoP (RFC 9449) ----
    // A token endpoint that asks for a DPoP nonce again after the one more
    // try: no loop (the grant, then once more with the nonce), exit 3
    // with its words; the key and the proofs stay out of every line.
    dpop_nonce_asked_for_again_is_a_refusal => Row {
        extra: DPOP_PROFILE_LINES,
        endpoint: answers(vec![Conduct::Answer(
            Reply::json(400, json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."}))
                .with_header("DPoP-Nonce", "fault-nonce-1"),
        )]),
        code: 3,
        says: vec!["use_dpop_nonce", "Authorization server requires nonce in DPoP proof."],
        never_says: vec!["MIGHAgEAMBMGByqGSM49", "BEGIN PRIVATE KEY"],
        requests: 2,
        ..Row::default()
    },
}

/// The row of a special file at `place`: a clear error at once (or, for the
/// cache entry, a warning and a fetch).
fn special_row(place: Place, special: Special, code: i32, says: Vec<&'static str>) -> Row {
    let secret = if place == Place::SecretFile {
        SecretFrom::File
    } else {
        SecretFrom::Literal
    };
    let fetches = place == Place::CacheEntry;
    Row {
        seed: if fetches { Seed::Fresh } else { Seed::Stale },
        secret,
        twist: Twist::Special(place, special),
        code,
        says,
        requests: usize::from(fetches),
        within: AT_ONCE,
        after: if fetches {
            After::Cached
        } else {
            After::Untouched
        },
        ..Row::default()
    }
}

/// Everything one run of a row needs.
struct World {
    env: Env,
    server: RawServer,
    /// The second server of a redirect row.
    elsewhere: Option<Server>,
    config: PathBuf,
}

fn profile_text(url: &str, row: &Row, root: &Path) -> String {
    let secret_line = match row.secret {
        SecretFrom::Literal => format!("client_secret = \"{CLIENT_SECRET}\""),
        SecretFrom::Command => format!(
            "client_secret = {{ command = [{}] }}",
            json!(root.join("secret.sh"))
        ),
        SecretFrom::Env => format!("client_secret = {{ env = \"{SECRET_ENV}\" }}"),
        SecretFrom::File => format!(
            "client_secret = {{ file = {} }}",
            json!(root.join("secret.txt"))
        ),
    };
    // `extra` last: it may open a sub-table.
    format!(
        "[profiles.{PROFILE}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
         client_id = \"{CLIENT_ID}\"\n{secret_line}\ncache = \"file\"\nmin_ttl = \"60s\"\n\
         timeout = \"2s\"\nretries = {}\n{}\n",
        row.retries, row.extra
    )
}

/// The seeded token's reply: valid, fresh or not, with a refresh token or
/// not.
fn seed_reply(seed: Seed) -> Conduct {
    // The token at both paths the rows configure.
    let mut body = json!({"access_token": SEED_TOKEN, "token_type": "Bearer",
                          "Data": {"accessToken": SEED_TOKEN}});
    // min_ttl is 60 s: 30 s left is stale.
    body["expires_in"] = json!(if matches!(seed, Seed::Fresh | Seed::Valid) {
        3600
    } else {
        30
    });
    if seed == Seed::StaleWithRefresh {
        body["refresh_token"] = json!(SEED_REFRESH);
    }
    Conduct::Answer(Reply::json(200, body))
}

/// `conduct`, with its `Retry-After` date (if any) made now.
fn at_reply_time(conduct: Conduct) -> Conduct {
    match conduct {
        Conduct::Answer(mut reply) => {
            for (_, value) in reply.headers.iter_mut() {
                if value == RETRY_DATE_IN_3S {
                    let when = std::time::SystemTime::now() + Duration::from_secs(3);
                    *value = httpdate::fmt_http_date(when);
                }
            }
            Conduct::Answer(reply)
        }
        other => other,
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Replaces the file at `path` by a special one.
fn make_special(path: &Path, special: Special) {
    let _ = std::fs::remove_file(path);
    match special {
        Special::Fifo => {
            let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        }
        Special::DevZero => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        Special::Huge => {
            let file = std::fs::File::create(path).unwrap();
            file.set_len(1 << 30).unwrap();
            set_mode(path, 0o600);
        }
    }
}

fn write_script(env: &Env, body: &str) {
    let path = env.write_file("secret.sh", &format!("#!/bin/sh\n{body}\n"));
    set_mode(&path, 0o700);
}

impl World {
    fn new(row: &Row) -> World {
        let env = Env::new();
        let elsewhere = matches!(row.endpoint, Endpoint::RedirectElsewhere)
            .then(|| Server::json(200, json!({"access_token": "stolen"})));
        let answers = match &row.endpoint {
            Endpoint::Answers(list) => list.clone(),
            Endpoint::Refused => vec![],
            Endpoint::RedirectElsewhere => {
                // Another host name for the same machine: not followed all
                // the same.
                let other = elsewhere
                    .as_ref()
                    .unwrap()
                    .url()
                    .replace("127.0.0.1", "localhost");
                vec![Conduct::Answer(
                    Reply::text(302, "").with_header("Location", &format!("{other}/collect")),
                )]
            }
        };
        let seed = seed_reply(row.seed);
        let server = RawServer::start(move |_, i| {
            if i == 0 {
                return seed.clone();
            }
            let next = answers
                .get(i - 1)
                .or(answers.last())
                .cloned()
                .unwrap_or(Conduct::Answer(Reply::text(500, "unexpected request")));
            at_reply_time(next)
        });
        let config = env.write_config(&profile_text(&server.url(), row, env.root()));
        set_mode(&config, 0o600);
        write_script(&env, &format!("printf '%s' {SOURCED_SECRET}"));
        env.write_file("secret.txt", &format!("{SOURCED_SECRET}\n"));
        World {
            env,
            server,
            elsewhere,
            config,
        }
    }

    fn cmd(&self, args: &[&str], limit: Duration) -> assert_cmd::Command {
        let mut cmd = self.env.bare_cmd();
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .env(SECRET_ENV, SOURCED_SECRET)
            .timeout(limit);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args, QUICK).output().expect("run gettoken")
    }

    fn entry(&self) -> PathBuf {
        self.env.file_cache_entry(PROFILE)
    }

    /// Replaces `{config}`, `{url}`, `{port}`, `{root}` and `{secret}`.
    fn fill(&self, text: &str) -> String {
        text.replace("{config}", &self.config.display().to_string())
            .replace("{url}", &self.server.url())
            .replace("{port}", &self.server.port().to_string())
            .replace("{root}", &self.env.root().display().to_string())
            .replace("{secret}", CLIENT_SECRET)
    }
}

/// Seeds, breaks, runs and checks one row, once.
fn run_row(row: &Row, verbose: bool) {
    let mut world = World::new(row);
    let label = if verbose { "with -v" } else { "plain" };

    // The seed: a real fetch, so the entry is the real record.
    let seeded = world.run(&[PROFILE]);
    assert_stdout(&seeded, &format!("{SEED_TOKEN}\n"));
    let seeded = Some(std::fs::read(world.entry()).expect("the seeded cache entry"));
    if matches!(row.endpoint, Endpoint::Refused) {
        world.server.close();
    }
    let mut unset_env = false;
    match &row.twist {
        Twist::None => {}
        Twist::ProfileLine(line) => {
            let text = std::fs::read_to_string(&world.config).unwrap();
            std::fs::write(&world.config, format!("{text}{line}\n")).unwrap();
        }
        Twist::ConfigText(text) => std::fs::write(&world.config, world.fill(text)).unwrap(),
        Twist::ConfigBytes(bytes) => std::fs::write(&world.config, bytes).unwrap(),
        Twist::ConfigDir => {
            std::fs::remove_file(&world.config).unwrap();
            std::fs::create_dir(&world.config).unwrap();
        }
        Twist::SecretScript(body) => write_script(&world.env, body),
        Twist::SecretEnvUnset => unset_env = true,
        Twist::SecretFileDir => {
            let path = world.env.root().join("secret.txt");
            std::fs::remove_file(&path).unwrap();
            std::fs::create_dir(&path).unwrap();
        }
        Twist::CacheEntry(bytes) => std::fs::write(world.entry(), bytes).unwrap(),
        Twist::ConfigReplace(from, to) => {
            let text = std::fs::read_to_string(&world.config).unwrap();
            let from = world.fill(from);
            assert!(text.contains(&from), "no {from:?} in the profile");
            std::fs::write(&world.config, text.replace(&from, &world.fill(to))).unwrap();
        }
        Twist::SecretEnvValue(_) => {}
        Twist::SecretFileText(text) => {
            std::fs::write(world.env.root().join("secret.txt"), text).unwrap();
        }
        Twist::Special(place, special) => {
            let path = match place {
                Place::Config => world.config.clone(),
                Place::SecretFile => world.env.root().join("secret.txt"),
                Place::CacheEntry => world.entry(),
                Place::CaFile => {
                    let path = world.env.root().join("ca.pem");
                    let text = std::fs::read_to_string(&world.config).unwrap();
                    // Before `extra`, which may open a sub-table.
                    let text = text.replacen(
                        "cache = \"file\"\n",
                        &format!("cache = \"file\"\nca_file = {}\n", json!(path)),
                        1,
                    );
                    std::fs::write(&world.config, text).unwrap();
                    path
                }
            };
            make_special(&path, *special);
        }
    }
    // (Reading a special cache entry would block or fill memory.)
    let before_run = match row.twist {
        Twist::Special(Place::CacheEntry, _) => None,
        _ => std::fs::read(world.entry()).ok(),
    };
    let requests_before = world.server.count();

    // The run, killed (and so failed) if it outlives its bound.
    let mut args = vec![PROFILE];
    if row.seed == Seed::Fresh {
        args.push("--force");
    }
    if verbose {
        args.push("-v");
    }
    let mut cmd = world.cmd(&args, row.within + Duration::from_secs(5));
    if unset_env {
        cmd.env_remove(SECRET_ENV);
    }
    if let Twist::SecretEnvValue(value) = row.twist {
        cmd.env(SECRET_ENV, value);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run gettoken");
    let took = started.elapsed();
    let err = stderr(&out);
    let context = format!("run {label}, took {took:?}\n--- stderr ---\n{err}");

    assert!(
        took < row.within,
        "over its bound of {:?}: {context}",
        row.within
    );
    assert!(!err.contains("panicked"), "a panic: {context}");
    if row.code == 0 {
        assert_token_only_on_stdout(&out, NEW_TOKEN);
    } else {
        assert_failed_with(&out, row.code);
        assert!(
            err.contains("gettoken: error: "),
            "no error line: {context}"
        );
    }
    for fragment in &row.says {
        let fragment = world.fill(fragment);
        assert!(
            err.contains(&fragment),
            "stderr lacks {fragment:?}: {context}"
        );
    }
    let error_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("gettoken: error: "))
        .collect();
    for fragment in &row.never_says {
        assert!(
            !error_lines.iter().any(|l| l.contains(fragment)),
            "the error has {fragment:?}: {context}"
        );
    }
    // Nothing from outside drives the terminal: no control character but
    // the line break, no bidi or invisible format character.
    let unsafe_char = err.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    });
    assert_eq!(
        unsafe_char, None,
        "an unescaped character on stderr: {context:?}"
    );
    let mut secrets = vec![
        CLIENT_SECRET.to_string(),
        SOURCED_SECRET.to_string(),
        basic_credentials_b64(CLIENT_ID, CLIENT_SECRET),
        basic_credentials_b64(CLIENT_ID, SOURCED_SECRET),
        SEED_TOKEN.to_string(),
        SEED_REFRESH.to_string(),
        NEW_REFRESH.to_string(),
        OTHER_SECRET.to_string(),
        basic_credentials_b64(CLIENT_ID, OTHER_SECRET),
        // What a failing secret command printed on stdout is secret too.
        "partial-output".to_string(),
    ];
    if row.code != 0 {
        secrets.push(NEW_TOKEN.to_string());
    }
    assert_no_leak(
        &out,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let requests = world.server.requests()[requests_before..].to_vec();
    assert_eq!(
        requests.len(),
        row.requests,
        "requests during the run: {requests:#?}\n{context}"
    );
    assert!(
        requests.iter().all(|r| r.path() == "/token"),
        "{requests:#?}"
    );
    if let Some(gap) = row.gap {
        let waited = requests[1].at.duration_since(requests[0].at);
        assert!(
            waited >= gap,
            "waited {waited:?} between tries, not {gap:?}: {context}"
        );
    }
    if let Some(elsewhere) = &world.elsewhere {
        assert_eq!(elsewhere.count(), 0, "the redirect target got a request");
    }

    // The cache entry afterwards.
    match row.after {
        After::Untouched => {
            assert_eq!(
                std::fs::read(world.entry()).ok(),
                before_run,
                "the cache entry changed: {context}"
            );
            assert_eq!(before_run, seeded, "(the twist left the entry alone)");
            if row.seed == Seed::Fresh && row.twist.keeps_the_profile() {
                // The fresh token is still served, without a request.
                let count = world.server.count();
                assert_stdout(&world.run(&[PROFILE]), &format!("{SEED_TOKEN}\n"));
                assert_eq!(world.server.count(), count);
            }
        }
        After::Cached | After::Refetch => {
            let record = read_record(&world.entry(), &context);
            assert_eq!(record["access_token"], NEW_TOKEN, "{record}\n{context}");
            let count = world.server.count();
            // In the run's environment (a changed secret stays changed).
            let mut again = world.cmd(&[PROFILE], QUICK);
            if let Twist::SecretEnvValue(value) = row.twist {
                again.env(SECRET_ENV, value);
            }
            let next = again.output().expect("run gettoken");
            assert_token_only_on_stdout(&next, NEW_TOKEN);
            let fetched = world.server.count() - count;
            let expected = usize::from(row.after == After::Refetch);
            assert_eq!(fetched, expected, "requests of the next call: {context}");
        }
    }
}

impl Twist {
    /// Whether the run uses the seed's profile as it was.
    fn keeps_the_profile(&self) -> bool {
        !matches!(
            self,
            Twist::ProfileLine(_)
                | Twist::ConfigText(_)
                | Twist::ConfigBytes(_)
                | Twist::ConfigDir
                | Twist::Special(Place::Config | Place::CaFile, _)
                | Twist::ConfigReplace(..)
        )
    }
}

/// The cache entry as a whole, current record in a private file, with no
/// temporary file left beside it.
fn read_record(entry: &Path, context: &str) -> Value {
    use std::os::unix::fs::PermissionsExt as _;
    let bytes = std::fs::read(entry).unwrap_or_else(|e| panic!("no cache entry ({e}): {context}"));
    let record: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("the cache entry is not JSON ({e}): {context}"));
    assert_eq!(record["v"], 1, "{record}");
    let expires_at = record["expires_at"].as_i64().expect("expires_at");
    assert!(
        expires_at <= now_unix() + 10 * 365 * 86_400 + 60,
        "an expiry past ten years: {record}"
    );
    let mode = std::fs::metadata(entry).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the cache entry's mode");
    let dir = entry.parent().unwrap();
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "only the entry in {}: {names:?}",
        dir.display()
    );
    record
}

// ---- rows with their own set-up ------------------------------------------------

/// A `cache = "file"` profile for a server at `url`, tokens stale below
/// `min_ttl`.
fn plain_profile(url: &str, min_ttl: &str, extra: &str) -> String {
    format!(
        "[profiles.{PROFILE}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\n\
         client_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\ncache = \"file\"\n\
         min_ttl = \"{min_ttl}\"\ntimeout = \"2s\"\nretries = 0\n{extra}\n"
    )
}

/// TLS with an unknown CA fails; the same endpoint with `ca_file` passes.
/// (`ca_file` is not part of the cache's fingerprint: the entry seeded with
/// it is the one the run without it must leave alone.)
#[test]
fn tls_with_an_unknown_ca_then_with_ca_file() {
    for verbose in [false, true] {
        let server = crate::tls::start(8);
        let env = Env::new();
        let url = format!("https://127.0.0.1:{}", server.port);
        let ca = env.write_file("ca.pem", &server.ca_pem);
        // tls-token-N lasts 60 s: below min_ttl, so every call fetches.
        let with_ca = plain_profile(&url, "120s", &format!("ca_file = {}", json!(ca)));
        let without_ca = plain_profile(&url, "120s", "");
        let config = env.write_profiles_mode(&with_ca, 0o600);
        let run = |args: &[&str]| {
            let mut all = vec!["--config", config.to_str().unwrap(), PROFILE];
            all.extend_from_slice(args);
            if verbose {
                all.push("-v");
            }
            let started = Instant::now();
            let out = env.bare_cmd().args(&all).timeout(QUICK).output().unwrap();
            assert!(started.elapsed() < QUICK);
            out
        };
        assert_token_only_on_stdout(&run(&[]), "tls-token-0");
        let entry = env.file_cache_entry(PROFILE);
        let seeded = std::fs::read(&entry).unwrap();

        env.write_profiles_mode(&without_ca, 0o600);
        let refused = run(&[]);
        assert_failed_with(&refused, 4);
        assert_stderr_contains_ci(&refused, "certificate");
        assert_stderr_contains(&refused, &format!("127.0.0.1:{}", server.port));
        assert_no_leak(&refused, &[CLIENT_SECRET, "tls-token-0"]);
        assert_eq!(server.answered(), 1, "no request got through");
        assert_eq!(std::fs::read(&entry).unwrap(), seeded, "cache untouched");

        env.write_profiles_mode(&with_ca, 0o600);
        let admitted = run(&[]);
        assert_token_only_on_stdout(&admitted, "tls-token-1");
        assert_no_leak(&admitted, &[CLIENT_SECRET, "tls-token-0"]);
        assert_eq!(read_record(&entry, "")["access_token"], "tls-token-1");
    }
}

/// A lock holder killed with SIGKILL: the next call is not blocked, fetches,
/// and replaces the cache entry.
#[test]
fn a_lock_held_by_a_process_killed_with_sigkill() {
    let env = Env::new();
    // The holder's request is never answered: it holds the lock till killed.
    let server = RawServer::start(|_, i| {
        if i == 0 {
            return Conduct::Silent;
        }
        Conduct::Answer(Reply::json(
            200,
            json!({"access_token": format!("{NEW_TOKEN}-{i}"), "expires_in": 3600,
                   "refresh_token": NEW_REFRESH}),
        ))
    });
    let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
    let mut holder = Command::new(crate::util::gettoken_bin());
    env.isolate_std(&mut holder);
    let mut holder = holder
        .arg("--config")
        .arg(&config)
        .arg(PROFILE)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.count() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first process never sent its request"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let lock = env
        .root()
        .join("runtime/gettoken")
        .join(format!("{PROFILE}.lock"));
    assert!(lock.exists(), "{} is held", lock.display());
    // It holds the lock now, waiting for its reply.
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    let started = Instant::now();
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&config)
        .args([PROFILE, "-v"])
        .timeout(QUICK)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_no_leak(&out, &[CLIENT_SECRET, NEW_REFRESH]);
    let record = read_record(&env.file_cache_entry(PROFILE), "");
    assert_eq!(record["access_token"], format!("{NEW_TOKEN}-1"));
    assert_eq!(server.count(), 2);
}

/// stdout closed after one byte (`gettoken p | head -c1`): the run ends
/// quietly with status 0, and the token is cached whole.
#[test]
fn stdout_closed_early() {
    let long_token = format!("{NEW_TOKEN}-{}", "x".repeat(200_000));
    for verbose in [false, true] {
        let env = Env::new();
        let server = Server::json(
            200,
            json!({"access_token": long_token, "expires_in": 3600, "refresh_token": NEW_REFRESH}),
        );
        let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
        let mut cmd = Command::new(crate::util::gettoken_bin());
        env.isolate_std(&mut cmd);
        cmd.arg("--config").arg(&config).arg(PROFILE);
        if verbose {
            cmd.arg("-v");
        }
        let started = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `head -c1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        std::io::Read::read_exact(&mut stdout, &mut one).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert_no_leak(&out, &[CLIENT_SECRET, NEW_REFRESH, &long_token[..40]]);
        let record = read_record(&env.file_cache_entry(PROFILE), &err);
        assert_eq!(record["access_token"], long_token.as_str());
    }
}

/// gnome-keyring running but locked: opening works, writing does not.
/// gettoken falls back to the kernel keyring, never fails, says so with
/// `-v`, and prints no secret. Uses a Secret Service of its own (locking
/// the shared one would disturb the other tests): scripts/test-env.sh
/// started anew, then locked.
#[test]
fn a_locked_secret_service() {
    if secret_service_bus().is_none() {
        return;
    }
    let env = Env::new();
    let server = Server::counting(|i| {
        json!({"access_token": format!("{NEW_TOKEN}-{i}"), "expires_in": 3600,
               "refresh_token": NEW_REFRESH})
    });
    let name = unique("locked");
    let config = env.write_profiles_mode(
        &plain_profile(&server.url(), "60s", "cache = \"keyring\"")
            .replace("cache = \"file\"\n", "")
            .replace(
                &format!("[profiles.{PROFILE}]"),
                &format!("[profiles.{name}]"),
            ),
        0o600,
    );
    let script = r#"
        dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 97
        secret-tool store --label=x probe locked <<< "x" 2>/dev/null && { echo "the collection is not locked" >&2; exit 98; }
        "$GT" --config "$CFG" "$NAME" -v || exit 90
        "$GT" --config "$CFG" "$NAME" || exit 91
        "$GT" --config "$CFG" forget "$NAME" || exit 92
    "#;
    let mut cmd = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-env.sh"));
    env.isolate_std(&mut cmd);
    let started = Instant::now();
    let out = cmd
        .args(["bash", "-c", script])
        .env_remove("GETTOKEN_TEST_DBUS")
        .env_remove("GETTOKEN_TEST_SECRET_SERVICE")
        .env("GT", crate::util::gettoken_bin())
        .env("CFG", &config)
        .env("NAME", &name)
        .stdin(Stdio::null())
        .output()
        .expect("scripts/test-env.sh");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    let token = format!("{NEW_TOKEN}-0");
    assert_eq!(stdout(&out), format!("{token}\n{token}\n"), "{text}");
    assert!(
        text.contains("failed its probe") && text.contains("cached in the kernel keyring"),
        "{text}"
    );
    // The light client's write leaves a locked collection to the full one.
    assert!(
        text.contains("quick write: the default collection is locked; asking the full client"),
        "{text}"
    );
    assert!(!stderr(&out).contains(&token), "{text}");
    assert!(
        !text.contains(CLIENT_SECRET) && !text.contains(NEW_REFRESH),
        "{text}"
    );
    assert_eq!(
        server.count(),
        1,
        "the kernel keyring served the second call"
    );
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
}

// ---- hardening: text from outside, replies, the header line ----------------

/// Whether `text` holds a character that would drive a terminal.
fn has_unsafe_char(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    })
}

/// A cached record whose token type or token was altered (a header line
/// break, a bidi override) is not printed: it counts as damaged, and a new
/// token is fetched and cached in its place.
#[test]
fn a_cached_record_is_checked_again_before_printing() {
    let altered: [(&str, Value); 3] = [
        ("token_type", json!("Bearer\r\nX-Injected: 1")),
        ("token_type", json!("Bearer x")),
        ("access_token", json!(format!("{SEED_TOKEN}\u{202E}"))),
    ];
    for verbose in [false, true] {
        for (key, value) in &altered {
            let server = Server::start(|_, i| {
                Reply::json(
                    200,
                    json!({"access_token": format!("fault-cached-{i}"), "token_type": "Bearer",
                           "expires_in": 3600}),
                )
            });
            let env = Env::new();
            let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
            let run = || {
                let mut args = vec!["--config", config.to_str().unwrap(), PROFILE];
                args.extend(["--format", "header"]);
                if verbose {
                    args.push("-v");
                }
                let started = Instant::now();
                let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
                assert!(started.elapsed() < QUICK);
                out
            };
            assert_stdout(&run(), "Authorization: Bearer fault-cached-0\n");
            let entry = env.file_cache_entry(PROFILE);
            let mut record: Value =
                serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
            record[*key] = value.clone();
            std::fs::write(&entry, record.to_string()).unwrap();

            let out = run();
            let context = format!("{key} = {value}, verbose {verbose}: {out:?}");
            assert_code(&out, 0);
            assert_stdout(&out, "Authorization: Bearer fault-cached-1\n");
            assert!(!has_unsafe_char(&stderr(&out)), "{context}");
            assert_no_leak(&out, &[CLIENT_SECRET, "X-Injected", "fault-cached-0"]);
            assert_eq!(
                server.count(),
                2,
                "the damaged record is fetched anew: {context}"
            );
            let record = read_record(&entry, &context);
            assert_eq!(record["access_token"], "fault-cached-1", "{context}");
        }
    }
}

/// `show` prints a JWT's claims, the scope and the token type with control,
/// bidi and invisible characters escaped.
#[test]
fn show_escapes_text_from_the_endpoint() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = json!({"sub": "svc\u{202E}gpj.exe", "name": "a\u{9b}31mb\u{7f}",
                        "note": "\u{1b}]0;pwned\u{7}", "exp": now_unix() + 3600});
    let token = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"none"}"#),
        b64(&claims.to_string())
    );
    let server = Server::always(Reply::json(
        200,
        json!({"access_token": token, "expires_in": 3600, "scope": "read\u{7f} wr\u{200B}ite"}),
    ));
    let env = Env::new();
    let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
    let cfg = config.to_str().unwrap();
    assert_token_only_on_stdout(
        &env.bare_cmd()
            .args(["--config", cfg, PROFILE])
            .timeout(QUICK)
            .output()
            .unwrap(),
        &token,
    );
    for verbose in [false, true] {
        let mut args = vec!["--config", cfg, "show", PROFILE];
        if verbose {
            args.push("-v");
        }
        let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
        assert_code(&out, 0);
        let text = stdout(&out);
        assert!(!has_unsafe_char(&text), "{text:?}");
        assert!(!has_unsafe_char(&stderr(&out)), "{out:?}");
        for shown in [
            "svc\\u{202e}gpj.exe",
            "a\\u{9b}31mb\\u{7f}",
            "read\\u{7f} wr\\u{200b}ite",
        ] {
            assert!(text.contains(shown), "lacks {shown}: {text}");
        }
        assert_eq!(server.count(), 1, "show fetches nothing");
    }
}

/// A private key that is not a key: a config error that names the profile
/// once.
#[test]
fn a_bad_private_key_names_the_profile_once() {
    let server = Server::always(Reply::json(200, json!({"access_token": "unused"})));
    let env = Env::new();
    let text = format!(
        "[profiles.{PROFILE}]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\n\
         client_id = \"{CLIENT_ID}\"\nclient_auth = \"private_key_jwt\"\n\
         private_key = \"not a pem key\"\ncache = \"file\"\ntimeout = \"2s\"\nretries = 0\n",
        server.url()
    );
    let config = env.write_profiles_mode(&text, 0o600);
    for verbose in [false, true] {
        let mut args = vec!["--config", config.to_str().unwrap(), PROFILE];
        if verbose {
            args.push("-v");
        }
        let started = Instant::now();
        let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
        assert!(started.elapsed() < QUICK);
        assert_failed_with(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("`private_key`"), "{err}");
        assert_eq!(err.matches("profile `fault`").count(), 1, "{err}");
        assert_no_leak(&out, &["not a pem key"]);
        assert_eq!(server.count(), 0);
        assert!(!env.file_cache_entry(PROFILE).exists());
    }
}

// ---- hardening: leaks, proxies, aborts and the browser listener ----------------

/// Every spelling of `secret` a request or a message could carry it in:
/// raw, form-encoded, percent-encoded (upper and lower hex), JSON-escaped,
/// base64 standard and URL-safe, with and without padding.
fn encoded_forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms = vec![secret.to_string(), form_encode(secret)];
    for upper in [true, false] {
        let percent: String = secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ if upper => format!("%{b:02X}"),
                _ => format!("%{b:02x}"),
            })
            .collect();
        forms.push(percent);
    }
    let json = serde_json::to_string(secret).unwrap();
    forms.push(json[1..json.len() - 1].to_string());
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        forms.push(engine.encode(secret));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Neither stdout nor stderr holds any of `secrets` in any spelling of
/// [`encoded_forms`], nor the base64 of `id:secret` as HTTP Basic sends it.
fn assert_no_encoded_leak(out: &Output, id: &str, secrets: &[&str]) {
    let text = format!("{}\n{}", stdout(out), stderr(out));
    for secret in secrets {
        let mut forms = encoded_forms(secret);
        let pair = format!("{}:{}", form_encode(id), form_encode(secret));
        for form in encoded_forms(&pair) {
            forms.push(form);
        }
        for form in forms {
            assert!(
                !text.contains(&form),
                "{secret:?} leaked as {form:?}:\n{text}"
            );
        }
    }
}

/// A proxy set in every variable a client reads: a token endpoint on
/// 127.0.0.1 over plain http is reached directly, and the proxy gets
/// nothing (it would carry the plain-http credentials off the machine).
#[test]
fn a_loopback_endpoint_never_goes_through_a_proxy() {
    for verbose in [false, true] {
        let env = Env::new();
        let server = Server::always(Reply::json(
            200,
            json!({"access_token": NEW_TOKEN, "expires_in": 3600, "refresh_token": NEW_REFRESH}),
        ));
        let proxy = Server::always(Reply::json(
            200,
            json!({"access_token": "fault-via-the-proxy", "expires_in": 3600}),
        ));
        let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
        let mut args = vec!["--config", config.to_str().unwrap(), PROFILE];
        if verbose {
            args.push("-v");
        }
        let mut cmd = env.bare_cmd();
        cmd.args(&args).timeout(QUICK);
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "HTTPS_PROXY",
        ] {
            cmd.env(var, proxy.url());
        }
        cmd.env("NO_PROXY", "").env("no_proxy", "");
        let started = Instant::now();
        let out = cmd.output().unwrap();
        assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
        assert_eq!(
            proxy.count(),
            0,
            "the proxy was contacted: {}",
            stderr(&out)
        );
        assert_token_only_on_stdout(&out, NEW_TOKEN);
        assert_eq!(server.count(), 1);
        assert_no_encoded_leak(&out, CLIENT_ID, &[CLIENT_SECRET, NEW_REFRESH]);
        let record = read_record(&env.file_cache_entry(PROFILE), &stderr(&out));
        assert_eq!(record["access_token"], NEW_TOKEN);
    }
}

/// Absurd durations on the command line and in `config check`: refused,
/// naming the key, and nothing is fetched.
#[test]
fn absurd_durations_are_refused_by_config_check_and_on_the_command_line() {
    let env = Env::new();
    let server = Server::always(Reply::json(200, json!({"access_token": NEW_TOKEN})));
    // One absurd key per profile: `config check` reports each profile.
    let base = plain_profile(&server.url(), "60s", "");
    let text = [
        base.replace("timeout = \"2s\"", "timeout = \"200000000000000d\""),
        base.replace("min_ttl = \"60s\"", "min_ttl = \"99999999999d\""),
        base.clone() + "login_timeout = \"200000000000000d\"\n",
        base.clone() + "[profiles.fault.response]\nlifetime = \"18446744073709551615s\"\n",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| p.replace("[profiles.fault", &format!("[profiles.fault{i}")))
    .collect::<Vec<_>>()
    .join("\n");
    let config = env.write_profiles_mode(&text, 0o600);
    for verbose in [false, true] {
        let mut args = vec!["--config", config.to_str().unwrap(), "config", "check"];
        if verbose {
            args.push("-v");
        }
        let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
        assert_failed_with(&out, 2);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        for key in [
            "`timeout`",
            "`min_ttl`",
            "`login_timeout`",
            "`response.lifetime`",
        ] {
            assert!(
                err.lines()
                    .any(|l| l.contains(key) && l.contains("too large")),
                "{key} is not named as too large: {err}"
            );
        }
        assert_no_encoded_leak(&out, CLIENT_ID, &[CLIENT_SECRET]);
    }
    let good = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
    for verbose in [false, true] {
        let mut args = vec![
            "--config",
            good.to_str().unwrap(),
            PROFILE,
            "--min-ttl",
            "200000000000000d",
        ];
        if verbose {
            args.push("-v");
        }
        let started = Instant::now();
        let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
        assert!(started.elapsed() < QUICK);
        assert_failed_with(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("--min-ttl") && err.contains("too large"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_no_encoded_leak(&out, CLIENT_ID, &[CLIENT_SECRET]);
    }
    assert_eq!(server.count(), 0, "nothing is fetched");
    assert!(!env.file_cache_entry(PROFILE).exists(), "nothing is cached");
}

/// gettoken is not dumpable: its secret command (a child, so `$PPID` is
/// gettoken, still running) cannot read gettoken's `/proc/<pid>/environ`,
/// which holds the secret's variable. A dumpable process's is readable by
/// its own user; a non-dumpable one's files belong to root. Root reads
/// everything, so when the suite runs as root gettoken runs as `nobody`.
#[test]
fn gettoken_is_not_dumpable() {
    let env = Env::new();
    let root_runs = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let server = Server::always(Reply::json(
        200,
        json!({"access_token": NEW_TOKEN, "expires_in": 3600}),
    ));
    let probe = env.root().join("probe");
    let script = env.write_file(
        "secret.sh",
        &format!(
            "#!/bin/sh\nif cat /proc/$PPID/environ >/dev/null 2>&1; then echo readable; else echo unreadable; fi > {}\nprintf '%s' {SOURCED_SECRET}\n",
            probe.display()
        ),
    );
    set_mode(&script, 0o755);
    let text = plain_profile(&server.url(), "60s", "").replace(
        &format!("client_secret = \"{CLIENT_SECRET}\""),
        &format!("client_secret = {{ command = [{}] }}", json!(script)),
    );
    let config = env.write_profiles_mode(&text, 0o600);
    let mut cmd = if root_runs {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(crate::util::gettoken_bin());
        c
    } else {
        Command::new(crate::util::gettoken_bin())
    };
    env.isolate_std(&mut cmd);
    cmd.arg("--config").arg(&config).args([PROFILE, "-v"]);
    if root_runs {
        // nobody must be able to use the environment's directories.
        let status = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(env.root())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        if !status.success() {
            // A user namespace that maps root alone (scripts/test.sh's):
            // no other uid to run as, so nothing to observe. The unit test
            // of util::no_dump still runs.
            component_missing(
                "no other uid to run as in this user namespace",
                "run scripts/test.sh as root with uidmap installed (scripts/install-deps.sh)",
            );
            return;
        }
    }
    cmd.env(SECRET_ENV, SOURCED_SECRET);
    let started = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(started.elapsed() < QUICK);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{NEW_TOKEN}\n"));
    assert_no_encoded_leak(&out, CLIENT_ID, &[SOURCED_SECRET]);
    assert_eq!(
        std::fs::read_to_string(&probe).unwrap().trim(),
        "unreadable",
        "a process of the same user read gettoken's environment"
    );
}

/// A secret that every encoding spells differently.
const ODD_SECRET: &str = "fault odd/secret+é~7";

/// Endpoints that echo the secret back in every encoding, cut a reply
/// through it, or put a token in a refused reply: no spelling of any secret
/// reaches stdout or stderr, plain or with `-v`.
#[test]
fn no_encoding_of_a_secret_is_ever_shown() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let pair = format!("{}:{}", form_encode(CLIENT_ID), form_encode(ODD_SECRET));
    let forms = encoded_forms(ODD_SECRET);
    let echo = format!(
        "{} {} {} {}",
        b64.encode(&pair),
        url_safe.encode(&pair),
        forms.join(" "),
        url_safe.encode(ODD_SECRET)
    );
    let refused_token = "fault-token-in-a-refusal-77";
    // A secret straddling each cut: the 300 characters of `-v`, and the
    // error message's 600.
    let cut_at_300 = format!("{}{ODD_SECRET}", "x".repeat(290));
    let cut_at_600 = format!("{}{ODD_SECRET}", "y".repeat(590));
    let replies = vec![
        Reply::json(
            401,
            json!({"error": "invalid_client", "error_description": echo}),
        ),
        Reply::text(200, &cut_at_300),
        Reply::text(200, &cut_at_600),
        Reply::json(
            400,
            json!({"error": "invalid_request", "Data": {"value": refused_token},
                   "error_description": format!("rejected {refused_token}")}),
        ),
    ];
    let extra = "client_auth = \"basic\"\n[profiles.fault.response]\ntoken = \"/Data/value\"";
    for (i, reply) in replies.into_iter().enumerate() {
        for verbose in [false, true] {
            let env = Env::new();
            let server = Server::always(reply.clone());
            let text = plain_profile(&server.url(), "60s", extra)
                .replace(CLIENT_SECRET, &ODD_SECRET.replace('\\', "\\\\"));
            let config = env.write_profiles_mode(&text, 0o600);
            let mut args = vec!["--config", config.to_str().unwrap(), PROFILE];
            if verbose {
                args.push("-v");
            }
            let started = Instant::now();
            let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
            assert!(started.elapsed() < QUICK);
            let context = format!("reply {i}, verbose {verbose}: {}", stderr(&out));
            assert!(
                out.status.code().is_some_and(|c| c == 3 || c == 4),
                "{context}"
            );
            assert_eq!(stdout(&out), "", "{context}");
            assert!(!stderr(&out).contains("panicked"), "{context}");
            assert_eq!(server.count(), 1, "{context}");
            assert_no_encoded_leak(&out, CLIENT_ID, &[ODD_SECRET, refused_token]);
            // No beginning of the secret ends a cut text either.
            for line in stderr(&out).lines() {
                let line = line.trim_end_matches("...");
                for n in 5..ODD_SECRET.len() {
                    if ODD_SECRET.is_char_boundary(n) {
                        assert!(
                            !line.ends_with(&ODD_SECRET[..n]),
                            "a cut shows {:?}: {context}",
                            &ODD_SECRET[..n]
                        );
                    }
                }
            }
            assert!(!env.file_cache_entry(PROFILE).exists(), "{context}");
        }
    }
}

/// The issuer's query stays the issuer's: discovery asks for
/// `PATH/.well-known/openid-configuration?QUERY`, and shows no query.
#[test]
fn discovery_appends_the_well_known_path_to_the_issuer_s_path() {
    for verbose in [false, true] {
        let env = Env::new();
        let server = Server::always(Reply::json(404, json!({"error": "not here"})));
        let issuer = format!("{}/tenant?api-key=fault-issuer-key-3e4f", server.url());
        let text = format!(
            "[profiles.{PROFILE}]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\n\
             client_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\ncache = \"file\"\n\
             timeout = \"2s\"\nretries = 0\n"
        );
        let config = env.write_profiles_mode(&text, 0o600);
        let mut args = vec!["--config", config.to_str().unwrap(), PROFILE];
        if verbose {
            args.push("-v");
        }
        let out = env.bare_cmd().args(&args).timeout(QUICK).output().unwrap();
        assert_failed_with(&out, 4);
        let request = server.only_request();
        assert_eq!(request.path(), "/tenant/.well-known/openid-configuration");
        assert_eq!(request.raw_query(), Some("api-key=fault-issuer-key-3e4f"));
        assert_stderr_contains(&out, "/tenant/.well-known/openid-configuration");
        assert_no_encoded_leak(&out, CLIENT_ID, &[CLIENT_SECRET, "fault-issuer-key-3e4f"]);
    }
}

// ---- hardening: directories, files and stored records ----

/// The uid of "another user" (nobody).
const OTHER_UID: u32 = 65534;

/// A `cache = "file"` profile for a server that hands out
/// `fault-new-token-4e5f-N`, for an hour, with its first token cached.
fn seeded_file_cache() -> (Env, Server, PathBuf) {
    let env = Env::new();
    let server = Server::counting(|i| {
        json!({"access_token": format!("{NEW_TOKEN}-{i}"), "expires_in": 3600,
               "refresh_token": NEW_REFRESH})
    });
    let config = env.write_profiles_mode(&plain_profile(&server.url(), "60s", ""), 0o600);
    let out = run_config_quickly(&env, &config, &[PROFILE]);
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-0"));
    (env, server, config)
}

/// One run with the profiles file `config`, failed if it takes longer
/// than QUICK.
fn run_config_quickly(env: &Env, config: &Path, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(config)
        .args(args)
        .timeout(QUICK)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(took < QUICK, "took {took:?}: {}", stderr(&out));
    out
}

/// Gives `path` to `uid`; false (and a note) where that uid does not exist,
/// as in the user namespace of scripts/test.sh, which maps only the
/// current user (there the unit tests of the ownership checks stand in).
fn chown(path: &Path, uid: u32) -> bool {
    match std::os::unix::fs::lchown(path, Some(uid), Some(uid)) {
        Ok(()) => true,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            component_missing(
                &format!("uid {uid} is not mapped in this user namespace"),
                "run scripts/test.sh as root with uidmap installed (scripts/install-deps.sh)",
            );
            false
        }
        Err(e) => panic!("chown {}: {e}", path.display()),
    }
}

/// A cache entry that is not a private regular file of this user's (group
/// or world readable, another user's, a symbolic link to a record planted
/// elsewhere) is never served: gettoken warns naming it, fetches, and puts
/// its own entry in its place; the link's target is untouched.
#[test]
fn a_cache_entry_not_private_or_not_ours_is_not_served() {
    for twist in ["mode 0644", "another user's", "a symbolic link"] {
        for verbose in [false, true] {
            let (env, server, config) = seeded_file_cache();
            let entry = env.file_cache_entry(PROFILE);
            let planted = env.root().join("planted.json");
            std::fs::copy(&entry, &planted).unwrap();
            let planted_bytes = std::fs::read(&planted).unwrap();
            match twist {
                "mode 0644" => set_mode(&entry, 0o644),
                "another user's" => {
                    if !chown(&entry, OTHER_UID) {
                        continue;
                    }
                }
                _ => {
                    std::fs::remove_file(&entry).unwrap();
                    std::os::unix::fs::symlink(&planted, &entry).unwrap();
                }
            }
            let mut args = vec![PROFILE];
            if verbose {
                args.push("-v");
            }
            let out = run_config_quickly(&env, &config, &args);
            let context = format!("{twist}, verbose {verbose}: {}", stderr(&out));
            assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
            assert_stderr_contains(&out, "gettoken: warning: ");
            assert_stderr_contains(&out, &entry.display().to_string());
            assert_no_leak(
                &out,
                &[CLIENT_SECRET, NEW_REFRESH, &format!("{NEW_TOKEN}-0")],
            );
            assert_eq!(server.count(), 2, "{context}");
            assert_eq!(std::fs::read(&planted).unwrap(), planted_bytes, "{context}");
            let record = read_record(&entry, &context);
            assert_eq!(record["access_token"], format!("{NEW_TOKEN}-1"));
            assert!(!std::fs::symlink_metadata(&entry).unwrap().is_symlink());
        }
    }
}

/// A cache directory others may write to, or another user's, is not used:
/// its entry is not served, nothing is written there, and the warning names
/// the directory.
#[test]
fn a_cache_dir_others_may_write_is_not_used() {
    for twist in ["mode 0777", "another user's"] {
        let (env, server, config) = seeded_file_cache();
        let dir = env.root().join("cache/gettoken");
        let entry = env.file_cache_entry(PROFILE);
        let seeded = std::fs::read(&entry).unwrap();
        match twist {
            "mode 0777" => set_mode(&dir, 0o777),
            _ => {
                if !chown(&dir, OTHER_UID) {
                    continue;
                }
            }
        }
        let out = run_config_quickly(&env, &config, &[PROFILE]);
        let context = format!("{twist}: {}", stderr(&out));
        assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
        assert_stderr_contains(&out, "gettoken: warning: ");
        assert_stderr_contains(&out, &dir.display().to_string());
        assert_no_leak(
            &out,
            &[CLIENT_SECRET, NEW_REFRESH, &format!("{NEW_TOKEN}-0")],
        );
        assert_eq!(server.count(), 2, "{context}");
        assert_eq!(std::fs::read(&entry).unwrap(), seeded, "{context}");
    }
}

/// Holds an exclusive lock on a lock file of another user's (where there
/// is another user, else of this one's), as that user's gettoken would.
fn foreign_lock(path: &Path) -> (std::fs::File, bool) {
    let file = std::fs::File::create(path).unwrap();
    let foreign = chown(path, OTHER_UID);
    file.lock().unwrap();
    (file, foreign)
}

/// A lock directory others may write to is not used (gettoken takes its
/// lock in the private fallback instead, and says so): a lock another user
/// holds there is not waited on.
#[test]
fn a_lock_dir_others_may_write_is_not_used() {
    let (env, server, config) = seeded_file_cache();
    let dir = env.root().join("runtime/gettoken");
    set_mode(&dir, 0o777);
    let _held = foreign_lock(&dir.join(format!("{PROFILE}.lock")));
    // (Held by this user where there is no other: not waited on all the
    // same, as the directory is not used.)
    let out = run_config_quickly(&env, &config, &[PROFILE, "--force"]);
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
    assert_stderr_contains(&out, "gettoken: warning: ");
    assert_stderr_contains(&out, &dir.display().to_string());
    assert_no_leak(&out, &[CLIENT_SECRET, NEW_REFRESH]);
    assert_eq!(server.count(), 2);
    let fallback = env.root().join("cache/gettoken/locks");
    assert!(
        fallback.join(format!("{PROFILE}.lock")).exists(),
        "the lock was taken in {}",
        fallback.display()
    );
}

/// A lock file of another user's, held by that user's process, is not
/// waited on: gettoken says so and fetches.
#[test]
fn a_lock_held_by_another_user_is_not_waited_on() {
    let (env, server, config) = seeded_file_cache();
    let lock = env
        .root()
        .join("runtime/gettoken")
        .join(format!("{PROFILE}.lock"));
    std::fs::remove_file(&lock).unwrap();
    let (_held, foreign) = foreign_lock(&lock);
    if !foreign {
        return;
    }
    let out = run_config_quickly(&env, &config, &[PROFILE, "--force"]);
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
    assert_stderr_contains(&out, "gettoken: warning: ");
    assert_stderr_contains(&out, &lock.display().to_string());
    assert_eq!(server.count(), 2);
}

/// A symbolic link planted at the lock file's path is not followed: the
/// file it points at is neither truncated nor written.
#[test]
fn a_symlink_at_the_lock_file_is_not_followed() {
    let (env, server, config) = seeded_file_cache();
    let lock = env
        .root()
        .join("runtime/gettoken")
        .join(format!("{PROFILE}.lock"));
    let victim = env.write_file("victim.txt", "precious\n");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let out = run_config_quickly(&env, &config, &[PROFILE, "--force"]);
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
    assert_stderr_contains(&out, "gettoken: warning: ");
    assert_stderr_contains(&out, &lock.display().to_string());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(server.count(), 2);
}

/// A temporary file a killed run left in the cache directory (named as
/// the fallback names them, by a process that is gone, and holding a
/// token) is removed by the next write, and `forget --all` leaves nothing
/// at all in the directory.
#[test]
fn a_temporary_file_a_killed_run_left_is_removed() {
    let (env, _server, config) = seeded_file_cache();
    let dir = env.root().join("cache/gettoken");
    // A pid above the kernel's largest pid_max: no such process.
    let stale = dir.join(format!(".token~{PROFILE}.json.4194999.tmp"));
    let plant = || {
        std::fs::write(&stale, format!("{{\"access_token\":\"{NEW_TOKEN}-0\"}}")).unwrap();
        set_mode(&stale, 0o600);
    };
    plant();
    let out = run_config_quickly(&env, &config, &[PROFILE, "--force"]);
    assert_token_only_on_stdout(&out, &format!("{NEW_TOKEN}-1"));
    assert!(!stale.exists(), "the write removed {}", stale.display());
    read_record(&env.file_cache_entry(PROFILE), &stderr(&out));

    plant();
    let out = run_config_quickly(&env, &config, &["forget", "--all"]);
    assert_code(&out, 0);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
}

/// A reply's `token_type` that is not an auth scheme a token can be used
/// with (`N_A`, `user`, a CR/LF injection) gives `Bearer`, or the profile's
/// `scheme`; no output holds a CR, LF or other control character.
#[test]
fn token_type_that_is_not_an_auth_scheme_becomes_bearer() {
    for tt in ["N_A", "user", "Bearer\r\nX-Injected: 1", "a:b", "DPoP"] {
        let server = Server::json(
            200,
            json!({"access_token": NEW_TOKEN, "token_type": tt, "expires_in": 3600}),
        );
        let env = Env::new();
        let profile = format!(
            "[profiles.tt]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n",
            server.url()
        );
        let expected = if tt == "DPoP" { "DPoP" } else { "Bearer" };
        for verbose in [false, true] {
            let mut args = vec!["tt", "--format", "header"];
            if verbose {
                args.push("-v");
            }
            let out = env.run(&profile, &args);
            assert_code(&out, 0);
            assert_stdout(&out, &format!("Authorization: {expected} {NEW_TOKEN}\n"));
            assert_no_leak(&out, &[CLIENT_SECRET]);
            // `-v` shows the reply's body, escaped: the words, never a line.
            assert!(!stdout(&out).contains("X-Injected"), "{}", stdout(&out));
            for text in [stdout(&out), stderr(&out)] {
                assert!(!text.lines().any(|l| l.starts_with("X-Injected")), "{text}");
                assert!(
                    !text
                        .trim_end_matches('\n')
                        .chars()
                        .any(|c| c.is_control() && c != '\n'),
                    "{text:?}"
                );
            }
        }
        let scheme = format!("{profile}scheme = \"Token\"\n");
        let out = env.run(&scheme, &["tt", "--format", "header"]);
        assert_stdout(&out, &format!("Authorization: Token {NEW_TOKEN}\n"));
    }
}

/// A throwaway P-256 key made for the DPoP row; used nowhere else.
const DPOP_PROFILE_LINES: &str = "dpop = true\ndpop_key = \"\"\"
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgljABGbAyPvcqfi65
W3sidE6+/Cwz8wMIhdtebWb5WIyhRANCAAS38okicax97UCGQipEKbQl2BLssnyJ
YBkmgF9QCx1qvPfvSzt9v+OJcDig6Sz4tltG/XaL1NStupeDUWgO6GVl
-----END PRIVATE KEY-----\"\"\"";
