use std::path::Path;

use base64::Engine;

use super::*;
use crate::config::{Config, Endpoint};
use crate::secret::Source;

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
