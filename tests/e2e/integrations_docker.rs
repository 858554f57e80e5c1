//! `docker-credential-gettoken`: gettoken as docker's credential helper,
//! driven by the real `docker manifest inspect` (no daemon needed) and
//! `skopeo inspect`, against a registry stand-in on 127.0.0.1 over HTTPS
//! that does what a registry does: 401 with `WWW-Authenticate: Bearer
//! realm=...`, then its token service takes the helper's username and
//! secret as Basic credentials, checks them, and hands out the registry
//! token the manifest request must carry.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::https::HttpsServer;
use crate::tools;
use crate::util::*;

const TOKEN: &str = "docker-token-5e4d3c2b";
const REGISTRY_TOKEN: &str = "registry-session-9a8b";

fn sha256(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The registry stand-in: accepts only `username` with [`TOKEN`] at its
/// token service.
fn registry(env: &Env, username: &'static str) -> HttpsServer {
    let config = b"{}".to_vec();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config.len(),
            "digest": sha256(&config),
        },
        "layers": [],
    })
    .to_string();
    HttpsServer::start(env.root(), move |req, base| {
        let challenge = format!(
            "Bearer realm=\"{base}/token\",service=\"gettoken-test\",scope=\"repository:app:pull\""
        );
        let unauthorized = || {
            Reply::json(
                401,
                json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
            )
            .with_header("WWW-Authenticate", &challenge)
            .with_header("Docker-Distribution-Api-Version", "registry/2.0")
        };
        let bearer_ok = req.header("authorization") == Some(&format!("Bearer {REGISTRY_TOKEN}"));
        match req.path() {
            "/token" => match req.basic_auth() {
                Some((user, secret)) if user == username && secret == TOKEN => Reply::json(
                    200,
                    json!({"token": REGISTRY_TOKEN, "access_token": REGISTRY_TOKEN, "expires_in": 300}),
                ),
                _ => Reply::json(
                    401,
                    json!({"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}),
                ),
            },
            _ if !bearer_ok => unauthorized(),
            "/v2/" => Reply::json(200, json!({}))
                .with_header("Docker-Distribution-Api-Version", "registry/2.0"),
            "/v2/app/manifests/latest" => Reply {
                status: 200,
                headers: vec![
                    (
                        "Content-Type".into(),
                        "application/vnd.docker.distribution.manifest.v2+json".into(),
                    ),
                    ("Docker-Content-Digest".into(), sha256(manifest.as_bytes())),
                    (
                        "Docker-Distribution-Api-Version".into(),
                        "registry/2.0".into(),
                    ),
                ],
                body: manifest.as_bytes().to_vec(),
            },
            p if p.starts_with("/v2/app/blobs/") => Reply {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: config.clone(),
            },
            _ => Reply::json(404, json!({"errors": [{"code": "NAME_UNKNOWN"}]})),
        }
    })
}

/// The profiles file: profile `reg` for the registry's host.
fn profiles(env: &Env, token_url: &str, registry_host: &str, extra: &str) -> PathBuf {
    env.write_config(&format!(
        "[consumers.docker]\n\"{registry_host}\" = \"reg\"\n\n[profiles.reg]\nflavour = \"oauth2\"\ntoken_url = \"{token_url}/token\"\nclient_id = \"d\"\nclient_secret = \"docker-secret-1\"\n{extra}\n"
    ))
}

/// docker's config directory naming `gettoken` for the registry, and a
/// bin directory holding the links `gettoken install-helpers` made.
fn docker_setup(env: &Env, registry_host: &str) -> (PathBuf, PathBuf) {
    let docker_dir = env.root().join("docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    std::fs::write(
        docker_dir.join("config.json"),
        json!({"credHelpers": {registry_host: "gettoken"}}).to_string(),
    )
    .unwrap();
    let bin = env.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let out = env
        .bare_cmd()
        .arg("install-helpers")
        .arg(&bin)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(bin.join("docker-credential-gettoken").exists());
    (docker_dir, bin)
}

fn client(env: &Env, program: &str, bin: &Path, ca: &Path, config: &Path) -> std::process::Command {
    let mut cmd = tools::command(env, program);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path)
        .env("SSL_CERT_FILE", ca)
        .env("GETTOKEN_CONFIG", config);
    cmd
}

fn docker_inspect(env: &Env, reg: &HttpsServer, config: &Path) -> std::process::Output {
    let (docker_dir, bin) = docker_setup(env, &reg.host());
    let mut cmd = client(env, "docker", &bin, &reg.ca_file, config);
    cmd.env("DOCKER_CONFIG", &docker_dir)
        .args(["manifest", "inspect"])
        .arg(format!("{}/app:latest", reg.host()));
    tools::run(&mut cmd, b"")
}

