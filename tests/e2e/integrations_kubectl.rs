//! `--format exec-credential`: gettoken as a kubectl credential plugin. The
//! output is checked against what client-go reads from a plugin's stdout:
//! apiVersion, kind, status.token and status.expirationTimestamp.

use serde_json::{Value, json};

use crate::util::*;

const TOKEN: &str = "kube-token-8d7c6b5a";

fn profile(base: &str, extra: &str) -> String {
    format!(
        "[profiles.kube]\nflavour = \"oauth2\"\ntoken_url = \"{base}/token\"\nclient_id = \"k\"\nclient_secret = \"kube-secret-1\"\n{extra}\n"
    )
}

/// The ExecCredential on stdout, which must be one JSON document and a
/// newline, nothing else.
fn credential(out: &std::process::Output) -> Value {
    assert_code(out, 0);
    let text = stdout(out);
    assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
    stdout_json(out)
}

#[test]
fn exec_credential_has_the_fields_kubectl_reads() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    // kubectl runs the plugin with KUBERNETES_EXEC_INFO set and no stdin.
    let info = r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#;
    let out = env.run_with_env(
        &profile(&server.url(), ""),
        &["kube", "--format", "exec-credential"],
        &[("KUBERNETES_EXEC_INFO", info)],
    );
    let cred = credential(&out);
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["status"]["token"], TOKEN);
    let at = cred["status"]["expirationTimestamp"]
        .as_str()
        .unwrap_or_else(|| panic!("no expirationTimestamp: {cred}"));
    // RFC 3339 in UTC, as metav1.Time is written: 2006-01-02T15:04:05Z.
    assert!(at.ends_with('Z') && at.len() == 20, "{at}");
    assert!(
        (rfc3339_to_unix(at) - (now_unix() + 3600)).abs() <= 5,
        "{at}"
    );
    let keys: Vec<&String> = cred.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "status"], "{cred}");
    assert!(!stderr(&out).contains(TOKEN));
    assert_no_leak(&out, &["kube-secret-1"]);
}

#[test]
fn a_token_without_expiry_has_no_expiration_timestamp() {
    // An opaque token and no expires_in: kubectl then keeps using it until
    // the API server answers 401, and runs the plugin again.
    let server = Server::json(200, json!({"access_token": TOKEN}));
    let out = Env::new().run(
        &profile(&server.url(), ""),
        &["kube", "--format", "exec-credential"],
    );
    let cred = credential(&out);
    assert_eq!(cred["status"], json!({ "token": TOKEN }));
}

#[test]
fn output_exec_credential_in_the_profile() {
    let server = Server::token(TOKEN);
    let out = Env::new().run(
        &profile(&server.url(), "output = \"exec-credential\""),
        &["kube"],
    );
    assert_eq!(credential(&out)["status"]["token"], TOKEN);
}

#[test]
fn a_cached_token_keeps_its_expiry() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let text = profile(&server.url(), "");
    let path = env
        .write_profiles(&text.replace("[profiles.kube]\n", "[profiles.kube]\ncache = \"file\"\n"));
    let run = || {
        let mut cmd = env.bare_cmd();
        cmd.arg("--config")
            .arg(&path)
            .args(["kube", "--format", "exec-credential"]);
        credential(&cmd.output().unwrap())
    };
    let first = run();
    let second = run();
    assert_eq!(first, second);
    assert_eq!(server.count(), 1, "the second came from the cache");
}
