//! The browser login (authorization code + PKCE + loopback redirect)
//! against the real server; the test plays the browser.

use super::*;
use crate::util::*;

fn browser_profile(issuer: &str, extra: &str) -> String {
    // `cache = "file"` unless `extra` chooses.
    let cache = if extra.contains("cache =") {
        ""
    } else {
        "cache = \"file\"\n"
    };
    format!(
        "[profiles.web]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"authorization_code\"\nclient_id = \"browser\"\nscope = \"openid offline_access\"\nmin_ttl = \"5s\"\n{cache}{extra}"
    )
}

/// The authorization URL gettoken printed.
fn authorization_url(run: &Running, issuer: &str) -> String {
    let prefix = format!("{issuer}/auth?");
    run.wait_for("authorization URL", |l| {
        after(l, "")
            .filter(|u| u.starts_with(&prefix))
            .map(str::to_string)
    })
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn signing_in_brings_a_token_and_later_calls_are_silent() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&browser_profile(&issuer, ""));
    let run = Running::start(&env, &config, &["web"], &[]);
    let url = authorization_url(&run, &issuer);
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(param(&url, "code_challenge").map(|c| c.len()), Some(43));
    assert!(param(&url, "state").is_some_and(|s| s.len() >= 32));
    let redirect = param(&url, "redirect_uri").unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(redirect.ends_with("/callback"), "{redirect}");

    let mut browser = Browser::default();
    let page = browser.get(&url);
    let done = browser.sign_in(page, true);
    assert!(done.url.starts_with(&redirect), "{}", done.url);
    assert!(done.body.contains("signed in"), "{}", done.body);

    let out = run.finish();
    assert_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    assert!(!token.is_empty());
    assert!(!stderr(&out).contains(&token));
    assert!(
        !stderr(&out).contains("a browser was opened"),
        "no desktop, no browser"
    );

    let again = env
        .bare_cmd()
        .arg("--config")
        .arg(&config)
        .arg("web")
        .output()
        .unwrap();
    assert_code(&again, 0);
    assert_stdout(&again, &format!("{token}\n"));
    assert_eq!(stderr(&again), "", "a cached token is silent");
}

#[test]
fn denying_shows_a_failure_page_and_exits_3() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&browser_profile(&issuer, ""));
    let run = Running::start(&env, &config, &["web"], &[]);
    let url = authorization_url(&run, &issuer);
    let mut browser = Browser::default();
    let page = browser.get(&url);
    let done = browser.sign_in(page, false);
    assert!(done.body.contains("sign-in failed"), "{}", done.body);
    assert!(done.body.contains("access_denied"), "{}", done.body);
    let out = run.finish();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "access_denied");
    assert_stderr_contains(&out, "the user denied the request");
}

/// A redirect with another `state` (a stale tab, a forgery) is refused
/// with a page; the login goes on and the real one still succeeds.
#[test]
fn a_redirect_with_a_wrong_state_is_refused_and_the_login_goes_on() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&browser_profile(&issuer, "cache = \"none\"\n"));
    let run = Running::start(&env, &config, &["web", "-v"], &[]);
    let url = authorization_url(&run, &issuer);
    let redirect = param(&url, "redirect_uri").unwrap();
    let forged = http(
        "GET",
        &format!("{redirect}?code=forged-code&state=not-the-state"),
        &[],
        None,
    );
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("does not belong"), "{}", forged.body);
    let other = http(
        "GET",
        &redirect.replace("/callback", "/favicon.ico"),
        &[],
        None,
    );
    assert_eq!(other.status, 404);

    let mut browser = Browser::default();
    let page = browser.get(&url);
    let done = browser.sign_in(page, true);
    assert!(done.body.contains("signed in"), "{}", done.body);
    let code = param(&done.url, "code").expect("the code came back");
    let out = run.finish();
    assert_code(&out, 0);
    assert_no_leak(&out, &[&code]);
    assert_stderr_contains(&out, "another login's `state`");
    assert_stderr_contains(&out, "code_verifier=(redacted)");
    assert_stderr_contains(&out, "code=(redacted)");
}

