//! The static Linux binary (musl; the release artifact): that it is static,
//! and that name resolution, the home and config directories and TLS roots
//! behave as in the dynamic build, each case run through both binaries and
//! compared. scripts/test.sh builds it (when the `x86_64-unknown-linux-musl`
//! target is installed) and names it in `GETTOKEN_TEST_STATIC_BIN`; without
//! it the tests skip (fail under CI=true). A part of the rest of the suite
//! runs against it too (`GETTOKEN_TEST_BIN`).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::util::*;

fn static_bin() -> Option<PathBuf> {
    let path = setup_var(
        "GETTOKEN_TEST_STATIC_BIN",
        "no static build (rustup target add x86_64-unknown-linux-musl; scripts/test.sh builds it)",
    )?;
    Some(PathBuf::from(path))
}

/// Runs `bin` isolated in `env` with `args` and `vars`.
fn run(bin: &Path, env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::new(bin);
    env.isolate(&mut cmd);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

/// Runs the static and the dynamic binary alike; asserts they agree on the
/// exit status and stdout (digits aside: a server counts its tokens), and
/// returns the static one's output.
fn both(bin: &Path, env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dynamic = run(&gettoken_bin(), env, args, vars);
    let fixed = run(bin, env, args, vars);
    let shape = |out: &Output| {
        let text: String = stdout(out)
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        (out.status.code(), text)
    };
    assert_eq!(
        shape(&fixed),
        shape(&dynamic),
        "static and dynamic builds differ on {args:?}:\nstatic stderr: {}\ndynamic stderr: {}",
        stderr(&fixed),
        stderr(&dynamic)
    );
    fixed
}

fn profile(name: &str, url: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nflavour = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"c\"\nclient_secret = \"s3cret-c\"\ncache = \"none\"\n{extra}\n"
    )
}

#[test]
fn the_static_binary_has_no_interpreter() {
    let Some(bin) = static_bin() else { return };
    let elf = std::fs::read(&bin).unwrap();
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF file");
    let word = |at: usize, n: usize| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&elf[at..at + n]);
        u64::from_le_bytes(b) as usize
    };
    let (phoff, phentsize, phnum) = (word(0x20, 8), word(0x36, 2), word(0x38, 2));
    const PT_INTERP: usize = 3;
    for i in 0..phnum {
        let kind = word(phoff + i * phentsize, 4);
        assert_ne!(kind, PT_INTERP, "it names a dynamic loader: not static");
    }
    let out = run(&bin, &Env::new(), &["--version"], &[]);
    assert_code(&out, 0);
}

#[test]
fn names_resolve_as_in_the_dynamic_build() {
    let Some(bin) = static_bin() else { return };
    let env = Env::new();
    let server = Server::token("tok-static");
    let port = server.url().rsplit(':').next().unwrap().to_string();
    // `localhost`; a name of /etc/hosts other than it (read from the file:
    // /etc/hosts is not ours to change); a name no resolver knows (there is
    // no DNS server here: both builds fail alike, through DNS).
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let other = hosts
        .lines()
        .filter_map(|l| l.split('#').next())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("127.0.0.1")).then(|| words.collect::<Vec<_>>())
        })
        .flatten()
        .find(|name| *name != "localhost")
        .map(str::to_string);
    let mut names = vec!["localhost".to_string()];
    match other {
        Some(name) => names.push(name),
        None => component_missing(
            "/etc/hosts names no host but localhost on 127.0.0.1",
            "add one, e.g. `127.0.0.1 gettoken-test`",
        ),
    }
    for (i, host) in names.iter().enumerate() {
        let name = format!("p{i}");
        // (Plain http to a name that is not `localhost` needs saying so.)
        let text = profile(
            &name,
            &format!("http://{host}:{port}"),
            "insecure_http = true",
        );
        let config = env.write_profiles(&text);
        let config = config.to_str().unwrap();
        let out = both(&bin, &env, &["--config", config, &name], &[]);
        assert_eq!(stdout(&out), "tok-static\n", "{host}: {}", stderr(&out));
    }
    let text = profile("dns", "http://gettoken-test.invalid:1", "");
    let config = env.write_profiles(&text);
    let out = both(
        &bin,
        &env,
        &["--config", config.to_str().unwrap(), "dns"],
        &[],
    );
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn home_and_config_directories_are_found_as_in_the_dynamic_build() {
    let Some(bin) = static_bin() else { return };
    let env = Env::new();
    let server = Server::token("tok-dirs");
    // $XDG_CONFIG_HOME/gettoken/profiles.toml, then $HOME/.config/... when
    // XDG_CONFIG_HOME is unset; the file cache under the cache directory.
    let text = format!(
        "[profiles.d]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\ncache = \"file\"\n",
        server.url()
    );
    env.write_file("config/gettoken/profiles.toml", &text);
    env.write_file("home/.config/gettoken/profiles.toml", &text);
    let out = both(&bin, &env, &["d"], &[]);
    assert_eq!(stdout(&out), "tok-dirs\n", "{}", stderr(&out));
    assert!(env.file_cache_entry("d").exists(), "the file cache entry");
    let mut cmd = assert_cmd::Command::new(&bin);
    env.isolate(&mut cmd);
    let out = cmd
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .args(["--no-cache", "d"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "tok-dirs\n", "{}", stderr(&out));
    let paths = both(&bin, &env, &["list"], &[]);
    assert_code(&paths, 0);
}

#[test]
fn tls_roots_from_ca_file_and_ssl_cert_file_as_in_the_dynamic_build() {
    let Some(bin) = static_bin() else { return };
    let env = Env::new();
    let server = crate::tls::start(100);
    let ca = env.write_file("ca.pem", &server.ca_pem);
    let url = format!("https://127.0.0.1:{}", server.port);
    let text = format!(
        "{}{}",
        profile("ca", &url, &format!("ca_file = \"{}\"", ca.display())),
        profile("system", &url, "")
    );
    let config = env.write_profiles(&text);
    let config = config.to_str().unwrap();
    let out = both(&bin, &env, &["--config", config, "ca"], &[]);
    assert!(stdout(&out).starts_with("tls-token-"), "{}", stderr(&out));
    // The system roots alone do not know the private CA...
    let out = both(&bin, &env, &["--config", config, "system"], &[]);
    assert_ne!(out.status.code(), Some(0));
    // ...SSL_CERT_FILE naming it does.
    let ca = ca.to_str().unwrap();
    let out = both(
        &bin,
        &env,
        &["--config", config, "system"],
        &[("SSL_CERT_FILE", ca)],
    );
    assert!(stdout(&out).starts_with("tls-token-"), "{}", stderr(&out));
}

/// A part of the suite again, with `GETTOKEN_TEST_BIN` naming the static
/// binary: this test binary runs itself on those modules' tests.
#[test]
fn the_suites_tls_cache_and_config_tests_pass_against_the_static_binary() {
    let Some(bin) = static_bin() else { return };
    let me = std::env::current_exe().unwrap();
    let mut cmd = assert_cmd::Command::new(me);
    cmd.env("GETTOKEN_TEST_BIN", &bin)
        .args([
            "tls::",
            "cache::",
            "config_errors::",
            "oauth2_standard::",
            "large_file::",
            "--test-threads=2",
        ])
        .timeout(Duration::from_secs(600));
    let out = cmd.output().unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success() && text.contains("test result: ok") && !text.contains(" 0 passed"),
        "{text}\n{}",
        stderr(&out)
    );
}
