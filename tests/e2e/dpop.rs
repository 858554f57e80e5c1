//! DPoP (RFC 9449) through the built binary: a stand-in token endpoint
//! that checks each proof as Okta and Auth0 do (the signature with the
//! `jwk` of its header, `typ`, `alg`, `htm`/`htu`, a fresh `iat`, a `jti`
//! never seen before, and first of all a nonce: 400 `use_dpop_nonce` with
//! a `DPoP-Nonce` header, as Okta answers) and binds the token to the key
//! (`cnf.jkt`, `token_type` DPoP); and a stand-in resource server that
//! checks a request's proof the same way plus its `ath` and that its key
//! is the one the token is bound to.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::{Value, json};
use std::process::Output;

use crate::util::*;

const NONCE: &str = "eyJ7S_zG.eyJH0-Z.HX4w-7v";
const CLIENT_ID: &str = "0oa-dpop-client";
const CLIENT_SECRET: &str = "dpop-client-secret-7f3a9c";

/// A new P-256 key as PEM PKCS#8, made for one test.
fn p256_pem() -> String {
    let rng = ring::rand::SystemRandom::new();
    let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &rng,
    )
    .unwrap();
    let b64 = STANDARD.encode(doc.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem + "-----END PRIVATE KEY-----\n"
}

/// The base64 lines of a PEM, each a spelling of the key to search for.
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

fn b64json(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// RFC 7638 thumbprint of an EC JWK.
fn jkt(jwk: &Value) -> String {
    let text = format!(
        r#"{{"crv":{},"kty":{},"x":{},"y":{}}}"#,
        jwk["crv"], jwk["kty"], jwk["x"], jwk["y"]
    );
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// A proof checked as a vendor checks it: `Ok((claims, jkt))` or the
/// vendor's `error_description`.
fn check_proof(
    proof: Option<&str>,
    method: &str,
    htu: &str,
    seen: &Mutex<HashSet<String>>,
) -> Result<(Value, String), String> {
    let proof = proof.ok_or("The DPoP proof JWT header is missing.")?;
    let parts: Vec<&str> = proof.split('.').collect();
    if parts.len() != 3 {
        return Err("DPoP proof is not a JWS".into());
    }
    let header = b64json(parts[0]).ok_or("bad header")?;
    let claims = b64json(parts[1]).ok_or("bad claims")?;
    if header["typ"] != "dpop+jwt" {
        return Err("The DPoP proof has an invalid 'typ'".into());
    }
    if header["alg"] != "ES256" {
        return Err("The DPoP proof has an unsupported 'alg'".into());
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk.get("d").is_some() {
        return Err("The DPoP proof has an invalid 'jwk'".into());
    }
    let coord = |k: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[k].as_str().unwrap_or(""))
            .unwrap_or_default()
    };
    let mut point = vec![4u8];
    point.extend(coord("x"));
    point.extend(coord("y"));
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .map_err(|_| "The DPoP proof signature is invalid".to_string())?;
    if claims["htm"] != method || claims["htu"] != htu {
        return Err(format!(
            "The DPoP proof's 'htm' or 'htu' does not match the request ({method} {htu})"
        ));
    }
    let iat = claims["iat"].as_i64().unwrap_or(0);
    if (now_unix() - iat).abs() > 60 {
        return Err("The DPoP proof 'iat' is not recent".into());
    }
    let jti = claims["jti"].as_str().unwrap_or("").to_string();
    if jti.len() < 16 || !seen.lock().unwrap().insert(jti) {
        return Err("The DPoP proof has already been used".into());
    }
    Ok((claims, jkt(jwk)))
}

/// Okta's token endpoint with "Require DPoP" on: nonce first, then a
/// token bound to the proof's key. `refuse` makes it refuse every proof.
fn okta(refuse: Option<&'static str>, always_nonce: bool) -> Server {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    Server::start(move |req, _| {
        let host = req.header("host").unwrap_or("");
        let htu = format!("http://{host}/token");
        let (claims, jkt) = match check_proof(req.header("dpop"), "POST", &htu, &seen) {
            Ok(ok) => ok,
            Err(why) => {
                return Reply::json(
                    400,
                    json!({"error": "invalid_dpop_proof", "error_description": why}),
                );
            }
        };
        if always_nonce || claims["nonce"] != NONCE {
            return Reply::json(
                400,
                json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."}),
            )
            .with_header("DPoP-Nonce", NONCE);
        }
        if let Some(words) = refuse {
            return Reply::json(
                400,
                json!({"error": "invalid_dpop_proof", "error_description": words}),
            );
        }
        if req.basic_auth() != Some((CLIENT_ID.into(), CLIENT_SECRET.into()))
            || req.form_param("grant_type").as_deref() != Some("client_credentials")
        {
            return Reply::json(401, json!({"error": "invalid_client"}));
        }
        // The access token: a JWT whose `cnf.jkt` binds it to the key.
        let body = URL_SAFE_NO_PAD.encode(
            json!({"sub": CLIENT_ID, "cnf": {"jkt": jkt}, "jti": unique("at")}).to_string(),
        );
        let token = format!("eyJhbGciOiJub25lIn0.{body}.c2ln");
        Reply::json(
            200,
            json!({"token_type": "DPoP", "access_token": token, "expires_in": 3600, "scope": "api"}),
        )
    })
}

