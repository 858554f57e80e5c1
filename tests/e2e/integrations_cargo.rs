//! `gettoken cargo-credential`: gettoken as cargo's credential provider,
//! driven by the real `cargo fetch` against a sparse registry stand-in on
//! 127.0.0.1 over HTTPS (private CA through `CARGO_HTTP_CAINFO`) with
//! `auth-required`: its config.json, index file and .crate download all
//! answer 401 without `Authorization: TOKEN`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::https::HttpsServer;
use crate::tools;
use crate::util::*;

const TOKEN: &str = "cargo-token-7f6e5d4c";

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The real cargo: the one running the tests (`CARGO`), else `cargo`.
fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| "cargo".into())
}

/// `tiny-0.1.0.crate`, made with tar.
fn tiny_crate(env: &Env) -> Vec<u8> {
    let src = env.root().join("crate-src");
    std::fs::create_dir_all(src.join("tiny-0.1.0/src")).unwrap();
    std::fs::write(
        src.join("tiny-0.1.0/Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(src.join("tiny-0.1.0/src/lib.rs"), "pub fn tiny() {}\n").unwrap();
    let out = Command::new("tar")
        .current_dir(&src)
        .args(["czf", "tiny-0.1.0.crate", "tiny-0.1.0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read(src.join("tiny-0.1.0.crate")).unwrap()
}

/// The registry stand-in, taking only [`TOKEN`].
fn registry(env: &Env) -> HttpsServer {
    let krate = tiny_crate(env);
    let entry = json!({
        "name": "tiny", "vers": "0.1.0", "deps": [], "cksum": sha256_hex(&krate),
        "features": {}, "yanked": false,
    })
    .to_string();
    HttpsServer::start(env.root(), move |req, base| {
        if req.header("authorization") != Some(TOKEN) {
            return Reply::json(401, json!({"errors": [{"detail": "a token is required"}]}))
                .with_header(
                    "WWW-Authenticate",
                    "Cargo login_url=\"https://127.0.0.1/me\"",
                );
        }
        match req.path() {
            "/index/config.json" => Reply::json(
                200,
                json!({"dl": format!("{base}/dl"), "api": base, "auth-required": true}),
            ),
            "/index/ti/ny/tiny" => Reply::text(200, &format!("{entry}\n")),
            "/dl/tiny/0.1.0/download" => Reply {
                status: 200,
                headers: vec![("Content-Type".into(), "application/gzip".into())],
                body: krate.clone(),
            },
            _ => Reply::text(404, "not found"),
        }
    })
}

/// The profiles file: profile `crates` for the registry's host.
fn profiles(env: &Env, token_url: &str, host: &str, extra: &str) -> PathBuf {
    env.write_config(&format!(
        "[consumers.cargo]\n\"{host}\" = \"crates\"\n\n[profiles.crates]\nflavour = \"oauth2\"\ntoken_url = \"{token_url}/token\"\nclient_id = \"c\"\nclient_secret = \"cargo-secret-1\"\n{extra}\n"
    ))
}

/// `cargo fetch` in a project depending on `tiny` from the registry, with
/// a CARGO_HOME of its own naming gettoken as the registry's provider.
fn cargo_fetch(env: &Env, reg: &HttpsServer, config: &Path) -> std::process::Output {
    let home = env.root().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[registries.local]\nindex = \"sparse+{}/index/\"\ncredential-provider = [{:?}, \"cargo-credential\"]\n",
            reg.url(),
            tools::gettoken_bin().display().to_string()
        ),
    )
    .unwrap();
    let project = env.root().join("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        "[package]\nname = \"user\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntiny = { version = \"0.1\", registry = \"local\" }\n",
    )
    .unwrap();
    std::fs::write(project.join("src/lib.rs"), "").unwrap();
    let mut cmd = tools::command(env, cargo_program());
    if let Some(rustup) = std::env::var_os("RUSTUP_HOME")
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".rustup").into()))
    {
        cmd.env("RUSTUP_HOME", rustup);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_") {
            cmd.env_remove(&name);
        }
    }
    cmd.current_dir(&project)
        .env("CARGO_HOME", &home)
        .env("CARGO_TARGET_DIR", env.root().join("target"))
        .env("CARGO_HTTP_CAINFO", &reg.ca_file)
        .env("CARGO_TERM_COLOR", "never")
        .env("GETTOKEN_CONFIG", config)
        .arg("fetch");
    tools::run(&mut cmd, b"")
}

