//! One profile's token as another's input (issue 15, point 2): the
//! `{ profile = "NAME" }` source through that profile's cache, lock and
//! refresh, cycles refused naming the chain, and RFC 8693 token exchange
//! (`grant = "token_exchange"`) against a stand-in of Keycloak's token
//! endpoint, failure replies included; `-v` runs searched for secrets.

use serde_json::json;

use crate::util::*;

const CI_SECRET: &str = "ci-client-secret-3f9a1c";
const GW_SECRET: &str = "gateway-client-secret-8b2d7e";
const CI_TOKEN: &str = "ci-access-token-5d0e4b7a91";
const EXCHANGED: &str = "exchanged-access-token-c47f20";

/// The first profile's identity provider: client credentials, 401 for a
/// wrong secret (RFC 6749 5.2).
fn ci_idp(token: &'static str) -> Server {
    Server::start(move |req, _| {
        if req.form_param("client_secret").as_deref() != Some(CI_SECRET)
            && req.basic_auth().map(|(_, p)| p).as_deref() != Some(CI_SECRET)
        {
            return Reply::json(401, json!({"error": "invalid_client"}));
        }
        Reply::json(
            200,
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 600}),
        )
    })
}

/// Keycloak's token exchange (Keycloak docs, "Using token exchange"):
/// POST to the realm's token endpoint with the RFC 8693 fields and the
/// client's credentials; the reply names `issued_token_type`; a subject
/// token it does not know: 400 `invalid_request`.
fn keycloak() -> Server {
    Server::start(|req, _| {
        if req.path() != "/realms/acme/protocol/openid-connect/token" {
            return Reply::json(
                404,
                json!({"error": "RESTEASY003210: Could not find resource"}),
            );
        }
        let form = |k: &str| req.form_param(k);
        if req.basic_auth() != Some(("gateway".into(), GW_SECRET.into())) {
            return Reply::json(
                401,
                json!({"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}),
            );
        }
        if form("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:token-exchange")
            || form("subject_token_type").as_deref() != Some("urn:ietf:params:oauth:token-type:jwt")
            || form("requested_token_type").as_deref()
                != Some("urn:ietf:params:oauth:token-type:access_token")
            || form("audience").as_deref() != Some("orders-api")
        {
            return Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": "Invalid token exchange parameters"}),
            );
        }
        if form("subject_token").as_deref() != Some(CI_TOKEN) {
            return Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": "Invalid subject token"}),
            );
        }
        Reply::json(
            200,
            json!({
                "access_token": EXCHANGED,
                "expires_in": 300,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "not-before-policy": 0,
                "session_state": "b1f0",
                "scope": "profile email"
            }),
        )
    })
}

fn profiles(idp: &Server, kc: &Server) -> String {
    format!(
        r#"[defaults]
cache = "file"

[profiles.ci]
flavour = "oauth2"
token_url = "{idp}/token"
client_id = "ci"
client_secret = "{CI_SECRET}"

[profiles.orders]
flavour = "oauth2"
token_url = "{kc}/realms/acme/protocol/openid-connect/token"
grant = "token_exchange"
client_id = "gateway"
client_secret = "{GW_SECRET}"
subject_token = {{ profile = "ci" }}
subject_token_type = "jwt"
requested_token_type = "access_token"
audience = "orders-api"
"#,
        idp = idp.url(),
        kc = kc.url()
    )
}

const SECRETS: [&str; 3] = [CI_SECRET, GW_SECRET, CI_TOKEN];

