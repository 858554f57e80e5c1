use std::path::Path;

use base64::Engine;

use super::*;
use crate::config::{Config, Endpoint};
use crate::secrets::Source;

/// Resolves sources to `value-of-<what>`.
struct Fake;

impl Resolve for Fake {
    fn resolve(&mut self, text: &Text, _key: &str) -> anyhow::Result<Secret> {
        Ok(Secret::new(match text {
            Text::Plain(v) => v.clone(),
            Text::From(Source::Env(n)) => format!("env-{n}"),
            Text::From(other) => format!("{other:?}"),
        }))
    }

    fn now(&self) -> i64 {
        1_700_000_000
    }

    fn unique_id(&mut self) -> String {
        "fake-jti".into()
    }
}

fn build(text: &str, kind: GrantKind<'_>) -> TokenRequest {
    let config = Config::parse(Path::new("t.toml"), text, &[]).unwrap();
    let profile = config.profile("p").unwrap();
    match &profile.endpoint {
        Endpoint::OAuth2(o) => {
            let url = o.token_url.as_ref().unwrap().to_string();
            oauth2(&profile, o, &url, kind, &mut Fake).unwrap()
        }
        Endpoint::Http(h) => http(&profile, h, &mut Fake).unwrap(),
        Endpoint::Jwt(_) => panic!("flavour \"jwt\" makes no request"),
    }
}

fn header<'a>(req: &'a TokenRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn body(req: &TokenRequest) -> String {
    String::from_utf8(req.body.clone().unwrap()).unwrap()
}

#[test]
fn client_credentials_with_basic_auth_form_encodes_before_base64() {
    let req = build(
        r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "my id:1"
client_secret = { env = "S" }
scope = ["read", "write"]
audience = "api"
"#,
        GrantKind::Profile,
    );
    assert_eq!(req.method, Method::POST);
    let expected = base64::engine::general_purpose::STANDARD.encode("my+id%3A1:env-S");
    assert_eq!(
        header(&req, "authorization"),
        Some(format!("Basic {expected}").as_str())
    );
    assert_eq!(
        header(&req, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(&req, "accept"), Some("application/json"));
    assert_eq!(
        body(&req),
        "grant_type=client_credentials&scope=read+write&audience=api"
    );
    assert!(req.secrets.iter().any(|s| s.expose() == "env-S"));
}

#[test]
fn password_grant_with_body_auth_and_custom_params() {
    let req = build(
        r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
grant = "password"
client_auth = "body"
client_id = "cid"
client_secret = "csecret"
username = "me@example.com"
password = "pw"
params = { device = "ci" }
"#,
        GrantKind::Profile,
    );
    assert_eq!(header(&req, "authorization"), None);
    assert_eq!(
        body(&req),
        "grant_type=password&username=me%40example.com&password=pw&device=ci&client_id=cid&client_secret=csecret"
    );
    let secrets: Vec<&str> = req.secrets.iter().map(Secret::expose).collect();
    assert!(
        secrets.contains(&"pw") && secrets.contains(&"csecret"),
        "{secrets:?}"
    );
}

#[test]
fn vendor_grant_is_sent_as_written() {
    let req = build(
        r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
grant = "partner"
client_id = "c"
client_secret = "s"
params = { partner_code = "pc", partner_secret = { env = "PS" } }
"#,
        GrantKind::Profile,
    );
    assert_eq!(
        body(&req),
        "grant_type=partner&partner_code=pc&partner_secret=env-PS"
    );
    assert!(req.secrets.iter().any(|s| s.expose() == "env-PS"));
}

#[test]
fn refresh_uses_the_stored_token_and_the_client() {
    let stored = Secret::new("rt-1");
    let req = build(
        r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
grant = "password"
client_auth = "body"
client_id = "c"
client_secret = "s"
username = "u"
password = "p"
"#,
        GrantKind::Refresh(&stored),
    );
    assert_eq!(
        body(&req),
        "grant_type=refresh_token&refresh_token=rt-1&client_id=c&client_secret=s"
    );
}

#[test]
fn public_client_sends_its_id_and_json_body_when_asked() {
    let req = build(
        r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "pub"
body = "json"
"#,
        GrantKind::Profile,
    );
    assert_eq!(header(&req, "content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body(&req)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"grant_type": "client_credentials", "client_id": "pub"})
    );
}

#[test]
fn http_json_nested_fields_and_headers() {
    let req = build(
        r#"[profiles.p]
flavour = "http"
url = "https://v.example/api/Account/Generatetoken"
fields = { AccountCode = "A1", Password = { env = "PW" }, meta = { n = 2, on = true } }
headers = { X-Api-Key = { env = "K" } }
response = { token = "/Data/accessToken" }
"#,
        GrantKind::Profile,
    );
    assert_eq!(req.url, "https://v.example/api/Account/Generatetoken");
    let json: serde_json::Value = serde_json::from_str(&body(&req)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"AccountCode": "A1", "Password": "env-PW", "meta": {"n": 2, "on": true}})
    );
    assert_eq!(header(&req, "x-api-key"), Some("env-K"));
    assert!(req.secrets.iter().any(|s| s.expose() == "env-K"));
}

