//! How token requests use HTTP: a gettoken User-Agent, literal header and
//! param values hidden by `-v`, a discovery document for another issuer
//! refused. (Redirects, the size cap, plain http off loopback and slow
//! replies are rows of the fault matrix, faults.rs.)

use serde_json::json;

use crate::util::*;

fn profile(url: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret = \"rule-secret\"\nretries = 0\n{extra}\n"
    )
}

#[test]
fn requests_say_who_sends_them_and_want_json() {
    let server = Server::json(200, json!({"access_token": "t", "expires_in": 60}));
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

#[test]
fn verbose_hides_literal_values_of_headers_and_params() {
    let server = Server::json(200, json!({"access_token": "t-lit", "expires_in": 60}));
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