/// A resource server that takes `Authorization: DPoP <token>` with a proof
/// whose key is the token's `cnf.jkt` and whose `ath` is the token's hash.
fn resource() -> Server {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    Server::start(move |req, _| {
        let unauthorized = |why: &str| {
            Reply::json(401, json!({"error": "invalid_token", "why": why})).with_header(
                "WWW-Authenticate",
                &format!(
                    "DPoP algs=\"ES256\", error=\"invalid_dpop_proof\", error_description=\"{why}\""
                ),
            )
        };
        let Some(token) = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("DPoP "))
            .map(str::to_string)
        else {
            return unauthorized("no DPoP token");
        };
        let host = req.header("host").unwrap_or("");
        let htu = format!("http://{host}{}", req.path());
        let (claims, key) = match check_proof(req.header("dpop"), "GET", &htu, &seen) {
            Ok(ok) => ok,
            Err(why) => return unauthorized(&why),
        };
        let ath = URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
        if claims["ath"] != ath.as_str() {
            return unauthorized("ath does not match the access token");
        }
        let bound = token
            .split('.')
            .nth(1)
            .and_then(b64json)
            .map(|c| c["cnf"]["jkt"].clone());
        if bound != Some(Value::String(key)) {
            return unauthorized("the token is bound to another key");
        }
        Reply::json(200, json!({"ok": true}))
    })
}

fn profile(name: &str, server: &Server, key: &str) -> String {
    format!(
        r#"[profiles.{name}]
flavour = "oauth2"
token_url = "{}/token"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
cache = "file"
insecure_http = true
dpop = true
{key}
"#,
        server.url()
    )
}

/// A GET to the resource server with these header lines, by curl (as the
/// README shows it); its HTTP status.
fn call(url: &str, lines: &[&str]) -> u16 {
    let mut curl = std::process::Command::new("curl");
    curl.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--noproxy",
        "*",
        "--max-time",
        "10",
    ]);
    for line in lines {
        curl.args(["-H", line]);
    }
    let out = curl.arg(url).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Whether curl is here (else the test records a skip).
fn have_curl() -> bool {
    let ok = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        component_missing("curl is not installed", "apt-get install curl");
    }
    ok
}

