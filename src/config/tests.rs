use std::path::Path;
use std::time::Duration;

use super::*;

const RESERVED: [&str; 3] = ["list", "get", "help"];

fn parse(text: &str) -> Result<Config, Failure> {
    Config::parse(Path::new("profiles.toml"), text, &RESERVED)
}

fn profile(text: &str, name: &str) -> Result<Profile, Failure> {
    parse(text)?.profile(name)
}

const OAUTH: &str = r#"
[defaults]
min_ttl = "2m"
timeout = "5s"

[profiles.prod]
flavour = "oauth2"
token_url = "https://auth.example.com/oauth/token"
client_id = "id"
client_secret = { env = "PROD_SECRET" }
scope = "read write"

[profiles.web]
flavor = "http"
url = "https://api.example.com/v1/oauth/"
body = "query"
min_ttl = "10s"
fields = { username = "u", password = { file = "~/.pw" } }
[profiles.web.response]
token = "/data/access_token"
expires_at = "/data/expiry"
success = "/success"
error = "/errors"
"#;

#[test]
fn defaults_apply_and_profiles_override() {
    let prod = profile(OAUTH, "prod").unwrap();
    assert_eq!(prod.min_ttl, Duration::from_secs(120));
    assert_eq!(prod.timeout, Duration::from_secs(5));
    assert_eq!(prod.retries, 2);
    assert_eq!(prod.cache, CacheKind::Keyring);
    assert_eq!(prod.output, Format::Token);
    assert_eq!(prod.header, "Authorization");
    let Endpoint::OAuth2(o) = &prod.endpoint else {
        panic!()
    };
    assert_eq!(
        o.client_auth,
        ClientAuth::Basic,
        "basic is the default with a secret"
    );
    assert_eq!(o.scope, vec!["read", "write"]);
    assert_eq!(o.grant, Grant::ClientCredentials);
    assert_eq!(prod.response.token, "/access_token");
    assert_eq!(
        prod.response.refresh_token.as_deref(),
        Some("/refresh_token")
    );

    let web = profile(OAUTH, "web").unwrap();
    assert_eq!(web.min_ttl, Duration::from_secs(10));
    let Endpoint::Http(h) = &web.endpoint else {
        panic!()
    };
    assert_eq!(h.url_text, "https://api.example.com/v1/oauth/");
    assert_eq!(h.body, Encoding::Query);
    assert_eq!(web.response.token, "/data/access_token");
    assert_eq!(web.response.error, vec!["/errors"]);
    assert_eq!(web.response.refresh_token, None);
}

#[test]
fn unknown_key_names_the_nearest_with_line_and_column() {
    let err = parse("[profiles.p]\nflavour = \"oauth2\"\ntokn_url = \"https://x\"\n").unwrap_err();
    assert_eq!(err.kind, crate::error::Kind::Usage);
    assert!(
        err.message.starts_with("profiles.toml:3:1: "),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("unknown key `tokn_url`; did you mean `token_url`?"),
        "{}",
        err.message
    );
}

