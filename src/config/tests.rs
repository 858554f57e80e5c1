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
            "flavour = \"oauth2\"\ntoken_url = \"https://x\"\noutput = \"xml\"",
            "\"token\", \"header\", \"json\"",
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
