//! `flavour = "jwt"`: the token is a JWT signed here, with no request (App
//! Store Connect's API tokens). A stand-in of the API verifies what Apple
//! documents (developer.apple.com, "Generating Tokens for API Requests"):
//! ES256 with the key's public half; header alg ES256, kid, typ JWT;
//! claims iss, iat, exp at most 20 minutes after iat, aud
//! "appstoreconnect-v1"; 401 NOT_AUTHORIZED otherwise. The test calls it
//! with curl and the header line gettoken printed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::{Value, json};

use crate::util::*;

const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
const KEY_ID: &str = "2X9R4HXF34";

/// A JWT's header and claims if its ES256 signature verifies with `public`
/// (an uncompressed P-256 point).
pub fn verified_es256(jwt: &str, public: &[u8]) -> Option<(Value, Value)> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return None;
    }
    let json = |s: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    };
    let (header, claims) = (json(parts[0])?, json(parts[1])?);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).ok()?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .ok()?;
    Some((header, claims))
}

/// App Store Connect's API as its documentation shows it.
fn app_store_connect(public: Vec<u8>) -> Server {
    Server::start(move |req, _| {
        let refuse = || {
            Reply::json(
                401,
                json!({"errors": [{"status": "401", "code": "NOT_AUTHORIZED", "title": "Authentication credentials are missing or invalid.", "detail": "Provide a properly configured and signed bearer token, and make sure that it has not expired."}]}),
            )
        };
        let Some(jwt) = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return refuse();
        };
        let Some((header, claims)) = verified_es256(jwt, &public) else {
            return refuse();
        };
        let now = now_unix();
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap_or(0),
            claims["exp"].as_i64().unwrap_or(0),
        );
        if header["alg"] != "ES256" || header["kid"] != KEY_ID || header["typ"] != "JWT" {
            return refuse();
        }
        if claims["iss"] != ISSUER || claims["aud"] != "appstoreconnect-v1" {
            return refuse();
        }
        if iat > now + 5 || exp <= now || exp - iat > 20 * 60 {
            return refuse();
        }
        Reply::json(
            200,
            json!({"data": [{"type": "apps", "id": "1234567890", "attributes": {"name": "Stand-in"}}]}),
        )
    })
}

fn profile(key: &std::path::Path, lifetime: &str) -> String {
    format!(
        r#"[profiles.asc]
flavour = "jwt"
cache = "file"
output = "header"
min_ttl = "5m"
jwt = {{ key = {{ file = "{}" }}, signing_alg = "ES256", kid = "{KEY_ID}", lifetime = "{lifetime}", claims = {{ iss = "{ISSUER}", aud = "appstoreconnect-v1" }} }}
"#,
        key.display()
    )
}

/// `curl -sS -o /dev/null -w %{http_code} -H HEADER URL`: the status.
fn curl_status(header: &str, url: &str) -> Option<String> {
    let out = match std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            header,
            url,
        ])
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            component_missing("curl is not installed", "run scripts/install-deps.sh");
            return None;
        }
    };
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn key_chunks(pem: &str) -> Vec<String> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    body.as_bytes()
        .chunks(24)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

#[test]
fn an_app_store_connect_token_is_signed_here_cached_and_accepted() {
    let env = Env::new();
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let api = app_store_connect(pair.public_key_raw().to_vec());
    let pem = pair.serialize_pem();
    let key = env.write_file("AuthKey_2X9R4HXF34.p8", &pem);
    let text = profile(&key, "20m");
    let out = env.run(&text, &["asc", "-v"]);
    assert_code(&out, 0);
    let line = stdout(&out).trim_end().to_string();
    assert!(line.starts_with("Authorization: Bearer ey"), "{line}");
    let jwt = line
        .trim_start_matches("Authorization: Bearer ")
        .to_string();
    let secrets = key_chunks(&pem);
    assert_no_leak(
        &out,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        !stderr(&out).contains(&jwt),
        "the token is in -v:\n{}",
        stderr(&out)
    );
    let Some(status) = curl_status(&line, &format!("{}/v1/apps", api.url())) else {
        return;
    };
    assert_eq!(status, "200", "the API refused the token");

    // A hit: the very same token (an ECDSA signature made again would
    // differ: its nonce is random), and no signing in -v.
    let again = env.run(&text, &["asc", "-v"]);
    assert_code(&again, 0);
    assert_eq!(stdout(&again).trim_end(), line, "signed again");
    assert_stderr_contains(&again, "cache hit");
    assert!(
        !stderr(&again).contains("signed a JWT"),
        "{}",
        stderr(&again)
    );
    assert_no_leak(
        &again,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(!stderr(&again).contains(jwt.split('.').nth(2).unwrap()));

    // `show` decodes the cached JWT, without printing it.
    let shown = env.run(&text, &["show", "asc"]);
    assert_code(&shown, 0);
    let s = stdout(&shown);
    for needle in [
        "jwt",
        "appstoreconnect-v1",
        ISSUER,
        KEY_ID,
        "ES256",
        "valid for ",
    ] {
        assert!(s.contains(needle), "{needle:?} missing:\n{s}");
    }
    assert!(!s.contains(jwt.split('.').nth(2).unwrap()), "{s}");
}

#[test]
fn a_token_longer_than_twenty_minutes_is_refused_by_the_api() {
    let env = Env::new();
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let api = app_store_connect(pair.public_key_raw().to_vec());
    let key = env.write_file("k.p8", &pair.serialize_pem());
    let out = env.run(&profile(&key, "30m"), &["asc", "--no-cache"]);
    assert_code(&out, 0);
    let line = stdout(&out).trim_end().to_string();
    let Some(status) = curl_status(&line, &format!("{}/v1/apps", api.url())) else {
        return;
    };
    assert_eq!(status, "401");
}

#[test]
fn a_jwt_profile_with_a_bad_key_or_stray_keys_is_a_usage_error() {
    let env = Env::new();
    let bad = env.write_file("bad.p8", "hunter2-not-a-key");
    let out = env.run(&profile(&bad, "20m"), &["asc", "-v"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`jwt.key` is not a PEM private key");
    assert_no_leak(&out, &["hunter2-not-a-key"]);
    let missing = env.root().join("missing.p8");
    let out = env.run(&profile(&missing, "20m"), &["asc"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "`jwt.key`: cannot read the secret from file");
    // An Ed25519 key cannot sign ES256.
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ed = env.write_file("ed.p8", &pair.serialize_pem());
    let out = env.run(&profile(&ed, "20m"), &["asc"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "\"ES256\" does not fit");
    for (extra, want) in [
        (
            "token_url = \"https://x.example/t\"",
            "`token_url` is a key of flavour",
        ),
        (
            "response = { token = \"/t\" }",
            "`response` does not apply to flavour \"jwt\"",
        ),
    ] {
        let text = format!("{}{extra}\n", profile(&bad, "20m"));
        let out = env.run(&text, &["asc"]);
        assert_failed_with(&out, 2);
        assert_stderr_contains(&out, want);
    }
    let out = env.run("[profiles.asc]\nflavour = \"jwt\"\n", &["asc"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "flavour \"jwt\" needs `jwt = {");
}