#[test]
fn token_exchange_takes_another_profiles_token_through_its_cache() {
    let (idp, kc) = (ci_idp(CI_TOKEN), keycloak());
    let env = Env::new();
    let text = profiles(&idp, &kc);
    let out = env.run_as_is(&text, &["orders"], &[]);
    assert_token_only_on_stdout(&out, EXCHANGED);
    assert_eq!((idp.count(), kc.count()), (1, 1));
    // Cached: neither endpoint is asked again, for either profile.
    let out = env.run_as_is(&text, &["orders", "-v"], &[]);
    assert_token_only_on_stdout(&out, EXCHANGED);
    assert_no_leak(&out, &SECRETS);
    let out = env.run_as_is(&text, &["ci"], &[]);
    assert_token_only_on_stdout(&out, CI_TOKEN);
    assert_eq!((idp.count(), kc.count()), (1, 1));
    // A forced exchange reuses the cached subject token.
    let out = env.run_as_is(&text, &["orders", "--force", "-v"], &[]);
    assert_token_only_on_stdout(&out, EXCHANGED);
    assert_no_leak(&out, &SECRETS);
    assert_eq!((idp.count(), kc.count()), (1, 2));
    let sent = kc.requests().pop().unwrap();
    assert_eq!(sent.form_param("subject_token").as_deref(), Some(CI_TOKEN));
}

#[test]
fn a_refused_subject_token_is_the_exchanges_refusal() {
    let (idp, kc) = (ci_idp("some-other-token-1e8c"), keycloak());
    let env = Env::new();
    for args in [&["orders"][..], &["orders", "-v"]] {
        let out = env.run_as_is(&profiles(&idp, &kc), args, &[]);
        assert_failed_with(&out, 3);
        assert_stderr_contains(&out, "Invalid subject token");
        assert_no_leak(&out, &[CI_SECRET, GW_SECRET, "some-other-token-1e8c"]);
    }
}

#[test]
fn a_failing_subject_profile_is_named_with_the_chain() {
    let idp = Server::json(401, json!({"error": "invalid_client"}));
    let kc = keycloak();
    let env = Env::new();
    for args in [&["orders"][..], &["orders", "-v"]] {
        let out = env.run_as_is(&profiles(&idp, &kc), args, &[]);
        assert_failed_with(&out, 3);
        assert_stderr_contains(&out, "profile `ci` (for `subject_token` of `orders`)");
        assert_stderr_contains(&out, "invalid_client");
        assert_no_leak(&out, &[CI_SECRET, GW_SECRET]);
    }
    assert_eq!(kc.count(), 0);
}

#[test]
fn profiles_using_each_others_tokens_are_a_usage_error_naming_the_cycle() {
    let server = Server::token("never-sent-token-9");
    let text = format!(
        r#"[profiles.a]
flavour = "oauth2"
token_url = "{0}/token"
grant = "token_exchange"
subject_token = {{ profile = "b" }}

[profiles.b]
flavour = "oauth2"
token_url = "{0}/token"
grant = "token_exchange"
subject_token = {{ profile = "a" }}
"#,
        server.url()
    );
    let env = Env::new();
    let out = env.run_as_is(&text, &["a", "-v"], &[]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "a -> b -> a");
    assert_eq!(server.count(), 0);
}

#[test]
fn token_exchange_keys_are_checked() {
    let env = Env::new();
    for (text, says) in [
        (
            "[profiles.x]\nflavour = \"oauth2\"\ntoken_url = \"https://example.test/t\"\ngrant = \"token_exchange\"\n",
            "needs `subject_token`",
        ),
        (
            "[profiles.x]\nflavour = \"oauth2\"\ntoken_url = \"https://example.test/t\"\nsubject_token = \"s\"\n",
            "only used with grant = \"token_exchange\"",
        ),
        (
            "[profiles.x]\nflavour = \"oauth2\"\ntoken_url = \"https://example.test/t\"\ngrant = \"urn:ietf:params:oauth:grant-type:token-exchange\"\nsubject_token = \"s\"\nsubject_token_type = \"bogus\"\n",
            "`subject_token_type`",
        ),
    ] {
        let out = env.run_as_is(text, &["x"], &[]);
        assert_failed_with(&out, 2);
        assert_stderr_contains(&out, says);
    }
}
