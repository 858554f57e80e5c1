//! `gettoken-npm-PROFILE`: gettoken as pnpm's `tokenHelper`, driven by the
//! real `pnpm install` against an npm registry stand-in on 127.0.0.1 over
//! HTTPS (private CA through `cafile`) whose packument and tarball answer
//! 401 without `Authorization: Bearer TOKEN`. pnpm comes from npm
//! (`scripts/install-deps.sh` installs pnpm 9; GETTOKEN_TEST_PNPM names
//! another).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::json;

use crate::https::HttpsServer;
use crate::tools;
use crate::util::*;

const TOKEN: &str = "npm-token-9c8b7a6f";

/// The pnpm to run.
fn pnpm() -> String {
    std::env::var("GETTOKEN_TEST_PNPM").unwrap_or_else(|_| "pnpm".into())
}

/// The registry stand-in serving `tiny-pkg` 1.0.0.
fn registry(env: &Env) -> HttpsServer {
    let src = env.root().join("pkg-src/package");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("package.json"),
        json!({"name": "tiny-pkg", "version": "1.0.0", "main": "index.js"}).to_string(),
    )
    .unwrap();
    std::fs::write(src.join("index.js"), "module.exports = 'tiny';\n").unwrap();
    let out = Command::new("tar")
        .current_dir(src.parent().unwrap())
        .args(["czf", "../tiny-pkg-1.0.0.tgz", "package"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tarball = std::fs::read(env.root().join("tiny-pkg-1.0.0.tgz")).unwrap();
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD
            .encode(ring::digest::digest(&ring::digest::SHA512, &tarball))
    );
    HttpsServer::start(env.root(), move |req, base| {
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(401, json!({"error": "authentication required"}));
        }
        match req.path() {
            "/tiny-pkg" => Reply::json(
                200,
                json!({
                    "name": "tiny-pkg",
                    "dist-tags": {"latest": "1.0.0"},
                    "versions": {"1.0.0": {
                        "name": "tiny-pkg", "version": "1.0.0",
                        "dist": {"tarball": format!("{base}/tiny-pkg/-/tiny-pkg-1.0.0.tgz"), "integrity": integrity},
                    }},
                }),
            ),
            "/tiny-pkg/-/tiny-pkg-1.0.0.tgz" => Reply {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: tarball.clone(),
            },
            _ => Reply::json(404, json!({"error": "not found"})),
        }
    })
}

/// The profiles file: profile `reg`.
fn profiles(env: &Env, token_url: &str) -> PathBuf {
    env.write_config(&format!(
        "[profiles.reg]\nflavour = \"oauth2\"\ntoken_url = \"{token_url}/token\"\nclient_id = \"n\"\nclient_secret = \"npm-secret-1\"\n"
    ))
}

/// `pnpm install` of a project depending on `tiny-pkg`, the user's
/// .npmrc naming the helper link `gettoken install-helpers --npm reg` made.
fn pnpm_install(env: &Env, reg: &HttpsServer, config: &Path) -> std::process::Output {
    let bin = env.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let out = env
        .bare_cmd()
        .args(["install-helpers", "--npm", "reg"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_code(&out, 0);
    let helper = bin.join("gettoken-npm-reg");
    assert!(helper.exists());
    std::fs::write(
        env.home().join(".npmrc"),
        format!(
            "registry={url}/\ncafile={ca}\n//{host}/:tokenHelper={helper}\n",
            url = reg.url(),
            ca = reg.ca_file.display(),
            host = reg.host(),
            helper = helper.display()
        ),
    )
    .unwrap();
    let project = env.root().join("npm-project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        json!({"name": "user", "version": "1.0.0", "dependencies": {"tiny-pkg": "1.0.0"}})
            .to_string(),
    )
    .unwrap();
    let mut cmd = tools::command(env, pnpm());
    cmd.current_dir(&project)
        .env("GETTOKEN_CONFIG", config)
        .env("NODE_EXTRA_CA_CERTS", &reg.ca_file)
        .args(["install", "--no-frozen-lockfile", "--reporter=append-only"])
        .arg("--store-dir")
        .arg(env.root().join("pnpm-store"));
    tools::run(&mut cmd, b"")
}

fn bearer_sent(reg: &HttpsServer) -> Vec<String> {
    reg.requests()
        .iter()
        .filter(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}")))
        .map(|r| r.path().to_string())
        .collect()
}

#[test]
fn pnpm_install_from_a_registry_through_the_token_helper() {
    if !tools::have(&pnpm()) {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url());
    let out = pnpm_install(&env, &reg, &config);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        env.root()
            .join("npm-project/node_modules/tiny-pkg/index.js")
            .exists(),
        "{}",
        stdout(&out)
    );
    let sent = bearer_sent(&reg);
    assert!(sent.iter().any(|p| p == "/tiny-pkg"), "{sent:?}");
    assert!(sent.iter().any(|p| p.ends_with(".tgz")), "{sent:?}");
    assert!(!stdout(&out).contains(TOKEN) && !stderr(&out).contains(TOKEN));
}

#[test]
fn a_wrong_token_fails_as_pnpm_reports_unauthorized() {
    if !tools::have(&pnpm()) {
        return;
    }
    let server = Server::token("not-the-registry-s-token");
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url());
    let out = pnpm_install(&env, &reg, &config);
    assert!(!out.status.success());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("401"), "{text}");
    assert!(bearer_sent(&reg).is_empty());
    assert!(server.count() >= 1, "the helper was run");
}

#[test]
fn the_helper_prints_the_authorization_value_and_starts_no_login() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let config = profiles(&env, &server.url());
    let out = env
        .bare_cmd()
        .env("GETTOKEN_CONFIG", &config)
        .args(["npm-token", "reg"])
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_eq!(stdout(&out), format!("Bearer {TOKEN}\n"));
    let out = env
        .bare_cmd()
        .args(["install-helpers", "--npm", "../x"])
        .arg(env.root())
        .output()
        .unwrap();
    assert_code(&out, 2);
}
