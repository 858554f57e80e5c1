//! How token requests use HTTP: no redirects followed, a cap on the reply,
//! https required off loopback, a gettoken User-Agent.

use serde_json::json;

use crate::util::*;

fn profile(url: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret = \"rule-secret\"\nretries = 0\n{extra}\n"
    )
}

#[test]
fn a_redirect_is_not_followed_and_nothing_is_sent_there() {
    let elsewhere = Server::always(Reply::json(200, json!({"access_token": "stolen"})));
    let target = format!("{}/collect", elsewhere.url());
    let server = Server::start(move |_, _| Reply::text(302, "").with_header("Location", &target));
    let env = Env::new();
    let out = env.run(
        &profile(&format!("{}/token", server.url()), ""),
        &["p", "-v"],
    );
    assert_code(&out, 4);
    assert_stderr_contains(&out, "redirect");
    assert_eq!(
        elsewhere.count(),
        0,
        "the redirect target got no request, so no credentials"
    );
    assert_eq!(server.count(), 1);
    assert_no_leak(&out, &["rule-secret"]);
}

#[test]
fn a_reply_over_one_mib_is_refused() {
    let big = "x".repeat(2 * 1024 * 1024);
    let server = Server::always(Reply::json(200, json!({"access_token": big})));
    let env = Env::new();
    let out = env.run(&profile(&format!("{}/token", server.url()), ""), &["p"]);
    assert_code(&out, 4);
    assert_stderr_contains(&out, "larger than");
    assert!(stdout(&out).is_empty());
}

#[test]
fn plain_http_off_loopback_needs_insecure_http() {
    let env = Env::new();
    let out = env.run(&profile("http://auth.example.invalid/token", ""), &["p"]);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "insecure_http");
}

#[test]
fn requests_say_who_sends_them_and_want_json() {
    let server = Server::always(Reply::json(
        200,
        json!({"access_token": "t", "expires_in": 60}),
    ));
    let env = Env::new();
    assert_code(
        &env.run(&profile(&format!("{}/token", server.url()), ""), &["p"]),
        0,
    );
    let req = server.only_request();
    assert!(
        req.header("user-agent").unwrap().starts_with("gettoken/"),
        "{req:?}"
    );
    assert_eq!(req.header("accept"), Some("application/json"));
}