fn skopeo_inspect(env: &Env, reg: &HttpsServer, config: &Path) -> std::process::Output {
    let (docker_dir, bin) = docker_setup(env, &reg.host());
    let mut cmd = client(env, "skopeo", &bin, &reg.ca_file, config);
    cmd.args(["inspect", "--raw", "--authfile"])
        .arg(docker_dir.join("config.json"))
        .arg(format!("docker://{}/app:latest", reg.host()));
    tools::run(&mut cmd, b"")
}

fn basic_sent(reg: &HttpsServer) -> Vec<(String, String)> {
    reg.requests()
        .iter()
        .filter(|r| r.path() == "/token")
        .filter_map(|r| r.basic_auth())
        .collect()
}

#[test]
fn docker_manifest_inspect_through_the_helper() {
    if !tools::have("docker") {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env, "oauth2accesstoken");
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = docker_inspect(&env, &reg, &config);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("schemaVersion"), "{}", stdout(&out));
    assert_eq!(
        basic_sent(&reg),
        [("oauth2accesstoken".to_string(), TOKEN.to_string())]
    );
    assert!(!stderr(&out).contains(TOKEN));
}

#[test]
fn skopeo_inspect_through_the_helper_with_a_username_of_the_profile() {
    if !tools::have("skopeo") {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env, "00000000-0000-0000-0000-000000000000");
    let config = profiles(
        &env,
        &server.url(),
        &reg.host(),
        "docker_username = \"00000000-0000-0000-0000-000000000000\"",
    );
    let out = skopeo_inspect(&env, &reg, &config);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("schemaVersion"), "{}", stdout(&out));
    assert!(
        basic_sent(&reg)
            .iter()
            .all(|(u, s)| u == "00000000-0000-0000-0000-000000000000" && s == TOKEN),
        "{:?}",
        basic_sent(&reg)
    );
    assert!(!basic_sent(&reg).is_empty());
}

#[test]
fn a_wrong_token_fails_as_docker_reports_unauthorized() {
    if !tools::have("docker") {
        return;
    }
    let server = Server::token("not-the-registry-s-token");
    let env = Env::new();
    let reg = registry(&env, "oauth2accesstoken");
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = docker_inspect(&env, &reg, &config);
    assert!(!out.status.success());
    assert!(
        stderr(&out).to_ascii_lowercase().contains("unauthorized"),
        "{}",
        stderr(&out)
    );
    assert!(!basic_sent(&reg).is_empty(), "the helper's answer was used");
}

#[test]
fn the_helper_protocol_get_list_store_erase() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let config = profiles(
        &env,
        &server.url(),
        "Registry.Example.com",
        "cache = \"file\"",
    );
    let run = |op: &str, input: &str| {
        let mut cmd = env.bare_cmd();
        cmd.env("GETTOKEN_CONFIG", &config)
            .args(["docker-credential", op])
            .write_stdin(input.to_string());
        cmd.output().unwrap()
    };
    let out = run("get", "https://registry.example.com/v1/\n");
    assert_code(&out, 0);
    assert_eq!(
        stdout_json(&out),
        json!({"ServerURL": "https://registry.example.com/v1/", "Username": "oauth2accesstoken", "Secret": TOKEN})
    );
    assert!(env.file_cache_entry("reg").exists());
    // A registry the table does not name: docker's own words, exit 1.
    let out = run("get", "other.example.com\n");
    assert_code(&out, 1);
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");
    let out = run("list", "");
    assert_code(&out, 0);
    assert_eq!(
        stdout_json(&out),
        json!({"Registry.Example.com": "oauth2accesstoken"})
    );
    let out = run(
        "store",
        r#"{"ServerURL":"registry.example.com","Username":"u","Secret":"s"}"#,
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
    let out = run("erase", "registry.example.com\n");
    assert_code(&out, 0);
    assert!(
        !env.file_cache_entry("reg").exists(),
        "erase drops the token"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn config_check_reports_a_consumer_entry_naming_no_profile() {
    let env = Env::new();
    let out = env.run(
        "[consumers.docker]\n\"r.example\" = \"rge\"\n\n[profiles.reg]\nflavour = \"http\"\nurl = \"https://a.example/t\"\nresponse.token = \"/t\"\n",
        &["config", "check"],
    );
    assert_code(&out, 2);
    assert_stderr_contains(&out, "[consumers.docker]");
    assert_stderr_contains(&out, "names no profile of the file: `rge`");
}
