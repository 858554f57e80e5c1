//! End-to-end tests: the built `gettoken` binary run against local servers
//! that reproduce the token endpoints of docs/PROVIDERS.md and the contract of
//! docs/CONFIG.md. One module per topic; helpers in `util`.
//!
//! The suite runs on a Unix host (it drives Linux's keyrings, Unix file
//! modes and signals); the Windows build is run from here under Wine
//! (`windows`), and elsewhere it compiles to nothing.

#![cfg(unix)]

mod https;
mod tools;
mod util;

mod cache;
mod chained;
mod composed;
mod config_errors;
mod dpop;
mod faults;
mod fuzz_corpus;
mod google_wif;
mod http_flavour;
mod http_rules;
mod id_token;
mod integrations_cargo;
mod integrations_completion;
mod integrations_config;
mod integrations_docker;
mod integrations_exec;
mod integrations_git;
mod integrations_kubectl;
mod integrations_npm;
mod integrations_show;
mod integrations_terraform;
mod jwt_flavour;
mod large_file;
mod layers;
mod mtls;
mod oauth2_standard;
mod oidc;
mod outputs;
mod overrides;
mod replies;
mod scripting;
mod secrets;
mod secrets_at_rest;
mod signed_jwt;
mod static_binary;
mod stderr_unwritable;
mod tls;
mod vendor_form_only;
mod vendor_json_client;
mod vendor_json_login;
mod vendor_password_grant;
mod vendor_query_login;
mod waiting;
mod windows;
