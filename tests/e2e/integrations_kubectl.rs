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

// ---- the real kubectl, both API versions ----

/// kubectl 1.20, unpacked from Debian's kubernetes-client by
/// scripts/install-deps.sh ($GETTOKEN_TEST_OLD_KUBECTL_DIR to move it).
fn old_kubectl() -> Option<std::path::PathBuf> {
    let dir = std::env::var("GETTOKEN_TEST_OLD_KUBECTL_DIR")
        .unwrap_or_else(|_| "/opt/gettoken-test/kubernetes-client".into());
    let path = std::path::Path::new(&dir).join("usr/bin/kubectl");
    if path.is_file() {
        Some(path)
    } else {
        component_missing(
            &format!("kubectl 1.20 is not at {}", path.display()),
            "run scripts/install-deps.sh as root",
        );
        None
    }
}

/// An API server on 127.0.0.1 over HTTPS that answers 200 only to
/// `Authorization: Bearer TOKEN`, 401 (a Status, as kube-apiserver) else.
fn api_server(env: &Env) -> crate::https::HttpsServer {
    crate::https::HttpsServer::start(env.root(), |req, _| {
        if req.header("authorization") == Some(&format!("Bearer {TOKEN}")) {
            Reply::json(200, json!({"kind": "APIVersions", "versions": ["v1"]}))
        } else {
            Reply::json(
                401,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Unauthorized", "code": 401}),
            )
        }
    })
}

/// A kubeconfig whose user runs `gettoken get kube --format
/// exec-credential` with `api_version`.
fn kubeconfig(
    env: &Env,
    api: &crate::https::HttpsServer,
    config: &std::path::Path,
    api_version: &str,
) -> std::path::PathBuf {
    let mode = if api_version.ends_with("/v1") {
        "      interactiveMode: Never\n"
    } else {
        ""
    };
    env.write_file(
        "kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: {api_version}\n      command: {bin}\n      args: [\"--config\", \"{config}\", \"get\", \"kube\", \"--format\", \"exec-credential\"]\n{mode}contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n",
            server = api.url(),
            ca = api.ca_file.display(),
            bin = crate::tools::gettoken_bin().display(),
            config = config.display(),
        ),
    )
}

fn kubectl_raw(
    env: &Env,
    kubectl: &std::path::Path,
    kubeconfig: &std::path::Path,
) -> std::process::Output {
    let mut cmd = crate::tools::command(env, kubectl);
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "--raw", "/api"]);
    crate::tools::run(&mut cmd, b"")
}

fn through_kubectl(kubectl: &std::path::Path, api_version: &str) {
    let server = Server::token(TOKEN);
    let env = Env::new();
    let api = api_server(&env);
    let config = env.write_config(&profile(&server.url(), ""));
    let kubeconfig = kubeconfig(&env, &api, &config, api_version);
    let out = kubectl_raw(&env, kubectl, &kubeconfig);
    assert!(
        out.status.success(),
        "kubectl with {api_version}: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("APIVersions"), "{}", stdout(&out));
    let seen = api.requests();
    assert!(
        seen.iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))),
        "{seen:#?}"
    );
    assert!(!stderr(&out).contains(TOKEN), "{}", stderr(&out));
}

/// A token the API server does not accept: kubectl fails as it reports
/// credential errors ("must be logged in", Unauthorized, exit 1), and
/// gettoken's token is not shown.
#[test]
fn a_wrong_token_fails_as_kubectl_reports_unauthorized() {
    if !crate::tools::have_by("kubectl", &["version", "--client"]) {
        return;
    }
    let server = Server::token("not-the-api-servers-token-7c1d");
    let env = Env::new();
    let api = api_server(&env);
    let config = env.write_config(&profile(&server.url(), ""));
    let kubeconfig = kubeconfig(&env, &api, &config, "client.authentication.k8s.io/v1");
    let out = kubectl_raw(&env, std::path::Path::new("kubectl"), &kubeconfig);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Unauthorized") || err.contains("must be logged in"),
        "{err}"
    );
    assert!(!err.contains("not-the-api-servers-token-7c1d"), "{err}");
    assert!(
        api.requests()
            .iter()
            .any(|r| r.header("authorization") == Some("Bearer not-the-api-servers-token-7c1d")),
        "kubectl sent gettoken's token"
    );
}

