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

/// A server that sends its headers, then one body byte every 300 ms.
fn trickling_server() -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        );
        for _ in 0..40 {
            std::thread::sleep(std::time::Duration::from_millis(300));
            if stream.write_all(b" ").is_err() {
                return;
            }
        }
    });
    (port, handle)
}

#[test]
fn a_trickling_reply_is_cut_off_at_the_timeout() {
    let (port, server) = trickling_server();
    let env = Env::new();
    let started = std::time::Instant::now();
    let out = env.run(
        &profile(
            &format!("http://127.0.0.1:{port}/token"),
            "timeout = \"2s\"",
        ),
        &["p"],
    );
    assert_code(&out, 4);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    assert_stderr_contains(&out, "timeout");
    drop(server);
}

#[test]
fn verbose_hides_literal_values_of_headers_and_params() {
    let server = Server::always(Reply::json(
        200,
        json!({"access_token": "t-lit", "expires_in": 60}),
    ));
    let env = Env::new();
    let extra = "headers = { Cookie = \"session=LITERALCOOKIE\", X-Tenant = \"TENANTVALUE\" }\nparams = { code = \"LITERALCODE\", otp = \"987654\" }";
    let out = env.run(
        &profile(&format!("{}/token", server.url()), extra),
        &["p", "-v"],
    );
    assert_code(&out, 0);
    assert_no_leak(
        &out,
        &[
            "LITERALCOOKIE",
            "TENANTVALUE",
            "LITERALCODE",
            "987654",
            "rule-secret",
        ],
    );
    assert_token_only_on_stdout(&out, "t-lit");
    assert_eq!(
        server.only_request().form_param("otp").as_deref(),
        Some("987654")
    );
}

#[test]
fn options_before_a_subcommand_are_refused_not_ignored() {
    let env = Env::new();
    let path = env.write_config(&profile("https://x.invalid/t", ""));
    let out = env
        .bare_cmd()
        .arg("--config")
        .arg(&path)
        .args(["-H", "get", "p"])
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert_stderr_contains(&out, "gettoken get PROFILE -H");
}

#[test]
fn discovery_refuses_a_document_for_another_issuer() {
    let server = Server::start(|req, _| {
        if req.path().ends_with("/.well-known/openid-configuration") {
            Reply::json(
                200,
                json!({"issuer": "https://evil.example", "token_endpoint": "http://127.0.0.1:1/token"}),
            )
        } else {
            Reply::json(200, json!({"access_token": "t"}))
        }
    });
    let env = Env::new();
    let text = format!(
        "[profiles.p]\nflavour = \"oauth2\"\nissuer = \"{}\"\nclient_id = \"c\"\nclient_secret = \"rule-secret\"\nretries = 0\n",
        server.url()
    );
    let out = env.run(&text, &["p"]);
    assert_code(&out, 4);
    assert_stderr_contains(&out, "evil.example");
    assert_eq!(server.count(), 1, "no token request went anywhere");
}
