//! `terraform-credentials-gettoken`: gettoken as terraform's credentials
//! helper, driven by the real `terraform init` against a module registry
//! stand-in on 127.0.0.1 over HTTPS (private CA through `SSL_CERT_FILE`):
//! service discovery at `/.well-known/terraform.json`, and a modules API
//! that answers 401 without `Authorization: Bearer TOKEN`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::https::HttpsServer;
use crate::tools;
use crate::util::*;

const TOKEN: &str = "terraform-token-1a2b3c4d";

/// The registry stand-in: module `ns/tiny/null` 1.0.0, a tar.gz of one
/// `main.tf`.
fn registry(env: &Env) -> HttpsServer {
    let src = env.root().join("module-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("main.tf"),
        "output \"hello\" {\n  value = \"tiny\"\n}\n",
    )
    .unwrap();
    let out = Command::new("tar")
        .current_dir(&src)
        .args(["czf", "../module.tar.gz", "main.tf"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = std::fs::read(env.root().join("module.tar.gz")).unwrap();
    HttpsServer::start(env.root(), move |req, base| {
        let authorized = req.header("authorization") == Some(&format!("Bearer {TOKEN}"));
        match req.path() {
            "/.well-known/terraform.json" => {
                Reply::json(200, json!({"modules.v1": "/v1/modules/"}))
            }
            "/archive/module.tar.gz" => Reply {
                status: 200,
                headers: vec![("Content-Type".into(), "application/gzip".into())],
                body: archive.clone(),
            },
            _ if !authorized => Reply::json(401, json!({"errors": ["not authorized"]})),
            "/v1/modules/ns/tiny/null/versions" => Reply::json(
                200,
                json!({"modules": [{"versions": [{"version": "1.0.0"}]}]}),
            ),
            "/v1/modules/ns/tiny/null/1.0.0/download" => Reply {
                status: 204,
                headers: vec![(
                    "X-Terraform-Get".into(),
                    format!("{base}/archive/module.tar.gz"),
                )],
                body: vec![],
            },
            _ => Reply::json(404, json!({"errors": ["not found"]})),
        }
    })
}

/// The profiles file: profile `tf` for the registry's host.
fn profiles(env: &Env, token_url: &str, host: &str, extra: &str) -> PathBuf {
    env.write_config(&format!(
        "[consumers.terraform]\n\"{host}\" = \"tf\"\n\n[profiles.tf]\nflavour = \"oauth2\"\ntoken_url = \"{token_url}/token\"\nclient_id = \"t\"\nclient_secret = \"terraform-secret-1\"\n{extra}\n"
    ))
}

/// `terraform init` of a configuration using the registry's module, with
/// a CLI config naming the gettoken helper, linked into the plugins
/// directory by `gettoken install-helpers`.
fn terraform_init(env: &Env, reg: &HttpsServer, config: &Path) -> std::process::Output {
    let plugins = env.home().join(".terraform.d/plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let out = env
        .bare_cmd()
        .arg("install-helpers")
        .arg(&plugins)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(plugins.join("terraform-credentials-gettoken").exists());
    let rc = env.write_file("terraformrc", "credentials_helper \"gettoken\" {}\n");
    let project = env.root().join("tf-project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("main.tf"),
        format!(
            "module \"x\" {{\n  source  = \"{}/ns/tiny/null\"\n  version = \"1.0.0\"\n}}\n",
            reg.host()
        ),
    )
    .unwrap();
    let mut cmd = tools::command(env, "terraform");
    cmd.current_dir(&project)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("SSL_CERT_FILE", &reg.ca_file)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("GETTOKEN_CONFIG", config)
        .args(["init", "-input=false", "-no-color", "-backend=false"]);
    tools::run(&mut cmd, b"")
}

fn bearer_sent(reg: &HttpsServer) -> Vec<String> {
    reg.requests()
        .iter()
        .filter(|r| r.path().starts_with("/v1/"))
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect()
}

#[test]
fn terraform_init_fetches_a_module_through_the_helper() {
    if !tools::have("terraform") {
        return;
    }
    let server = Server::token(TOKEN);
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = terraform_init(&env, &reg, &config);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        env.root()
            .join("tf-project/.terraform/modules/x/main.tf")
            .exists(),
        "{}",
        stdout(&out)
    );
    let sent = bearer_sent(&reg);
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|h| *h == format!("Bearer {TOKEN}")),
        "{sent:?}"
    );
    assert!(!stdout(&out).contains(TOKEN) && !stderr(&out).contains(TOKEN));
}

#[test]
fn a_wrong_token_fails_as_terraform_reports_unauthorized() {
    if !tools::have("terraform") {
        return;
    }
    let server = Server::token("not-the-registry-s-token");
    let env = Env::new();
    let reg = registry(&env);
    let config = profiles(&env, &server.url(), &reg.host(), "");
    let out = terraform_init(&env, &reg, &config);
    assert!(!out.status.success());
    let text = format!("{}{}", stdout(&out), stderr(&out)).to_ascii_lowercase();
    assert!(
        text.contains("401") || text.contains("unauthorized"),
        "{text}"
    );
    assert_eq!(bearer_sent(&reg), ["Bearer not-the-registry-s-token"]);
}

#[test]
fn the_helper_protocol_get_store_forget() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let config = profiles(&env, &server.url(), "tf.example", "cache = \"file\"");
    let run = |args: &[&str], input: &str| {
        let mut cmd = env.bare_cmd();
        cmd.env("GETTOKEN_CONFIG", &config)
            .arg("terraform-credentials")
            .args(args)
            .write_stdin(input.to_string());
        cmd.output().unwrap()
    };
    let out = run(&["get", "TF.example"], "");
    assert_code(&out, 0);
    assert_eq!(stdout_json(&out), json!({"token": TOKEN}));
    assert!(env.file_cache_entry("tf").exists());
    let out = run(&["get", "other.example"], "");
    assert_code(&out, 0);
    assert_eq!(stdout_json(&out), json!({}));
    let out = run(&["store", "tf.example"], r#"{"token":"typed-by-hand"}"#);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
    let out = run(&["forget", "tf.example"], "");
    assert_code(&out, 0);
    assert!(
        !env.file_cache_entry("tf").exists(),
        "forget drops the token"
    );
    assert_eq!(server.count(), 1);
}