#[test]
fn dpop_token_after_a_nonce_then_proofs_for_the_resource_server() {
    if !have_curl() {
        return;
    }
    let env = Env::new();
    let okta = okta(None, false);
    let api = resource();
    let pem = p256_pem();
    let key_file = env.write_file("dpop.pem", &pem);
    let text = profile(
        "api",
        &okta,
        &format!("dpop_key = {{ file = \"{}\" }}", key_file.display()),
    );
    let out = env.run(&text, &["api", "-H", "-v"]);
    assert_code(&out, 0);
    let line = stdout(&out);
    let token = line
        .trim_end()
        .strip_prefix("Authorization: DPoP ")
        .unwrap_or_else(|| panic!("a DPoP header line: {line}"))
        .to_string();
    // The first proof is refused for its missing nonce, the second taken.
    let reqs = okta.requests();
    assert_eq!(reqs.len(), 2, "one try, one more with the nonce");
    let proofs: Vec<String> = reqs
        .iter()
        .map(|r| r.header("dpop").unwrap().to_string())
        .collect();
    assert_ne!(proofs[0], proofs[1]);
    let claims = b64json(proofs[1].split('.').nth(1).unwrap()).unwrap();
    assert_eq!(claims["nonce"], NONCE);
    assert!(claims.get("ath").is_none(), "no ath on a token request");
    let mut secrets: Vec<String> = pem_lines(&pem);
    secrets.extend(proofs.iter().cloned());
    secrets.push(CLIENT_SECRET.into());
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let err = stderr(&out);
    assert!(err.contains("DPoP: (redacted)"), "{err}");
    assert!(!err.contains(&token));
    assert_no_leak(
        &Output {
            stdout: vec![],
            ..out.clone()
        },
        &refs,
    );

    // JSON says the scheme too; the token itself stays the same.
    let json_out = env.run(&text, &["api", "--format", "json"]);
    let shown: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(shown["token_type"], "DPoP");
    assert_eq!(shown["access_token"], token.as_str());
    assert_eq!(okta.count(), 2, "served from the cache");
    // `show` names the key and the binding (the token's cnf.jkt).
    let shown = env.run(&text, &["show", "api"]);
    let cnf = b64json(token.split('.').nth(1).unwrap()).unwrap()["cnf"]["jkt"].clone();
    let listed = stdout(&shown);
    assert!(listed.contains("ES256 key from `dpop_key`"), "{listed}");
    assert!(
        listed.contains(&format!(
            "the DPoP key with thumbprint {}",
            cnf.as_str().unwrap()
        )),
        "{listed}"
    );

    // A proof per request, from the cached token and the same key.
    let url = format!("{}/orders", api.url());
    let dpop = env.run(
        &text,
        &["dpop", "api", "GET", &format!("{url}?page=2#top"), "-v"],
    );
    assert_code(&dpop, 0);
    let proof_line = stdout(&dpop).trim_end().to_string();
    assert!(proof_line.starts_with("DPoP: ey"), "{proof_line}");
    let proof = proof_line.strip_prefix("DPoP: ").unwrap();
    assert_no_leak(
        &Output {
            stdout: vec![],
            ..dpop.clone()
        },
        &[proof, &pem_lines(&pem)[0]],
    );
    assert_eq!(okta.count(), 2, "the cached token");
    let header = format!("Authorization: DPoP {token}");
    assert_eq!(call(&url, &[&header, &proof_line]), 200);
    // The same proof again is a replay.
    assert_eq!(call(&url, &[&header, &proof_line]), 401);
    // Without the bound token's header the proof alone is refused.
    let fresh = env.run(&text, &["dpop", "api", "GET", &url, "--value"]);
    let bare = stdout(&fresh).trim_end().to_string();
    assert!(!bare.starts_with("DPoP:"));
    assert_eq!(
        call(
            &url,
            &[
                &format!("Authorization: Bearer {token}"),
                &format!("DPoP: {bare}")
            ]
        ),
        401
    );
    let fresh = env.run(&text, &["dpop", "api", "GET", &url]);
    assert_eq!(call(&url, &[&header, stdout(&fresh).trim_end()]), 200);
    // A proof for another method or URL is refused.
    let post = env.run(&text, &["dpop", "api", "POST", &url]);
    assert_eq!(call(&url, &[&header, stdout(&post).trim_end()]), 401);
}

#[test]
fn a_key_made_on_first_use_is_kept_and_binds_every_token() {
    if !have_curl() {
        return;
    }
    let env = Env::new();
    let okta = okta(None, false);
    let api = resource();
    let name = unique("dpopkr");
    let text = profile(&name, &okta, "");
    let first = env.run(&text, &[&name, "-H"]);
    assert_code(&first, 0);
    let again = env.run(&text, &[&name, "-H", "--force"]);
    assert_code(&again, 0);
    let reqs = okta.requests();
    let jwks: Vec<Value> = reqs
        .iter()
        .map(|r| {
            b64json(r.header("dpop").unwrap().split('.').next().unwrap()).unwrap()["jwk"].clone()
        })
        .collect();
    assert!(jwks.windows(2).all(|w| w[0] == w[1]), "one key: {jwks:?}");
    let url = format!("{}/x", api.url());
    let proof = env.run(&text, &["dpop", &name, "GET", &url]);
    assert_code(&proof, 0);
    let header = stdout(&again).trim_end().to_string();
    assert_eq!(call(&url, &[&header, stdout(&proof).trim_end()]), 200);
    // Dropped, a new key is made; the token bound to the old one is
    // replaced before a proof is made for it.
    let secret = format!("dpop/{name}");
    let del = env
        .bare_cmd()
        .args(["secret", "delete", &secret])
        .output()
        .unwrap();
    assert_code(&del, 0);
    let before = okta.count();
    let proof = env.run(&text, &["dpop", &name, "GET", &url]);
    assert_code(&proof, 0);
    assert!(okta.count() > before, "a new token for the new key");
    let header = env.run(&text, &[&name, "-H"]);
    assert_eq!(
        call(
            &url,
            &[stdout(&header).trim_end(), stdout(&proof).trim_end()]
        ),
        200
    );
    let _ = env.bare_cmd().args(["secret", "delete", &secret]).output();
}