#[test]
fn kubectl_with_a_v1_kubeconfig() {
    if crate::tools::have_by("kubectl", &["version", "--client"]) {
        through_kubectl(
            std::path::Path::new("kubectl"),
            "client.authentication.k8s.io/v1",
        );
    }
}

#[test]
fn kubectl_with_a_v1beta1_kubeconfig() {
    if crate::tools::have_by("kubectl", &["version", "--client"]) {
        through_kubectl(
            std::path::Path::new("kubectl"),
            "client.authentication.k8s.io/v1beta1",
        );
    }
}

#[test]
fn kubectl_1_20_which_speaks_only_v1beta1() {
    if let Some(kubectl) = old_kubectl() {
        through_kubectl(&kubectl, "client.authentication.k8s.io/v1beta1");
    }
}

#[test]
fn the_apiversion_kubectl_sends_is_echoed() {
    let server = Server::token(TOKEN);
    let env = Env::new();
    for version in ["v1", "v1beta1"] {
        let info = format!(
            r#"{{"apiVersion":"client.authentication.k8s.io/{version}","kind":"ExecCredential","spec":{{"interactive":true}}}}"#
        );
        let out = env.run_with_env(
            &profile(&server.url(), ""),
            &["kube", "--format", "exec-credential"],
            &[("KUBERNETES_EXEC_INFO", &info)],
        );
        assert_eq!(
            credential(&out)["apiVersion"],
            format!("client.authentication.k8s.io/{version}")
        );
    }
    let out = env.run_with_env(
        &profile(&server.url(), ""),
        &["kube", "--format", "exec-credential"],
        &[(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
        )],
    );
    assert_code(&out, 2);
    assert_stderr_contains(&out, "v1alpha1");
}

/// A device-login profile whose device endpoint counts its calls.
fn device_profile(base: &str) -> String {
    format!(
        "[profiles.kube]\nflavour = \"oauth2\"\ngrant = \"device_code\"\ntoken_url = \"{base}/token\"\ndevice_url = \"{base}/device\"\nclient_id = \"k\"\n"
    )
}

#[test]
fn not_interactive_starts_no_device_login() {
    let server = Server::json(
        200,
        json!({"device_code": "dc", "user_code": "UC", "verification_uri": "https://x.example/d", "expires_in": 600, "interval": 1}),
    );
    let env = Env::new();
    let info = r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#;
    let started = std::time::Instant::now();
    let out = env.run_with_env(
        &device_profile(&server.url()),
        &["kube", "--format", "exec-credential"],
        &[("KUBERNETES_EXEC_INFO", info)],
    );
    assert_code(&out, 3);
    assert_stderr_contains(&out, "gettoken get kube");
    assert_eq!(server.count(), 0, "no device login was started");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(stdout(&out), "");
}

#[test]
fn kubectl_never_interactive_gets_the_command_to_run() {
    if !crate::tools::have_by("kubectl", &["version", "--client"]) {
        return;
    }
    let server = Server::json(
        200,
        json!({"device_code": "dc", "user_code": "UC", "verification_uri": "https://x.example/d", "expires_in": 600, "interval": 1}),
    );
    let env = Env::new();
    let api = api_server(&env);
    let config = env.write_config(&device_profile(&server.url()));
    let kubeconfig = kubeconfig(&env, &api, &config, "client.authentication.k8s.io/v1");
    let out = kubectl_raw(&env, std::path::Path::new("kubectl"), &kubeconfig);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("gettoken get kube"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.count(), 0, "no device login was started");
}