fn authorized(reg: &HttpsServer) -> Vec<String> {
    reg.requests()
        .iter()
        .filter(|r| r.header("authorization") == Some(TOKEN))
        .map(|r| r.path().to_string())
        .collect()
}

#[test]
fn cargo_fetch_from_an_auth_required_registry_through_the_provider() {
    if !tools::have(&cargo_program().display().to_string()) {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = cargo_fetch(&env, &reg, &config);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let paths = authorized(&reg);
    for wanted in [
        "/index/config.json",
        "/index/ti/ny/tiny",
        "/dl/tiny/0.1.0/download",
    ] {
        assert!(paths.iter().any(|p| p == wanted), "{wanted}: {paths:?}");
    }
    assert!(!stderr(&out).contains(TOKEN));
    assert_eq!(server.count(), 1, "cargo keeps the token for its run");
}

#[test]
fn a_wrong_token_fails_as_cargo_reports_unauthorized() {
    if !tools::have(&cargo_program().display().to_string()) {
        return;
    }
    let server = Server::token("not-the-registry-s-token");
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = cargo_fetch(&env, &reg, &config);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    assert_eq!(server.count(), 1, "the provider was asked");
    assert!(authorized(&reg).is_empty());
    assert!(!stderr(&out).contains("not-the-registry-s-token"));
}

#[test]
fn a_registry_without_a_profile_is_not_found_for_cargo() {
    if !tools::have(&cargo_program().display().to_string()) {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url(), "127.0.0.1:1", "");
    let out = cargo_fetch(&env, &reg, &config);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no token found"), "{}", stderr(&out));
    assert_eq!(server.count(), 0);
}

#[test]
fn the_provider_protocol_hello_get_logout() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let config = profiles(&env, &server.url(), "crates.example", "cache = \"file\"");
    let run = |input: &str, args: &[&str]| {
        let mut cmd = env.bare_cmd();
        cmd.env("GETTOKEN_CONFIG", &config)
            .arg("cargo-credential")
            .args(args)
            .arg("--cargo-plugin")
            .write_stdin(input.to_string());
        cmd.output().unwrap()
    };
    let get = r#"{"v":1,"registry":{"index-url":"sparse+https://Crates.Example/index/","name":"ex"},"kind":"get","operation":"read","args":[]}"#;
    let out = run(&format!("{get}\n"), &[]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"v":[1]}"#);
    let answer: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(answer["Ok"]["kind"], "get");
    assert_eq!(answer["Ok"]["token"], TOKEN);
    assert_eq!(answer["Ok"]["cache"], "expires");
    assert!(answer["Ok"]["expiration"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(answer["Ok"]["operation_independent"], true);
    assert!(env.file_cache_entry("crates").exists());
    // With a scheme, and the profile named on the command line.
    let out = run(
        r#"{"v":1,"registry":{"index-url":"sparse+https://other.example/index/"},"kind":"get","operation":"publish"}"#,
        &["crates", "--scheme", "Bearer"],
    );
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains(&format!("\"Bearer {TOKEN}\"")),
        "{}",
        stdout(&out)
    );
    // A registry no profile serves: not-found, so cargo tries the next provider.
    let out = run(
        r#"{"v":1,"registry":{"index-url":"sparse+https://other.example/index/"},"kind":"get","operation":"read"}"#,
        &[],
    );
    assert_code(&out, 0);
    assert!(
        stdout(&out).ends_with("{\"Err\":{\"kind\":\"not-found\"}}\n"),
        "{}",
        stdout(&out)
    );
    let out = run(
        r#"{"v":1,"registry":{"index-url":"sparse+https://crates.example/index/"},"kind":"logout"}"#,
        &[],
    );
    assert_code(&out, 0);
    assert!(
        stdout(&out).ends_with("{\"Ok\":{\"kind\":\"logout\"}}\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        !env.file_cache_entry("crates").exists(),
        "logout forgets the token"
    );
    assert_eq!(server.count(), 1);
}
