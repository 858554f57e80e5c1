//! `gettoken show PROFILE`: what is known of a profile and its cached
//! token, without fetching; the token itself only with `--reveal`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::util::*;

const SECRET: &str = "show-client-secret-3";

fn jwt(claims: serde_json::Value) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"key-7"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn oauth_profile(server: &Server, cache: &str, extra: &str) -> String {
    format!(
        "[profiles.svc]\nflavour = \"oauth2\"\ntoken_url = \"{}/oauth/token\"\nclient_id = \"svc\"\nclient_secret = \"{SECRET}\"\nscope = [\"read\", \"write\"]\ncache = \"{cache}\"\n{extra}\n",
        server.url()
    )
}

#[test]
fn show_describes_a_cached_jwt_without_printing_it() {
    let exp = now_unix() + 3600;
    let token = jwt(json!({"sub": "svc-42", "aud": "https://api.example.com", "exp": exp}));
    let server = Server::json(
        200,
        json!({"access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": "read write",
               "refresh_token": "show-refresh-token-5"}),
    );
    let env = Env::new();
    let profiles = oauth_profile(&server, "file", "");
    assert_code(&env.run_as_is(&profiles, &["svc"], &[]), 0);

    let out = env.run_as_is(&profiles, &["show", "svc"], &[]);
    assert_code(&out, 0);
    let text = stdout(&out);
    for needle in [
        "svc",
        "oauth2",
        &format!("{}/oauth/token", server.url()),
        "client_credentials",
        "file",
        "valid for ",
        "expires at:",
        "bearer",
        "read write",
        "refresh token:",
        "--reveal",
        "not verified",
        "\"kid\": \"key-7\"",
        "\"sub\": \"svc-42\"",
        "https://api.example.com",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert_no_leak(&out, &[&token, SECRET, "show-refresh-token-5"]);
    // Nor any of the token's three parts as they are.
    for part in token.split('.') {
        assert!(!text.contains(part), "{part} shown:\n{text}");
    }
    assert_eq!(server.count(), 1, "show fetches nothing");

    let out = env.run_as_is(&profiles, &["show", "svc", "--reveal"], &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains(&token));
    assert_no_leak(&out, &[SECRET, "show-refresh-token-5"]);
    assert_eq!(server.count(), 1);
}

#[test]
fn show_with_nothing_cached_says_so_and_fetches_nothing() {
    let server = Server::token("never-fetched");
    let env = Env::new();
    let out = env.run_as_is(&oauth_profile(&server, "file", ""), &["show", "svc"], &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("none cached"), "{}", stdout(&out));
    assert!(stdout(&out).contains("gettoken svc"), "{}", stdout(&out));
    let out = env.run_as_is(&oauth_profile(&server, "none", ""), &["show", "svc"], &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("not kept"), "{}", stdout(&out));
    assert_eq!(server.count(), 0);
}

#[test]
fn show_an_opaque_token_and_an_issuer() {
    let server = Server::token("opaque-show-token-1");
    let env = Env::new();
    let profiles = format!(
        "[profiles.svc]\nflavour = \"oauth2\"\nissuer = \"{}/realms/x\"\ncache = \"file\"\n",
        server.url()
    );
    let out = env.run_as_is(&profiles, &["show", "svc"], &[]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("OpenID discovery"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("/realms/x"), "{}", stdout(&out));
    let profiles = oauth_profile(&server, "file", "");
    assert_code(&env.run_as_is(&profiles, &["svc"], &[]), 0);
    let out = env.run_as_is(&profiles, &["show", "svc"], &[]);
    assert!(stdout(&out).contains("opaque"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("JWT header"), "{}", stdout(&out));
    assert_no_leak(&out, &["opaque-show-token-1"]);
}

#[test]
fn show_keeps_credentials_in_the_url_out() {
    let env = Env::new();
    let profiles = "[profiles.q]\nflavour = \"http\"\nurl = \"https://user:pw-in-url-1@api.example.com/v1/oauth/?username=me&password=pw-in-query-2\"\ncache = \"none\"\n[profiles.q.response]\ntoken = \"/data/access_token\"\n";
    let out = env.run_as_is(profiles, &["show", "q"], &[]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("POST https://api.example.com/v1/oauth/"),
        "{}",
        stdout(&out)
    );
    assert_no_leak(&out, &["pw-in-url-1", "pw-in-query-2", "username=me"]);
}

#[test]
fn show_an_unknown_profile_exits_2() {
    let env = Env::new();
    let out = env.run(
        "[profiles.svc]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/t\"\n",
        &["show", "svx"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "svc");
}
