//! One profile's token as another's input (issue 15, point 2): the
//! `{ profile = "NAME" }` source through that profile's cache, lock and
//! refresh, cycles refused naming the chain, and RFC 8693 token exchange
//! (`grant = "token_exchange"`): the ready Keycloak profiles of
//! profiles.example.toml (`keycloak-ci`, `keycloak-orders`) run as written,
//! only the realm's host replaced, against a stand-in realm that verifies
//! what Keycloak's standard token exchange verifies, failure replies
//! included; `-v` runs searched for secrets and tokens.

use serde_json::{Value, json};

use crate::signed_jwt::{rs256_jwt, verified};
use crate::util::*;

const EXAMPLE: &str = include_str!("../../profiles.example.toml");

const CI_SECRET: &str = "ci-client-secret-3f9a1c";
const GW_SECRET: &str = "gateway-client-secret-8b2d7e";
const REALM_PATH: &str = "/realms/acme/protocol/openid-connect/token";
const REALM_KID: &str = "acme-rs256-kid-1";

/// A Keycloak realm `acme` (Keycloak docs, "Using token exchange", and its
/// StandardTokenExchangeProvider): the confidential clients `ci` (service
/// account; with `audience_mapper`, its tokens name `gateway` in `aud`) and
/// `gateway` (standard token exchange on), the client `orders-api`. Tokens
/// are RS256 JWTs of the realm. An exchange checks the subject token's
/// signature, issuer and expiry ("Invalid token"), the `audience` clients
/// ("Audience not found") and that the requester is in the subject token's
/// audience ("Client is not within the token audience", 403).
fn keycloak(audience_mapper: bool) -> Server {
    Server::start(move |req, _| {
        if req.path() != REALM_PATH {
            return Reply::json(
                404,
                json!({"error": "RESTEASY003210: Could not find resource for full path"}),
            );
        }
        let form = |k: &str| req.form_param(k);
        let (client, secret) = req
            .basic_auth()
            .or_else(|| Some((form("client_id")?, form("client_secret")?)))
            .unwrap_or_default();
        let known = [("ci", CI_SECRET), ("gateway", GW_SECRET)];
        if !known.contains(&(client.as_str(), secret.as_str())) {
            return Reply::json(
                401,
                json!({"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}),
            );
        }
        let refuse = |status: u16, error: &str, description: &str| {
            Reply::json(
                status,
                json!({"error": error, "error_description": description}),
            )
        };
        let issuer = format!(
            "http://{}/realms/acme",
            req.header("host").unwrap_or_default()
        );
        let now = now_unix();
        let issue = |aud: Value, azp: &str| {
            rs256_jwt(
                REALM_KID,
                &json!({
                    "exp": now + 300, "iat": now, "jti": format!("{azp}-{now}"),
                    "iss": issuer, "aud": aud, "sub": "5d1c0b7e-service-account-ci",
                    "typ": "Bearer", "azp": azp, "scope": "profile email",
                }),
            )
        };
        let grant = form("grant_type").unwrap_or_default();
        if grant == "client_credentials" && client == "ci" {
            let aud = if audience_mapper {
                json!(["gateway", "account"])
            } else {
                json!("account")
            };
            return Reply::json(
                200,
                json!({
                    "access_token": issue(aud, "ci"), "expires_in": 300,
                    "refresh_expires_in": 0, "token_type": "Bearer",
                    "not-before-policy": 0, "scope": "profile email"
                }),
            );
        }
        if grant != "urn:ietf:params:oauth:grant-type:token-exchange" || client != "gateway" {
            return refuse(
                400,
                "unauthorized_client",
                "Client not allowed for this grant",
            );
        }
        if form("subject_token_type").as_deref()
            != Some("urn:ietf:params:oauth:token-type:access_token")
        {
            return refuse(
                400,
                "invalid_request",
                "Parameter 'subject_token' supports access tokens only",
            );
        }
        let subject = form("subject_token").unwrap_or_default();
        let claims = match verified(&subject) {
            Some((header, claims))
                if header["kid"] == REALM_KID
                    && claims["iss"] == issuer.as_str()
                    && claims["typ"] == "Bearer"
                    && claims["exp"].as_i64().unwrap_or(0) > now =>
            {
                claims
            }
            _ => return refuse(400, "invalid_request", "Invalid token"),
        };
        let audience = form("audience").unwrap_or_else(|| "gateway".into());
        if !["ci", "gateway", "orders-api"].contains(&audience.as_str()) {
            return refuse(400, "invalid_client", "Audience not found");
        }
        let in_audience = match &claims["aud"] {
            Value::String(a) => a == "gateway",
            Value::Array(a) => a.iter().any(|a| a == "gateway"),
            _ => false,
        };
        if claims["azp"] != "gateway" && !in_audience {
            return refuse(
                403,
                "access_denied",
                "Client is not within the token audience",
            );
        }
        match form("requested_token_type").as_deref() {
            None | Some("urn:ietf:params:oauth:token-type:access_token") => {}
            Some("urn:ietf:params:oauth:token-type:refresh_token") => {
                return refuse(
                    400,
                    "invalid_request",
                    "Refresh token not valid as requested_token_type because creating a new session is needed",
                );
            }
            Some(_) => return refuse(400, "invalid_request", "requested_token_type unsupported"),
        }
        Reply::json(
            200,
            json!({
                "access_token": issue(json!(audience), "gateway"),
                "expires_in": 300,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "not-before-policy": 0,
                "scope": "profile email"
            }),
        )
    })
}

/// The example file's Keycloak profiles as written, the realm's host
/// replaced by `ci_realm` for `keycloak-ci` and `realm` for the rest, the
/// cache in a file.
fn example(ci_realm: &Server, realm: &Server) -> String {
    let text = EXAMPLE.replacen("[defaults]\n", "[defaults]\ncache = \"file\"\n", 1);
    let (head, tail) = text.split_once("[profiles.keycloak-orders]").unwrap();
    let host = "https://sso.example.com";
    assert!(head.contains(host) && tail.contains(host));
    format!(
        "{}[profiles.keycloak-orders]{}",
        head.replace(host, &ci_realm.url()),
        tail.replace(host, &realm.url())
    )
}

const VARS: [(&str, &str); 2] = [
    ("KEYCLOAK_CI_SECRET", CI_SECRET),
    ("KEYCLOAK_GATEWAY_SECRET", GW_SECRET),
];

/// The tokens a realm issued, by the grant asked for.
fn issued(realm: &Server, grant: &str) -> usize {
    realm
        .requests()
        .iter()
        .filter(|r| r.form_param("grant_type").as_deref() == Some(grant))
        .count()
}

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

#[test]
fn token_exchange_takes_another_profiles_token_through_its_cache() {
    let realm = keycloak(true);
    let env = Env::new();
    let text = example(&realm, &realm);
    let out = env.run_as_is(&text, &["keycloak-orders", "-v"], &VARS);
    assert_code(&out, 0);
    let exchanged = stdout(&out).trim_end().to_string();
    let (_, claims) = verified(&exchanged).expect("a token of the realm");
    assert_eq!(
        (&claims["aud"], &claims["azp"]),
        (&json!("orders-api"), &json!("gateway"))
    );
    assert_token_only_on_stdout(&out, &exchanged);
    let sent = realm.requests().pop().unwrap();
    let subject = sent.form_param("subject_token").unwrap();
    assert_no_leak(&out, &[CI_SECRET, GW_SECRET, &subject]);
    assert_eq!(
        sent.basic_auth(),
        Some(("gateway".into(), GW_SECRET.into()))
    );
    for (key, value) in [
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("audience", "orders-api"),
    ] {
        assert_eq!(sent.form_param(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(
        (
            issued(&realm, "client_credentials"),
            issued(&realm, EXCHANGE)
        ),
        (1, 1)
    );
    // Cached: the realm is not asked again, for either profile.
    let out = env.run_as_is(&text, &["keycloak-orders", "-v"], &VARS);
    assert_token_only_on_stdout(&out, &exchanged);
    assert_no_leak(&out, &[CI_SECRET, GW_SECRET, &subject]);
    let out = env.run_as_is(&text, &["keycloak-ci"], &VARS);
    assert_token_only_on_stdout(&out, &subject);
    assert_eq!(realm.count(), 2);
    // A forced exchange reuses the cached subject token.
    let out = env.run_as_is(&text, &["keycloak-orders", "--force", "-v"], &VARS);
    assert_code(&out, 0);
    assert_no_leak(&out, &[CI_SECRET, GW_SECRET, &subject]);
    assert_eq!(
        (
            issued(&realm, "client_credentials"),
            issued(&realm, EXCHANGE)
        ),
        (1, 2)
    );
    let sent = realm.requests().pop().unwrap();
    assert_eq!(
        sent.form_param("subject_token").as_deref(),
        Some(subject.as_str())
    );
}

#[test]
fn a_refused_subject_token_is_the_exchanges_refusal() {
    // Tokens of `ci` that do not name `gateway` in their audience.
    let realm = keycloak(false);
    // A token of another realm: its issuer and keys are not this realm's.
    let (other, here) = (keycloak(true), keycloak(true));
    let env = Env::new();
    for (text, says) in [
        (
            example(&realm, &realm),
            "access_denied: Client is not within the token audience",
        ),
        (example(&other, &here), "invalid_request: Invalid token"),
    ] {
        for args in [
            &["keycloak-orders", "--force"][..],
            &["keycloak-orders", "--force", "-v"],
        ] {
            let out = env.run_as_is(&text, args, &VARS);
            assert_failed_with(&out, 3);
            assert_stderr_contains(&out, says);
            let mut secrets = vec![CI_SECRET.to_string(), GW_SECRET.to_string()];
            for server in [&realm, &other, &here] {
                secrets.extend(
                    server
                        .requests()
                        .iter()
                        .filter_map(|r| r.form_param("subject_token")),
                );
            }
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            assert_no_leak(&out, &secrets);
        }
    }
}

#[test]
fn a_failing_subject_profile_is_named_with_the_chain() {
    let realm = keycloak(true);
    let env = Env::new();
    let vars = [
        ("KEYCLOAK_CI_SECRET", "a-stale-secret-2c4e"),
        ("KEYCLOAK_GATEWAY_SECRET", GW_SECRET),
    ];
    for args in [&["keycloak-orders"][..], &["keycloak-orders", "-v"]] {
        let out = env.run_as_is(&example(&realm, &realm), args, &vars);
        assert_failed_with(&out, 3);
        assert_stderr_contains(
            &out,
            "profile `keycloak-ci` (for `subject_token` of `keycloak-orders`)",
        );
        assert_stderr_contains(&out, "Invalid client or Invalid client credentials");
        assert_no_leak(&out, &["a-stale-secret-2c4e", GW_SECRET]);
    }
    assert_eq!(issued(&realm, EXCHANGE), 0);
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

/// The README's chained profiles (Keycloak, Google workload identity
/// federation) are the tested ones of profiles.example.toml, table by table.
#[test]
fn the_readme_shows_the_tested_example_profiles_verbatim() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### One profile's token as another's input")
        .nth(1)
        .and_then(|rest| rest.split("\n### ").next())
        .unwrap();
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 2, "{section}");
    for table in blocks.iter().flat_map(|b| b.split("\n\n")) {
        assert!(
            EXAMPLE.contains(table.trim_end()),
            "README's table is not in profiles.example.toml as written:\n{table}"
        );
    }
}