#[test]
fn dpop_failures_say_what_and_keep_the_key_and_proofs_out() {
    let env = Env::new();
    // A refusal after the nonce: exit 3 with the endpoint's words.
    let refusing = okta(Some("The DPoP key is not allowed for this client."), false);
    let pem = p256_pem();
    let key_file = env.write_file("dpop.pem", &pem);
    let key = format!("dpop_key = {{ file = \"{}\" }}", key_file.display());
    let out = env.run(&profile("api", &refusing, &key), &["api", "-v"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "The DPoP key is not allowed for this client.");
    let mut secrets = pem_lines(&pem);
    secrets.extend(
        refusing
            .requests()
            .iter()
            .map(|r| r.header("dpop").unwrap().to_string()),
    );
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_leak(&out, &refs);

    // A nonce asked for again after the one more try: no loop, exit 3.
    let nagging = okta(None, true);
    let out = env.run(&profile("api", &nagging, &key), &["api"]);
    assert_failed_with(&out, 3);
    assert_stderr_contains(&out, "use_dpop_nonce");
    assert_eq!(nagging.count(), 2);

    // A key file that is no key: exit 2, naming the setting, no request.
    let unused = okta(None, false);
    let bad = env.write_file("bad.pem", "not a key at all: hunter2-dpop\n");
    let out = env.run(
        &profile(
            "api",
            &unused,
            &format!("dpop_key = {{ file = \"{}\" }}", bad.display()),
        ),
        &["api"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "dpop_key");
    assert_no_leak(&out, &["hunter2-dpop"]);
    // A key of another algorithm: exit 2.
    let out = env.run(
        &profile("api", &unused, &format!("{key}\ndpop_alg = \"ES384\"")),
        &["api"],
    );
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "ES256");
    assert_no_leak(&out, &refs[..1]);
    assert_eq!(unused.count(), 0);

    // `gettoken dpop` for a profile without DPoP, or with a bad URL.
    let plain = format!(
        "[profiles.plain]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\ninsecure_http = true\n",
        unused.url()
    );
    let out = env.run(&plain, &["dpop", "plain", "GET", "https://api.example/x"]);
    assert_failed_with(&out, 2);
    assert_stderr_contains(&out, "dpop = true");
    let out = env.run(
        &profile("api", &unused, &key),
        &["dpop", "api", "GET", "not a url"],
    );
    assert_failed_with(&out, 2);
    assert_eq!(unused.count(), 0);
}

/// A try the transport makes again (503) carries a proof of its own: the
/// endpoint saw the first proof's `jti` and refuses it a second time, as
/// RFC 9449 section 11.1 lets it.
#[test]
fn a_request_tried_again_carries_a_new_proof() {
    let env = Env::new();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let tries = Arc::new(Mutex::new(0u32));
    let okta = Server::start(move |req, _| {
        let host = req.header("host").unwrap_or("");
        let htu = format!("http://{host}/token");
        let (_, jkt) = match check_proof(req.header("dpop"), "POST", &htu, &seen) {
            Ok(ok) => ok,
            Err(why) => {
                return Reply::json(
                    400,
                    json!({"error": "invalid_dpop_proof", "error_description": why}),
                );
            }
        };
        let mut n = tries.lock().unwrap();
        *n += 1;
        if *n == 1 {
            return Reply::json(503, json!({"error": "temporarily_unavailable"}));
        }
        let body = URL_SAFE_NO_PAD.encode(json!({"cnf": {"jkt": jkt}}).to_string());
        Reply::json(
            200,
            json!({"token_type": "DPoP", "access_token": format!("eyJhbGciOiJub25lIn0.{body}.c2ln"), "expires_in": 3600}),
        )
    });
    let name = unique("dpopretry");
    let text = profile(&name, &okta, "");
    let out = env.run(&text, &[&name, "-H"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).starts_with("Authorization: DPoP "),
        "{}",
        stdout(&out)
    );
    let jtis: HashSet<String> = okta
        .requests()
        .iter()
        .map(|r| {
            let claims = r
                .header("dpop")
                .unwrap()
                .split('.')
                .nth(1)
                .unwrap()
                .to_string();
            b64json(&claims).unwrap()["jti"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(okta.count(), 2);
    assert_eq!(jtis.len(), 2, "a proof of its own for each try");
    let _ = env
        .bare_cmd()
        .args(["secret", "delete", &format!("dpop/{name}")])
        .output();
}