#[test]
fn http_query_keeps_the_url_exactly_and_appends_fields() {
    let req = build(
        r#"[profiles.p]
flavour = "http"
url = "https://v.example/v1/oauth/"
body = "query"
fields = { username = "u@x", password = "p w", device-info = "ci runner" }
response = { token = "/data/access_token" }
"#,
        GrantKind::Profile,
    );
    assert_eq!(
        req.url,
        "https://v.example/v1/oauth/?username=u%40x&password=p+w&device-info=ci+runner"
    );
    assert!(req.body.is_none());
    assert!(
        req.secrets.iter().any(|s| s.expose() == "p w"),
        "literal under a secret-looking key"
    );
}

#[test]
fn http_form_and_none() {
    let req = build(
        r#"[profiles.p]
flavour = "http"
method = "put"
url = "https://v.example/token"
body = "form"
fields = { client_id = "c", n = 5 }
response = { token = "/t" }
"#,
        GrantKind::Profile,
    );
    assert_eq!(req.method, Method::PUT);
    assert_eq!(body(&req), "client_id=c&n=5");
    let req = build(
        "[profiles.p]\nflavour = \"http\"\nmethod = \"GET\"\nbody = \"none\"\nurl = \"https://v.example/t\"\nresponse = { token = \"/t\" }\n",
        GrantKind::Profile,
    );
    assert!(req.body.is_none());
    assert_eq!(header(&req, "content-type"), None);
}

fn oauth2_profile(text: &str) -> (Profile, OAuth2) {
    let config = Config::parse(Path::new("t.toml"), text, &[]).unwrap();
    let profile = config.profile("p").unwrap();
    let Endpoint::OAuth2(o) = &profile.endpoint else {
        panic!("oauth2")
    };
    let o = (**o).clone();
    (profile, o)
}

fn form(req: &TokenRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.body.as_deref().unwrap())
        .into_owned()
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const DEVICE: &str = r#"[profiles.p]
flavour = "oauth2"
token_url = "https://a.example/token"
device_url = "https://a.example/device"
grant = "device_code"
client_id = "cli"
scope = "openid offline_access"
params = { prompt = "login", hidden = { env = "H" } }
"#;

#[test]
fn the_device_authorization_request_asks_without_a_grant() {
    let (profile, o) = oauth2_profile(DEVICE);
    let req = device_authorization(
        &profile,
        &o,
        "https://a.example/device",
        "https://a.example/token",
        &mut Fake,
    )
    .unwrap();
    assert_eq!(req.url, "https://a.example/device");
    let f = form(&req);
    assert_eq!(field(&f, "grant_type"), None);
    assert_eq!(field(&f, "client_id"), Some("cli"));
    assert_eq!(field(&f, "scope"), Some("openid offline_access"));
    assert_eq!(field(&f, "hidden"), Some("env-H"));
    assert!(!req.once);
}