#[test]
fn broken_toml_gives_line_and_column_without_quoting_the_line() {
    let err = parse("[profiles.p]\nclient_secret = \"hunter2\nx = 1\n").unwrap_err();
    assert!(
        err.message.starts_with("profiles.toml:2:"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("hunter2"), "{}", err.message);
}

#[test]
fn wrong_type_is_located() {
    let err = parse("[profiles.p]\nflavour = \"oauth2\"\nretries = \"two\"\n").unwrap_err();
    assert!(
        err.message.starts_with("profiles.toml:3:"),
        "{}",
        err.message
    );
}

#[test]
fn unknown_profile_suggests_near_names() {
    let err = parse(OAUTH).unwrap().profile("prdo").unwrap_err();
    assert!(
        err.message.contains("did you mean `prod`?"),
        "{}",
        err.message
    );
    let err = parse(OAUTH).unwrap().profile("zzzzzz").unwrap_err();
    assert!(
        err.message.contains("profiles: prod, web"),
        "{}",
        err.message
    );
}

#[test]
fn profile_named_after_a_command_is_refused() {
    let err = parse("[profiles.list]\nflavour = \"oauth2\"\n").unwrap_err();
    assert!(
        err.message.contains("cannot be named `list`"),
        "{}",
        err.message
    );
}

#[test]
fn flavour_in_defaults_is_refused() {
    let err = parse("[defaults]\nflavour = \"http\"\n").unwrap_err();
    assert!(err.message.contains("[defaults]"), "{}", err.message);
}

#[test]
fn keys_of_the_other_flavour_are_refused() {
    let text = "[profiles.p]\nflavour = \"http\"\nurl = \"https://x/\"\ngrant = \"password\"\nresponse = { token = \"/t\" }\n";
    let err = profile(text, "p").unwrap_err();
    assert!(
        err.message
            .contains("`grant` is a key of flavour \"oauth2\""),
        "{}",
        err.message
    );
}

#[test]
fn validation_errors_name_profile_and_key() {
    let cases = [
        ("flavour = \"oauth3\"", "unknown flavour"),
        ("flavour = \"oauth2\"", "needs `token_url` or `issuer`"),
        (
            "flavour = \"oauth2\"\ntoken_url = \"https://x\"\ngrant = \"password\"",
            "needs `username`",
        ),
        (
            "flavour = \"oauth2\"\ntoken_url = \"https://x\"\nmin_ttl = \"5\"",
            "no unit",
        ),
        (
            "flavour = \"oauth2\"\ntoken_url = \"https://x\"\nbody = \"query\"",
            "`body` is \"query\"; it must be one of \"form\", \"json\"",
        ),
        (
            "flavour = \"oauth2\"\ntoken_url = \"http://auth.example.com/t\"",
            "insecure_http",
        ),
        (
            "flavour = \"oauth2\"\ntoken_url = \"ftp://x\"",
            "unsupported URL scheme",
        ),
        (
            "flavour = \"oauth2\"\ntoken_url = \"https://x\"\nclient_auth = \"body\"",
            "needs `client_id`",
        ),
        (
            "flavour = \"http\"\nurl = \"https://x\"",
            "needs `response.token`",
        ),
        (
            "flavour = \"http\"\nurl = \"https://x\"\nbody = \"form\"\nfields = { a = { b = 1 } }\nresponse = { token = \"/t\" }",
            "nested",
        ),
        (
            "flavour = \"http\"\nurl = \"https://x\"\nresponse = { token = \"data/t\" }",
            "not a JSON Pointer",
        ),
    ];
    for (body, expected) in cases {
        let text = format!("[profiles.p]\n{body}\n");
        let err = profile(&text, "p").unwrap_err();
        assert!(err.message.starts_with("profile `p`: "), "{}", err.message);
        assert!(err.message.contains(expected), "{body}: {}", err.message);
    }
}

#[test]
fn loopback_http_is_allowed_and_insecure_http_opens_the_rest() {
    let ok = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/t\"\n";
    assert!(profile(ok, "p").is_ok());
    let ok = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"http://[::1]:9/t\"\n";
    assert!(profile(ok, "p").is_ok());
    let ok = "[profiles.p]\nflavour = \"oauth2\"\ninsecure_http = true\ntoken_url = \"http://auth.internal/t\"\n";
    assert!(profile(ok, "p").is_ok());
}

#[test]
fn nested_fields_and_secret_sources() {
    let text = r#"[profiles.p]
flavour = "http"
url = "https://x/login"
fields = { AccountCode = "A1", Password = { env = "PW" }, opts = { n = 2, on = true, tags = ["a"] } }
response = { token = "/Data/accessToken", lifetime = "15m" }
"#;
    let p = profile(text, "p").unwrap();
    let Endpoint::Http(h) = &p.endpoint else {
        panic!()
    };
    assert_eq!(h.fields[1].0, "Password");
    assert_eq!(
        h.fields[1].1,
        Field::Text(crate::secrets::Text::From(crate::secrets::Source::Env(
            "PW".into()
        )))
    );
    assert!(matches!(&h.fields[2].1, Field::Table(t) if t.len() == 3));
    assert_eq!(p.response.lifetime, Some(Duration::from_secs(900)));
}

#[test]
fn fingerprint_follows_request_settings_not_display_or_secret_literals() {
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"a\"\nclient_secret = \"s1\"\n";
    let fp = |extra: &str| profile(&format!("{base}{extra}"), "p").unwrap().fingerprint;
    let same = fp("");
    assert_eq!(
        same,
        fp("output = \"header\"\nmin_ttl = \"5m\"\ncache = \"file\"\n")
    );
    assert_ne!(same, fp("scope = \"admin\"\n"));
    let rotated = profile(&base.replace("s1", "s2"), "p").unwrap().fingerprint;
    assert_eq!(
        same, rotated,
        "a secret's literal value is not part of the fingerprint"
    );
    let other_client = profile(&base.replace("\"a\"", "\"b\""), "p")
        .unwrap()
        .fingerprint;
    assert_ne!(same, other_client);
}

#[test]
fn every_example_profile_is_valid() {
    let text = include_str!("../../profiles.example.toml");
    let config = parse(text).unwrap();
    let names: Vec<&str> = config.names().collect();
    for expected in [
        "demo",
        "prod",
        "availo",
        "autovit",
        "autovit-partner",
        "vendor-json",
        "resales",
        "query-login",
        "github-oidc",
        "gitlab-vault",
        "azure-workload",
        "aws-imds",
        "azure-speech",
        "openstack",
        "zoho",
        "salesforce",
        "jamf",
        "gcp-github-oidc",
        "gcp-federated",
        "gcp-deployer",
        "keycloak-ci",
        "keycloak-orders",
        "me-orders",
        "me-billing",
        "jira",
    ] {
        assert!(
            names.contains(&expected),
            "profiles.example.toml lacks `{expected}`"
        );
    }
    for name in names {
        let profile = config
            .profile(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!profile.fingerprint.is_empty());
    }
}

#[test]
fn fingerprint_counts_urls_headers_and_params_but_not_credentials() {
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/staging/token\"\nclient_id = \"a\"\nclient_secret = \"s\"\nheaders = { X-Auth-Tenant = \"A\", X-Api-Key = \"k1\" }\nparams = { requested_token_type = \"t1\" }\n";
    let fp = |text: &str| profile(text, "p").unwrap().fingerprint;
    let same = fp(base);
    assert_ne!(
        same,
        fp(&base.replace("staging", "production")),
        "token_url counts"
    );
    assert_ne!(
        same,
        fp(&base.replace("\"A\"", "\"B\"")),
        "a tenant header counts"
    );
    assert_ne!(
        same,
        fp(&base.replace("t1", "t2")),
        "a *_token_type param counts"
    );
    assert_eq!(
        same,
        fp(&base.replace("k1", "k2")),
        "an API key literal does not"
    );
}

#[test]
fn defaults_of_the_other_flavour_do_not_break_a_profile() {
    let text = "[defaults]\nclient_id = \"shared\"\nfields = { a = \"1\" }\n[profiles.h]\nflavour = \"http\"\nurl = \"https://x/t\"\nresponse = { token = \"/t\" }\n[profiles.o]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n";
    assert!(profile(text, "h").is_ok());
    let o = profile(text, "o").unwrap();
    let Endpoint::OAuth2(o) = &o.endpoint else {
        panic!()
    };
    assert_eq!(
        o.client_id,
        Some(crate::secrets::Text::Plain("shared".into()))
    );
    // A profile's own key of the other flavour is still an error.
    let own = "[profiles.h]\nflavour = \"http\"\nurl = \"https://x/t\"\nclient_id = \"c\"\nresponse = { token = \"/t\" }\n";
    assert!(profile(own, "h").is_err());
}

#[test]
fn type_errors_do_not_quote_the_value() {
    for value in ["1234.5678", "true", "[\"hunter2\"]"] {
        let err = parse(&format!(
            "[profiles.p]\nflavour = \"oauth2\"\nclient_secret = {value}\n"
        ))
        .unwrap_err();
        assert!(
            !err.message.contains("1234.5678") && !err.message.contains("hunter2"),
            "{}",
            err.message
        );
        assert!(
            err.message.starts_with("profiles.toml:3:"),
            "{}",
            err.message
        );
    }
    let err = parse("[profiles.p]\nretries = \"hunter2\"\n").unwrap_err();
    assert!(!err.message.contains("hunter2"), "{}", err.message);
}

#[test]
fn a_secret_source_takes_exactly_one_key() {
    let err =
        parse("[profiles.p]\nclient_secret = { env = \"A\", command = [\"x\"] }\n").unwrap_err();
    assert!(err.message.contains("one key"), "{}", err.message);
}

#[test]
fn interactive_grants_need_a_client_and_an_endpoint_to_send_the_user_to() {
    let base =
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/token\"\nclient_id = \"c\"\n";
    let err = profile(&format!("{base}grant = \"device_code\"\n"), "p").unwrap_err();
    assert!(
        err.message.contains("`device_url` or `issuer`"),
        "{}",
        err.message
    );
    assert_eq!(
        err.message.matches("profile `p`").count(),
        1,
        "{}",
        err.message
    );
    let err = profile(&format!("{base}grant = \"authorization_code\"\n"), "p").unwrap_err();
    assert!(
        err.message.contains("`authorization_url` or `issuer`"),
        "{}",
        err.message
    );
    let ok = profile(
        &format!("{base}grant = \"device_code\"\ndevice_url = \"https://x/device\"\n"),
        "p",
    )
    .unwrap();
    let Endpoint::OAuth2(o) = ok.endpoint else {
        panic!()
    };
    assert_eq!(o.grant, Grant::DeviceCode);
    assert_eq!(
        o.grant.grant_type(),
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    assert_eq!(o.login_timeout, std::time::Duration::from_secs(300));
    let no_client = "[profiles.p]\nflavour = \"oauth2\"\nissuer = \"https://x\"\ngrant = \"authorization_code\"\n";
    let err = profile(no_client, "p").unwrap_err();
    assert!(err.message.contains("needs `client_id`"), "{}", err.message);
}

#[test]
fn private_key_jwt_needs_a_key_and_its_settings_need_it() {
    let base =
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/token\"\nclient_id = \"c\"\n";
    let err = profile(&format!("{base}client_auth = \"private_key_jwt\"\n"), "p").unwrap_err();
    assert!(
        err.message.contains("needs `private_key`"),
        "{}",
        err.message
    );
    let ok = profile(
        &format!(
            "{base}private_key = {{ file = \"k.pem\" }}\nkey_id = \"k1\"\nsigning_alg = \"es256\"\n"
        ),
        "p",
    )
    .unwrap();
    let Endpoint::OAuth2(o) = ok.endpoint else {
        panic!()
    };
    assert_eq!(
        o.client_auth,
        ClientAuth::PrivateKeyJwt,
        "the default with a private_key"
    );
    assert_eq!(o.signing_alg, Some(crate::config::SigningAlg::ES256));
    let err = profile(
        &format!("{base}client_secret = \"s\"\nkey_id = \"k1\"\n"),
        "p",
    )
    .unwrap_err();
    assert!(
        err.message.contains("only used with client_auth"),
        "{}",
        err.message
    );
    let err = profile(
        &format!("{base}private_key = \"x\"\nsigning_alg = \"HS256\"\n"),
        "p",
    )
    .unwrap_err();
    assert!(err.message.contains("RS256"), "{}", err.message);
}

#[test]
fn debug_of_a_profile_or_the_file_never_shows_a_written_secret() {
    let text = r#"
[defaults]
headers = { X-Api-Key = "hdr-secret-1" }

[profiles.pw]
flavour = "oauth2"
token_url = "https://a.example/token"
grant = "password"
username = "me"
password = "pw-secret-2"
client_id = "id"
client_secret = "cs-secret-3"
refresh_token = "rt-secret-4"
params = { partner_secret = "param-secret-5" }

[profiles.jwt]
flavour = "oauth2"
token_url = "https://a.example/token"
client_id = "id"
private_key = "-----BEGIN PRIVATE KEY-----pk-secret-6"

[profiles.login]
flavour = "http"
url = "https://a.example/login"
fields = { Password = "field-secret-7", nested = { pin = "field-secret-8" } }
response = { token = "/t" }
"#;
    let config = parse(text).unwrap();
    let mut shown = vec![format!("{config:?}"), format!("{config:#?}")];
    for name in ["pw", "jwt", "login"] {
        let p = config.profile(name).unwrap();
        shown.extend([format!("{p:?}"), format!("{p:#?}")]);
    }
    let all = shown.join("\n");
    for n in 1..=8 {
        assert!(
            !all.contains(&format!("secret-{n}")),
            "secret-{n} in:\n{all}"
        );
    }
    assert!(
        all.contains("(redacted)") && all.contains("a.example"),
        "{all}"
    );
}

/// Found by the `request` fuzz target: a fragment in `url` swallowed the
/// query fields appended after it (and is never sent anyway).
#[test]
fn a_url_with_a_fragment_is_refused() {
    for (key, flavour) in [("url", "http"), ("token_url", "oauth2")] {
        let text = format!(
            "[profiles.p]\nflavour = \"{flavour}\"\n{key} = \"https://a.example/#v1/\"\nresponse = {{ token = \"/t\" }}\n"
        );
        let e = profile(&text, "p").unwrap_err();
        assert!(e.message.contains("has a fragment"), "{}", e.message);
    }
    let url = reqwest::Url::parse("https://u:p@a.example/x?q=1#frag").unwrap();
    assert_eq!(url_for_humans(&url), "https://a.example/x");
}

/// Cached tokens are keyed on the fingerprint: a change that moves the
/// fingerprint of an existing profile throws every cached token away (and
/// leaves the old entries behind). These were recorded before the profile
/// keys were declared in one table, and must stay byte-identical.
#[test]
fn fingerprints_of_existing_profiles_never_move() {
    let example: &[(&str, &str)] = &[
        ("asc", "b8fb3235ff30f232"),
        ("autovit", "e6b1d350dfd01dfc"),
        ("autovit-partner", "6972d2e80c9a3933"),
        ("availo", "a9b4427fd02d9d30"),
        ("aws-imds", "b0e83cd946290c7d"),
        ("azure-speech", "63bc5d0dfe80c784"),
        ("azure-workload", "6ffd962646afd797"),
        ("demo", "65d6f6a18eaf138a"),
        ("dpop-api", "7639e4734d46561e"),
        ("entra-cert", "824c6c9e3c788897"),
        ("forge", "814c7eb001f43530"),
        ("gcp", "c018582ad770e88a"),
        ("gcp-deployer", "958046762dd0d491"),
        ("gcp-federated", "02f7b56cbc103794"),
        ("gcp-github-oidc", "bc9ad1d88557d375"),
        ("gh-app", "93f74357def4d67a"),
        ("github-oidc", "0d92faa6b0f48513"),
        ("gitlab-vault", "322f6ad2b60101b6"),
        ("jamf", "2c4d4fa834e52897"),
        ("jira", "cd25be278acd778d"),
        ("keycloak-ci", "e997871a06e439fc"),
        ("keycloak-orders", "06afdde25c4854c2"),
        ("kube-prod", "92e768873fbb078e"),
        ("me", "61e787bb6d329338"),
        ("me-billing", "7188403d9b617eb7"),
        ("me-browser", "9d02e659059e484f"),
        ("me-orders", "0783592ff34a5cab"),
        ("mtls", "bb9bf8f26f1e26de"),
        ("openstack", "2f0be664357e0962"),
        ("prod", "7630129b65d5dbb5"),
        ("prod-signed", "c6658189bcd9484c"),
        ("query-login", "43c3c0924737238d"),
        ("resales", "760cc799c4d0a4ba"),
        ("salesforce", "77cd1fe48eb34861"),
        ("salesforce-password", "d8f02b287e85ac3b"),
        ("vendor-json", "eff1f5a6fa2c4d14"),
        ("zoho", "63f21df6a49645dc"),
    ];
    let golden: &[(&str, &str)] = &[
        ("defaults-only", "0edd4566bd807e89"),
        ("every-http-key", "46922e969e922035"),
        // Moved once, on purpose: `authorization_url` was masked as if it
        // were a secret (its name holds "authorization"); an address is
        // part of the identity.
        ("every-oauth2-key", "2fc5dbb5818c949c"),
        ("http-json", "ec1b6288c0dd711a"),
        ("http-none", "d30896f76f83cf7b"),
        ("jwt", "3769fecaad4b6fb5"),
    ];
    let oauth: &[(&str, &str)] = &[("prod", "b3a5f9a9af6f536b"), ("web", "0e08b1559b7ebc3a")];
    for (text, expected) in [
        (include_str!("../../profiles.example.toml"), example),
        (include_str!("testdata/fingerprints.toml"), golden),
        (OAUTH, oauth),
    ] {
        let config = parse(text).unwrap();
        let got: Vec<(String, String)> = config
            .names()
            .map(|name| {
                let p = config
                    .profile(name)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                (name.to_string(), p.fingerprint)
            })
            .collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(n, f)| (n.to_string(), f.to_string()))
            .collect();
        assert_eq!(got, want);
    }
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"a\"\nclient_secret = \"s1\"\n";
    assert_eq!(profile(base, "p").unwrap().fingerprint, "ac19be1478072d26");
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/staging/token\"\nclient_id = \"a\"\nclient_secret = \"s\"\nheaders = { X-Auth-Tenant = \"A\", X-Api-Key = \"k1\" }\nparams = { requested_token_type = \"t1\" }\n";
    assert_eq!(profile(base, "p").unwrap().fingerprint, "ccc07da779542eef");
}

/// Every key `[defaults]` may hold, each set once (and every key of the
/// response table). The test below fails when the table of keys gains a key
/// this text does not set.
const EVERY_DEFAULT: &str = r#"
[defaults]
output = "json"
min_ttl = "1m"
cache = "file"
header = "X-Token"
scheme = "Token"
timeout = "3s"
retries = 3
ca_file = "/ca.pem"
insecure_http = true
headers = { X-Tenant = "t" }
body = "json"
git_username = "git"
id_token = true
docker_username = "d"
client_cert = "/c.pem"
client_key = { file = "/k.pem" }
token_url = "https://a.example/token"
issuer = "https://a.example"
device_url = "https://a.example/device"
authorization_url = "https://a.example/auth"
redirect_port = 8400
redirect_uri = "http://localhost/cb"
browser = "paste"
login_timeout = "2m"
login_cooldown = "30s"
revocation_url = "https://a.example/revoke"
grant = "password"
client_id = "c"
client_secret = { env = "S" }
client_auth = "body"
private_key = { file = "k.pem" }
key_id = "k1"
signing_alg = "ES256"
certificate = { file = "c.pem" }
thumbprint = "both"
assertion_issuer = "i"
assertion_subject = "s"
assertion_audience = "a"
username = "u"
password = { env = "P" }
refresh_token = { env = "R" }
scope = "a b"
audience = "aud"
resource = "res"
params = { p = "1" }
subject_token = { profile = "ci" }
subject_token_type = "jwt"
actor_token = { env = "A" }
actor_token_type = "access_token"
requested_token_type = "access_token"
dpop = true
dpop_key = { file = "dpop.pem" }
dpop_alg = "ES256"
url = "https://a.example/login"
method = "PUT"
fields = { f = "1" }
basic_username = "bu"
basic_password = { env = "BP" }
jwt = { key = { file = "k.pem" } }
[defaults.response]
token = "/t"
token_type = "/tt"
expires_in = "/ei"
expires_at = "/ea"
lifetime = "1h"
refresh_token = "/rt"
scope = "/s"
success = "/ok"
error = ["/e"]
"#;

#[test]
fn defaults_apply_to_every_key_they_may_hold() {
    use super::raw::RawProfile;
    let text = format!(
        "{EVERY_DEFAULT}[profiles.o]\nflavour = \"oauth2\"\n[profiles.h]\nflavour = \"http\"\nresponse = {{ token = \"/own\" }}\n[profiles.n]\nflavour = \"neither\"\n"
    );
    let config = parse(&text).unwrap();
    let defaults = config.file.defaults.as_ref().unwrap();
    let may: Vec<&str> = RawProfile::KEYS
        .iter()
        .filter(|k| k.in_defaults)
        .map(|k| k.name)
        .collect();
    assert_eq!(
        defaults.set_keys(),
        may,
        "EVERY_DEFAULT must set every key [defaults] may hold"
    );
    let written = serde_json::to_value(defaults).unwrap();
    let response = &written["response"];
    assert!(
        response.as_object().unwrap().values().all(|v| !v.is_null()),
        "EVERY_DEFAULT must set every key of the response table: {response}"
    );
    for (name, flavour) in [("o", "oauth2"), ("h", "http"), ("n", "neither")] {
        let merged = config.merged(&config.file.profiles[name]);
        let want: Vec<&str> = RawProfile::KEYS
            .iter()
            .filter(|k| k.name == "flavour" || (k.in_defaults && k.takes.by(Some(flavour))))
            .map(|k| k.name)
            .collect();
        assert_eq!(merged.set_keys(), want, "profile `{name}`");
        let got = serde_json::to_value(&merged).unwrap();
        for key in want
            .iter()
            .filter(|k| **k != "flavour" && **k != "response")
        {
            assert_eq!(got[key], written[key], "profile `{name}`, key `{key}`");
        }
        // The response table is merged key by key: its own `token` stays.
        let mut expected = response.clone();
        if name == "h" {
            expected["token"] = "/own".into();
        }
        assert_eq!(got["response"], expected, "profile `{name}`");
    }
}

#[test]
fn only_flavour_and_refresh_from_are_refused_in_defaults() {
    use super::raw::RawProfile;
    let own: Vec<&str> = RawProfile::KEYS
        .iter()
        .filter(|k| !k.in_defaults)
        .map(|k| k.name)
        .collect();
    // A `refresh_from` of [defaults] would reach the login profile too,
    // naming itself.
    assert_eq!(own, ["flavour", "refresh_from"]);
    let err = parse("[defaults]\nflavour = \"http\"\n").unwrap_err();
    assert_eq!(
        err.message,
        "profiles.toml: `flavour` cannot be set in [defaults]: set it in each profile"
    );
    let err = parse("[defaults]\nrefresh_from = \"login\"\n").unwrap_err();
    assert!(
        err.message
            .contains("`refresh_from` cannot be set in [defaults]"),
        "{}",
        err.message
    );
}

/// `output`, `cache`, `client_auth` and `body` are serde enums: an unknown
/// value is an error of the file, located, with the nearest value or the
/// list of them, as for an unknown key.
#[test]
fn unknown_choice_values_are_located_and_suggest_the_nearest() {
    let cases = [
        (
            "output = \"jsn\"",
            "6:10: unknown value `jsn`; did you mean `json`?",
        ),
        (
            "output = \"xml\"",
            "6:10: unknown value `xml`; expected one of: token, header, json, exec-credential, env",
        ),
        (
            "cache = \"kyring\"",
            "6:9: unknown value `kyring`; did you mean `keyring`?",
        ),
        (
            "client_auth = \"basc\"",
            "6:15: unknown value `basc`; did you mean `basic`?",
        ),
        (
            "body = \"fomr\"",
            "6:8: unknown value `fomr`; did you mean `form`?",
        ),
    ];
    for (line, expected) in cases {
        let text = format!(
            "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x\"\nclient_id = \"c\"\nclient_secret = \"s\"\n{line}\n"
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert_eq!(err.message, format!("profiles.toml:{expected}"), "{line}");
    }
}

/// As before they were enums: any ASCII case, and the fingerprint keeps
/// the spelling (see `fingerprints_of_existing_profiles_never_move`).
#[test]
fn choice_values_match_regardless_of_case() {
    let text = "[profiles.p]\nflavour = \"http\"\nurl = \"https://x/t\"\nbody = \"Query\"\noutput = \"Exec-Credential\"\ncache = \"NONE\"\nresponse = { token = \"/t\" }\n[profiles.o]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"c\"\nclient_secret = \"s\"\nclient_auth = \"Private_Key_JWT\"\nprivate_key = \"k\"\nbody = \"JSON\"\n";
    let p = profile(text, "p").unwrap();
    assert_eq!(p.output, Format::ExecCredential);
    assert_eq!(p.cache, CacheKind::None);
    let Endpoint::Http(h) = &p.endpoint else {
        panic!()
    };
    assert_eq!(h.body, Encoding::Query);
    let o = profile(text, "o").unwrap();
    let Endpoint::OAuth2(o) = &o.endpoint else {
        panic!()
    };
    assert_eq!(o.client_auth, ClientAuth::PrivateKeyJwt);
    assert_eq!(o.body, Encoding::Json);
}

#[test]
fn scheme_must_be_an_http_auth_scheme_or_empty() {
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n";
    for ok in ["Bearer", "DPoP", "token", ""] {
        let p = profile(&format!("{base}scheme = \"{ok}\"\n"), "p").unwrap();
        assert_eq!(p.scheme.as_deref(), Some(ok));
    }
    for bad in [
        "Bearer x",
        "Bearer\\r\\nX-Injected: 1",
        "a:b",
        "Be\\u202Earer",
    ] {
        let e = profile(&format!("{base}scheme = \"{bad}\"\n"), "p").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage);
        assert!(
            e.message.starts_with("profile `p`: `scheme` \"")
                && e.message.contains("is not an HTTP auth scheme"),
            "{}",
            e.message
        );
        assert!(
            !e.message.contains('\r') && !e.message.contains('\u{202E}'),
            "{}",
            e.message
        );
    }
}

#[test]
fn expiry_unit_is_seconds_by_default_or_milliseconds() {
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\n[profiles.p.response]\nexpires_at = \"/at\"\n";
    let p = profile(base, "p").unwrap();
    assert!(!p.response.expiry_ms);
    let unit = |u: &str| profile(&format!("{base}expiry_unit = \"{u}\"\n"), "p");
    assert!(unit("ms").unwrap().response.expiry_ms);
    assert!(!unit("s").unwrap().response.expiry_ms);
    let e = unit("minutes").unwrap_err();
    assert!(
        e.message.contains("`response.expiry_unit`"),
        "{}",
        e.message
    );
    // Unset, the key leaves the fingerprint as it was before it existed
    // (cached tokens stay valid); set, it changes it.
    assert_eq!(p.fingerprint, "659378165bdb2f68");
    assert_ne!(unit("ms").unwrap().fingerprint, p.fingerprint);
}

#[test]
fn dpop_keys_are_checked() {
    let base =
        "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/token\"\nclient_id = \"a\"\n";
    let p = profile(&format!("{base}dpop = true\n"), "p").unwrap();
    let crate::config::Endpoint::OAuth2(o) = &p.endpoint else {
        panic!("oauth2")
    };
    let d = o.dpop.as_ref().expect("dpop on");
    assert_eq!(d.alg, crate::config::SigningAlg::ES256);
    assert!(d.key.is_none());
    for (bad, want) in [
        ("dpop_alg = \"ES384\"\n", "only used with dpop = true"),
        (
            "dpop = true\ndpop_alg = \"HS256\"\n",
            "`dpop_alg` is \"HS256\"",
        ),
        ("dpop = true\ndpop_alg = \"RS256\"\n", "needs `dpop_key`"),
    ] {
        let e = profile(&format!("{base}{bad}"), "p").unwrap_err();
        assert!(e.message.contains(want), "{bad}: {}", e.message);
    }
    let p = profile(
        &format!("{base}dpop = true\ndpop_alg = \"rs256\"\ndpop_key = {{ file = \"k.pem\" }}\n"),
        "p",
    );
    assert!(p.is_ok());
    // DPoP on is another token (bound to a key): another cache identity;
    // a key from a file is among the credentials the record's digest covers.
    let plain = profile(base, "p").unwrap();
    let on = profile(&format!("{base}dpop = true\n"), "p").unwrap();
    assert_ne!(plain.fingerprint, on.fingerprint);
    let filed = profile(
        &format!("{base}dpop = true\ndpop_key = {{ file = \"k.pem\" }}\n"),
        "p",
    )
    .unwrap();
    assert_ne!(filed.fingerprint, on.fingerprint);
    assert!(
        filed.credentials.iter().any(|(k, _)| k == "dpop_key"),
        "{:?}",
        filed.credentials.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
}

const REFRESH_FROM: &str = "[profiles.api]\nflavour = \"oauth2\"\nissuer = \"https://id.example\"\nclient_id = \"c\"\nrefresh_from = \"login\"\nscope = \"api:read\"\n";

#[test]
fn refresh_from_makes_the_grant_refresh_token() {
    let p = profile(REFRESH_FROM, "api").unwrap();
    let Endpoint::OAuth2(o) = &p.endpoint else {
        panic!("oauth2")
    };
    assert_eq!(o.grant, Grant::RefreshToken);
    assert_eq!(o.refresh_from.as_deref(), Some("login"));
    assert!(o.refresh_token.is_none());
    let same = REFRESH_FROM.replace("scope", "grant = \"refresh_token\"\nscope");
    assert!(profile(&same, "api").is_ok());
}

#[test]
fn refresh_from_is_refused_beside_another_refresh_token_grant_or_itself() {
    for (change, want) in [
        (
            "refresh_token = \"rt\"\n",
            "`refresh_from` and `refresh_token` both give the refresh token",
        ),
        (
            "grant = \"device_code\"\n",
            "`refresh_from` makes the grant \"refresh_token\"; drop grant = \"device_code\"",
        ),
    ] {
        let text = format!("{REFRESH_FROM}{change}");
        let err = profile(&text, "api").unwrap_err();
        assert!(err.message.contains(want), "{change}: {}", err.message);
    }
    let own = REFRESH_FROM.replace("\"login\"", "\"api\"");
    let err = profile(&own, "api").unwrap_err();
    assert!(
        err.message
            .contains("`refresh_from` names the profile itself"),
        "{}",
        err.message
    );
    let empty = REFRESH_FROM.replace("\"login\"", "\"\"");
    assert!(profile(&empty, "api").is_err());
    let http =
        "[profiles.h]\nflavour = \"http\"\nurl = \"https://x/t\"\nrefresh_from = \"login\"\n";
    assert!(profile(http, "h").is_err(), "an oauth2 key");
}

#[test]
fn refresh_from_counts_in_the_fingerprint() {
    let base = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"c\"\ngrant = \"refresh_token\"\nrefresh_token = { keyring = \"rt\" }\n";
    let a = profile(base, "p").unwrap().fingerprint;
    let from = "[profiles.p]\nflavour = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"c\"\nrefresh_from = \"one\"\n";
    let b = profile(from, "p").unwrap().fingerprint;
    let c = profile(&from.replace("\"one\"", "\"two\""), "p")
        .unwrap()
        .fingerprint;
    assert_ne!(a, b);
    assert_ne!(b, c, "another login is another identity");
}

/// The one profile from only its tables (config/scan.rs) is the profile of
/// the whole file, its fingerprint included, for every profile of the
/// example file, the golden fingerprints' file and this file's samples;
/// and a file the scan is unsure of goes to the full parse.
#[test]
fn a_profile_from_its_own_tables_is_the_profile_of_the_whole_file() {
    let files = [
        include_str!("../../profiles.example.toml"),
        include_str!("testdata/fingerprints.toml"),
        OAUTH,
    ];
    let mut compared = 0;
    for text in files {
        let whole = parse(text).unwrap();
        for name in whole.names() {
            let Some(part) = scan::tables_of(text.as_bytes(), name, &RESERVED) else {
                continue;
            };
            let part = parse(&part).unwrap();
            let (a, b) = (whole.profile(name), part.profile(name));
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "profile `{name}`");
            compared += 1;
        }
    }
    assert!(compared > 20, "only {compared} profiles compared");
}

/// The file read through its buffer gives the scan what the whole text
/// gives it: pieces of whole lines, a line longer than the buffer, a file
/// without a last line end.
#[test]
fn a_file_read_piece_by_piece_gives_the_tables_of_its_whole_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.toml");
    let mut text = format!("# {}\n[defaults]\nclient_id = \"c\"\n", "x".repeat(200_000));
    for i in 0..3000 {
        text.push_str(&format!(
            "\n[profiles.p{i}]\nflavour = \"oauth2\"\nscope = [\"s{i}\"]\n"
        ));
        if i == 1500 {
            text.push_str(&format!(
                "token_url = \"https://{}\"\n",
                "y".repeat(150_000)
            ));
        }
    }
    text.push_str("[profiles.last]\nflavour = \"oauth2\"");
    std::fs::write(&path, &text).unwrap();
    for name in ["p0", "p1500", "p2999", "last", "none"] {
        let mut file = std::fs::File::open(&path).unwrap();
        assert_eq!(
            scan_file(&mut file, name, &RESERVED),
            scan::tables_of(text.as_bytes(), name, &RESERVED),
            "{name}"
        );
    }
    let mut file = std::fs::File::open(&path).unwrap();
    let last = scan_file(&mut file, "last", &RESERVED).unwrap();
    assert!(
        last.ends_with("[profiles.last]\nflavour = \"oauth2\""),
        "{last}"
    );
}
