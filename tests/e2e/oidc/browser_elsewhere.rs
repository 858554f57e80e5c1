//! The browser login where the browser is elsewhere: a `redirect_uri` with
//! its own path or on `[::1]`, paste mode (the user pastes the redirected
//! address; its `state` is checked), a `browser` command of the profile's,
//! and over SSH the URL printed, no browser started.

use super::*;
use crate::util::*;

fn profile(issuer: &str, extra: &str) -> String {
    format!(
        "[profiles.web]\nflavour = \"oauth2\"\nissuer = \"{issuer}\"\ngrant = \"authorization_code\"\nclient_id = \"browser\"\nscope = \"openid offline_access\"\ncache = \"none\"\n{extra}"
    )
}

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

/// Signs in through the listener at `redirect_uri` (`prefix`, then a port,
/// then `path`) and checks the token came.
fn signs_in_at(redirect_uri: &str, prefix: &str, path: &str) {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let config = env.write_profiles(&profile(
        &issuer,
        &format!("redirect_uri = \"{redirect_uri}\"\n"),
    ));
    let run = Running::start(&env, &config, &["web"], &[]);
    let url = authorization_url(&run, &issuer);
    let redirect = param(&url, "redirect_uri").unwrap();
    assert!(redirect.starts_with(prefix), "{redirect}");
    assert!(redirect.ends_with(path), "{redirect}");
    let mut browser = Browser::default();
    let page = browser.get(&url);
    let done = browser.sign_in(page, true);
    assert!(done.url.starts_with(&redirect), "{}", done.url);
    assert!(done.body.contains("signed in"), "{}", done.body);
    let out = run.finish();
    assert_code(&out, 0);
    assert!(!stdout(&out).trim().is_empty());
}

#[test]
fn a_redirect_uri_with_its_own_path() {
    signs_in_at(
        "http://127.0.0.1/oauth/cb",
        "http://127.0.0.1:",
        "/oauth/cb",
    );
}

#[test]
fn a_redirect_uri_on_ipv6_loopback() {
    signs_in_at("http://[::1]/callback", "http://[::1]:", "/callback");
}

#[test]
fn a_redirect_uri_elsewhere_is_refused() {
    let env = Env::new();
    let out = env.run(
        &profile(
            "https://auth.example.test",
            "redirect_uri = \"http://auth.example.test/callback\"\n",
        ),
        &["web"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(
        &out,
        "`redirect_uri` may only name host 127.0.0.1, localhost, [::1]",
    );
}

/// Paste mode: the test's browser stops at the redirect (it leads nowhere
/// on the user's machine) and the user pastes its address.
fn paste(issuer: &str, tamper: impl Fn(&str) -> String) -> Output {
    let env = Env::new();
    let config = env.write_profiles(&profile(issuer, "browser = \"paste\"\n"));
    let mut run = Running::start_typing(&env, &config, &["web"], &[]);
    let url = authorization_url(&run, issuer);
    let redirect = param(&url, "redirect_uri").unwrap();
    run.wait_for("paste prompt", |l| {
        l.contains("paste that whole address").then_some(())
    });
    let mut browser = Browser {
        stop_at: Some(redirect.clone()),
        ..Browser::default()
    };
    let page = browser.get(&url);
    let done = browser.sign_in(page, true);
    assert!(done.url.starts_with(&redirect), "{}", done.url);
    assert!(param(&done.url, "code").is_some(), "{}", done.url);
    // A line that is not the redirect is said so, and waited past.
    run.type_line("https://example.test/not-it");
    run.type_line(&tamper(&done.url));
    run.finish()
}

#[test]
fn paste_mode_takes_the_pasted_redirect() {
    let Some(issuer) = issuer() else { return };
    let out = paste(&issuer, |u| u.to_string());
    assert_code(&out, 0);
    assert_stderr_contains(&out, "that is not the address the browser was sent to");
    assert!(!stdout(&out).trim().is_empty());
}

#[test]
fn paste_mode_refuses_another_login_s_state() {
    let Some(issuer) = issuer() else { return };
    let out = paste(&issuer, |u| {
        let mut url = url::Url::parse(u).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "someone-elses".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    });
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "does not belong to this login");
    assert_eq!(stdout(&out), "");
}

/// A recording script: writes the arguments it was given to `record`.
fn recorder(env: &Env, record: &std::path::Path) -> String {
    let script = env.write_file(
        "open-url.sh",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            record.display()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script.to_str().unwrap().to_string()
}

fn wait_for_file(record: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !record.exists() {
        assert!(Instant::now() < deadline, "the browser command was not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read_to_string(record).unwrap()
}

/// The profile's `browser` command is run with the URL (at `%s`), even
/// over SSH and with no desktop; the test then plays the user with it.
#[test]
fn a_browser_command_of_the_profile_gets_the_url() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let record = env.root().join("opened");
    let script = recorder(&env, &record);
    let config = env.write_profiles(&profile(
        &issuer,
        &format!("browser = [\"{script}\", \"--new-window\", \"--url=%s\"]\n"),
    ));
    let run = Running::start(
        &env,
        &config,
        &["web"],
        &[("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")],
    );
    let printed = authorization_url(&run, &issuer);
    let given = wait_for_file(&record);
    assert_eq!(given, format!("--new-window\n--url={printed}\n"));
    let mut browser = Browser::default();
    let page = browser.get(&printed);
    let done = browser.sign_in(page, true);
    assert!(done.body.contains("signed in"), "{}", done.body);
    let out = run.finish();
    assert_code(&out, 0);
    assert_stderr_contains(&out, "a browser was opened");
}

/// Over SSH nothing is opened, not even `$BROWSER` with a display: the URL
/// is printed and the redirect still comes to the listener (a forwarded
/// port). Without a display the paste prompt is added.
#[test]
fn over_ssh_the_url_is_printed_and_no_browser_started() {
    let Some(issuer) = issuer() else { return };
    let env = Env::new();
    let record = env.root().join("opened");
    let script = recorder(&env, &record);
    let config = env.write_profiles(&profile(&issuer, ""));
    let ssh = ("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22");
    let run = Running::start(
        &env,
        &config,
        &["web"],
        &[ssh, ("DISPLAY", ":99"), ("BROWSER", &script)],
    );
    let url = authorization_url(&run, &issuer);
    let mut browser = Browser::default();
    let page = browser.get(&url);
    let done = browser.sign_in(page, true);
    assert!(done.body.contains("signed in"), "{}", done.body);
    let out = run.finish();
    assert_code(&out, 0);
    assert!(!record.exists(), "no browser over SSH");
    assert!(
        !stderr(&out).contains("a browser was opened"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("paste"), "{}", stderr(&out));

    let run = Running::start(&env, &config, &["web", "--no-cache"], &[ssh]);
    let url = authorization_url(&run, &issuer);
    run.wait_for("paste prompt", |l| {
        l.contains("paste that whole address").then_some(())
    });
    let mut browser = Browser::default();
    let page = browser.get(&url);
    browser.sign_in(page, true);
    assert_code(&run.finish(), 0);
    assert!(!record.exists(), "no browser over SSH");
}