/// With a desktop, the browser is started with the URL (`$BROWSER` here,
/// a script that records what it was given).
#[test]
fn with_a_desktop_the_browser_is_opened_and_redirect_port_is_used() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = env.write_profiles(&browser_profile(
        &issuer,
        &format!("cache = \"none\"\nredirect_port = {port}\n"),
    ));
    let record = env.root().join("browser-was-given");
    let script = env.write_file(
        "fake-browser.sh",
        &format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            record.display()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let browser_var = script.to_str().unwrap().to_string();
    let run = Running::start(
        &env,
        &config,
        &["web"],
        &[("DISPLAY", ":99"), ("BROWSER", &browser_var)],
    );
    let printed = authorization_url(&run, &issuer);
    assert_eq!(
        param(&printed, "redirect_uri"),
        Some(format!("http://127.0.0.1:{port}/callback"))
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !record.exists() {
        assert!(Instant::now() < deadline, "the browser was not started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let given = std::fs::read_to_string(&record).unwrap();
    assert_eq!(given, printed, "the browser got the URL printed");
    let mut browser = Browser::default();
    let page = browser.get(&given);
    browser.sign_in(page, true);
    let out = run.finish();
    assert_code(&out, 0);
    assert_stderr_contains(&out, "a browser was opened");
}

#[test]
fn nobody_coming_back_ends_at_login_timeout() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let started = Instant::now();
    let out = env.run(
        &browser_profile(&issuer, "login_timeout = \"2s\"\n"),
        &["web"],
    );
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "did not come back within 2s");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_redirect_port_in_use_is_a_clear_error() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let out = env.run(
        &browser_profile(&issuer, &format!("redirect_port = {port}\n")),
        &["web"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, &format!("cannot listen on 127.0.0.1:{port}"));
    assert_stderr_contains(&out, "redirect_port");
}

/// A local connection that trickles bytes cannot hold the listener past
/// `login_timeout`.
#[test]
fn a_trickling_connection_does_not_stretch_the_wait() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&browser_profile(&issuer, "login_timeout = \"3s\"\n"));
    let started = Instant::now();
    let run = Running::start(&env, &config, &["web"], &[]);
    let url = authorization_url(&run, &issuer);
    let redirect = url::Url::parse(&param(&url, "redirect_uri").unwrap()).unwrap();
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", redirect.port().unwrap())).unwrap();
    let trickler = std::thread::spawn(move || {
        for b in b"GET /callback?code=x".iter().take(10) {
            if slow.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let out = run.finish();
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "did not come back within 3s");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    trickler.join().unwrap();
}

/// Idle connections to the redirect port (a browser's preconnects, a port
/// scanner) do not delay the real redirect: the login ends as quickly as
/// without them, in plain and `-v` runs alike.
#[test]
fn idle_connections_do_not_delay_the_redirect() {
    let Some(issuer) = issuer() else { return };
    for verbose in [false, true] {
        let env = Env::new();
        let config = env.write_file("profiles.toml", &browser_profile(&issuer, ""));
        let args: &[&str] = if verbose { &["web", "-v"] } else { &["web"] };
        let run = Running::start(&env, &config, args, &[]);
        let url = authorization_url(&run, &issuer);
        let redirect = url::Url::parse(&param(&url, "redirect_uri").unwrap()).unwrap();
        let port = redirect.port().unwrap();
        let idle: Vec<std::net::TcpStream> = (0..4)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        // The listener has them all before the browser comes back.
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let mut browser = Browser::default();
        let page = browser.get(&url);
        let done = browser.sign_in(page, true);
        assert!(done.body.contains("signed in"), "{}", done.body);
        let out = run.finish();
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(4),
            "the redirect waited {took:?}"
        );
        assert_code(&out, 0);
        let token = stdout(&out).trim().to_string();
        assert!(!token.is_empty());
        assert!(!stderr(&out).contains(&token), "{}", stderr(&out));
        let entry = env.file_cache_entry("web");
        assert!(entry.exists(), "the token is cached");
        drop(idle);
    }
}