#[test]
fn device_polls_send_the_code_and_may_be_retried() {
    let (profile, o) = oauth2_profile(DEVICE);
    let code = Secret::new("the-device-code".to_string());
    let req = oauth2(
        &profile,
        &o,
        "https://a.example/token",
        GrantKind::DeviceCode(&code),
        &mut Fake,
    )
    .unwrap();
    let f = form(&req);
    assert_eq!(
        field(&f, "grant_type"),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    assert_eq!(field(&f, "device_code"), Some("the-device-code"));
    assert_eq!(
        field(&f, "scope"),
        None,
        "scope went with the authorization"
    );
    assert!(req.secrets.iter().any(|s| s.expose() == "the-device-code"));
    assert!(!req.once);
}

#[test]
fn the_code_exchange_sends_the_verifier_and_is_sent_once() {
    let (profile, o) = oauth2_profile(DEVICE);
    let (code, verifier) = (
        Secret::new("c0de".to_string()),
        Secret::new("v3rifier".to_string()),
    );
    let req = oauth2(
        &profile,
        &o,
        "https://a.example/token",
        GrantKind::AuthorizationCode {
            code: &code,
            verifier: &verifier,
            redirect_uri: "http://127.0.0.1:5555/callback",
        },
        &mut Fake,
    )
    .unwrap();
    let f = form(&req);
    assert_eq!(field(&f, "grant_type"), Some("authorization_code"));
    assert_eq!(field(&f, "code"), Some("c0de"));
    assert_eq!(field(&f, "code_verifier"), Some("v3rifier"));
    assert_eq!(
        field(&f, "redirect_uri"),
        Some("http://127.0.0.1:5555/callback")
    );
    assert!(req.once, "an authorization code works once");
    let refresh = Secret::new("rt".to_string());
    let req = oauth2(
        &profile,
        &o,
        "https://a.example/token",
        GrantKind::Refresh(&refresh),
        &mut Fake,
    )
    .unwrap();
    assert!(req.once, "a rotating refresh token works once");
}

#[test]
fn the_authorization_url_query_leaves_secret_params_out() {
    let (_, o) = oauth2_profile(DEVICE);
    let q = authorization_query(&o, "http://127.0.0.1:1/callback", "ch", "st", &mut Fake).unwrap();
    assert_eq!(field(&q, "response_type"), Some("code"));
    assert_eq!(field(&q, "code_challenge"), Some("ch"));
    assert_eq!(field(&q, "code_challenge_method"), Some("S256"));
    assert_eq!(field(&q, "state"), Some("st"));
    assert_eq!(field(&q, "prompt"), Some("login"));
    assert_eq!(
        field(&q, "hidden"),
        None,
        "a secret-sourced param stays out of the URL"
    );
}

/// A fixed clock and id, so the assertion can be checked.
struct Fixed;

impl Resolve for Fixed {
    fn resolve(&mut self, text: &Text, key: &str) -> anyhow::Result<Secret> {
        Fake.resolve(text, key)
    }
    fn now(&self) -> i64 {
        1_700_000_000
    }
    fn unique_id(&mut self) -> String {
        "jti-1".into()
    }
}

#[test]
fn private_key_jwt_sends_an_assertion_for_the_token_endpoint() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let text = format!(
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/token\"\ndevice_url = \"https://a.example/device\"\ngrant = \"device_code\"\nclient_id = \"cli\"\nprivate_key = \"\"\"\n{}\"\"\"\nkey_id = \"k1\"\n",
        key.serialize_pem()
    );
    let (profile, o) = oauth2_profile(&text);
    let req = device_authorization(
        &profile,
        &o,
        "https://a.example/device",
        "https://a.example/token",
        &mut Fixed,
    )
    .unwrap();
    let f = form(&req);
    assert_eq!(field(&f, "client_id"), Some("cli"));
    assert_eq!(
        field(&f, "client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let jwt = field(&f, "client_assertion").unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["aud"], "https://a.example/token",
        "the token endpoint, even here"
    );
    assert_eq!(claims["iss"], "cli");
    assert_eq!(claims["jti"], "jti-1");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert!(
        req.secrets.iter().any(|s| s.expose() == jwt),
        "the assertion is redacted"
    );
    assert_eq!(header(&req, "Authorization"), None);
}

#[test]
fn debug_of_a_request_hides_every_secret_it_carries() {
    let requests = [
        build(
            r#"[profiles.p]
flavour = "oauth2"
token_url = "https://user:url-secret-1@a.example/token"
grant = "password"
username = "me"
password = "pw-secret-2"
client_id = "id"
client_secret = "cs-secret-3"
headers = { X-Api-Key = "hdr-secret-4", Accept = "application/json" }"#,
            GrantKind::Profile,
        ),
        build(
            r#"[profiles.p]
flavour = "http"
url = "https://a.example/v1/oauth/?key=url-secret-5"
body = "query"
fields = { username = "me", password = "pw-secret-6" }
response = { token = "/t" }"#,
            GrantKind::Profile,
        ),
        build(
            r#"[profiles.p]
flavour = "http"
url = "https://a.example/login"
fields = { AccountCode = "ac", Password = { env = "secret-7" } }
response = { token = "/t" }"#,
            GrantKind::Profile,
        ),
    ];
    for req in &requests {
        for shown in [format!("{req:?}"), format!("{req:#?}")] {
            assert!(!shown.contains("secret-"), "{shown}");
            assert!(!shown.contains("Basic "), "{shown}");
            assert!(shown.contains("a.example"), "{shown}");
            assert!(
                shown.contains("gettoken/"),
                "the user agent is public: {shown}"
            );
        }
    }
}

/// Found by the `request` fuzz target: with a fragment in the URL, the
/// query was appended after it and Debug showed it.
#[test]
fn debug_of_a_request_hides_a_fragment_too() {
    let req = TokenRequest {
        method: Method::POST,
        url: "https://a.example/#v1/?password=secret-9".into(),
        headers: vec![],
        body: None,
        secrets: vec![Secret::new("secret-9")],
        once: false,
    };
    let shown = format!("{req:?}");
    assert!(!shown.contains("secret-9"), "{shown}");
    assert!(
        shown.contains("\"https://a.example/?(redacted)\""),
        "{shown}"
    );
}

#[test]
fn a_bad_private_key_is_a_usage_error_that_leaves_the_profile_to_the_caller() {
    let text = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://a.example/token\"\nclient_id = \"cli\"\nprivate_key = \"not a pem key\"\n";
    let (profile, o) = oauth2_profile(text);
    let url = o.token_url.as_ref().unwrap().to_string();
    let err = oauth2(&profile, &o, &url, GrantKind::Profile, &mut Fake).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("`private_key`"), "{message}");
    // The command adds `profile `p`: ` once, as for every fetch error.
    assert!(!message.contains("profile `p`"), "{message}");
    assert!(!message.contains("not a pem key"), "{message}");
}
