//! What a script and a new user rely on: `list --json` and `show --json`
//! with their stable field names, `-q` silencing warnings and notes but
//! not errors, every command treating an unknown profile alike (exit 2,
//! did-you-mean), a misspelt command's name suggested, and `show` naming
//! its store and how long the store keeps a token.

use serde_json::json;

use crate::util::*;

fn profiles(server: &Server) -> String {
    format!(
        "[profiles.prod]\nflavour = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret = {{ env = \"SCRIPTING_SECRET\" }}\ncache = \"file\"\n\n[profiles.broken]\nflavour = \"oauth2\"\n",
        server.url()
    )
}

const VARS: &[(&str, &str)] = &[("SCRIPTING_SECRET", "scripting-secret-1")];

#[test]
fn list_and_show_print_json_with_stable_fields() {
    let server = Server::json(
        200,
        json!({"access_token": "scripting-token-2", "token_type": "bearer", "expires_in": 3600, "scope": "read"}),
    );
    let env = Env::new();
    let text = profiles(&server);
    assert_code(&env.run_as_is(&text, &["prod"], VARS), 0);

    let out = env.run_as_is(&text, &["list", "--json"], VARS);
    assert_code(&out, 0);
    let list = stdout_json(&out);
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 2);
    let prod = list.iter().find(|p| p["profile"] == "prod").unwrap();
    assert_eq!(prod["flavour"], "oauth2");
    assert_eq!(prod["cache"], "file");
    assert_eq!(prod["state"], "valid");
    assert!(prod["expires_in"].as_i64().unwrap() > 3500, "{prod}");
    assert!(prod["expires_at"].is_string(), "{prod}");
    assert_eq!(prod["refresh_token"], false);
    let broken = list.iter().find(|p| p["profile"] == "broken").unwrap();
    assert_eq!(broken["state"], "invalid");
    assert!(broken["error"].as_str().unwrap().contains("token_url"));
    assert!(!stdout(&out).contains("scripting-token-2"));

    let out = env.run_as_is(&text, &["show", "prod", "--json"], VARS);
    assert_code(&out, 0);
    let show = stdout_json(&out);
    assert_eq!(show["profile"], "prod");
    assert_eq!(show["flavour"], "oauth2");
    assert_eq!(show["endpoint"], format!("{}/token", server.url()));
    assert_eq!(show["grant"], "client_credentials");
    assert_eq!(show["min_ttl"], 60);
    assert_eq!(show["cache"]["kind"], "file");
    assert!(
        show["cache"]["lifetime"]
            .as_str()
            .unwrap()
            .contains("reboot")
    );
    assert_eq!(show["token"]["state"], "valid");
    assert_eq!(show["token"]["scope"], "read");
    assert_eq!(show["token"]["jwt"], serde_json::Value::Null);
    assert!(show["token"].get("access_token").is_none(), "{show}");
    assert!(!stdout(&out).contains("scripting-token-2"));

    let out = env.run_as_is(&text, &["show", "prod", "--json", "--reveal"], VARS);
    assert_eq!(
        stdout_json(&out)["token"]["access_token"],
        "scripting-token-2"
    );
}

#[test]
fn show_names_the_store_and_how_long_it_keeps_a_token() {
    let server = Server::token("scripting-token-3");
    let env = Env::new();
    let out = env.run_as_is(&profiles(&server), &["show", "prod"], VARS);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("cache:"), "{text}");
    assert!(text.contains("file cache in"), "{text}");
    assert!(text.contains("kept:"), "{text}");
    assert!(text.contains("kept across reboots"), "{text}");
}

#[test]
fn quiet_drops_warnings_and_notes_but_not_errors() {
    let server = Server::token("scripting-token-4");
    let env = Env::new();
    let text = profiles(&server);
    let out = env.run_as_is(&text, &["forget", "prod"], VARS);
    assert_code(&out, 0);
    assert_stderr_contains(&out, "no cached token");
    let out = env.run_as_is(&text, &["-q", "forget", "prod"], VARS);
    assert_code(&out, 0);
    assert_eq!(stderr(&out), "");
    let out = env.run_as_is(&text, &["--quiet", "nosuch"], VARS);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "no profile `nosuch`");
}

#[test]
fn every_command_refuses_an_unknown_profile_alike() {
    let server = Server::token("scripting-token-5");
    let env = Env::new();
    let text = profiles(&server);
    for args in [
        &["prdo"][..],
        &["get", "prdo"],
        &["show", "prdo"],
        &["forget", "prdo"],
        &["exec", "prdo", "--", "true"],
        &["git-credential", "prdo", "get"],
    ] {
        let out = env.run_as_is(&text, args, VARS);
        assert_code(&out, 2);
        assert_stderr_contains(&out, "no profile `prdo`");
        assert_stderr_contains(&out, "did you mean `prod`?");
    }
    assert_eq!(server.count(), 0);
}

#[test]
fn a_misspelt_command_is_suggested() {
    let server = Server::token("scripting-token-6");
    let env = Env::new();
    let out = env.run_as_is(&profiles(&server), &["lsit"], VARS);
    assert_code(&out, 2);
    assert_stderr_contains(&out, "did you mean `list`");
}
