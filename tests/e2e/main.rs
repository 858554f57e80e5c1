//! End-to-end tests: the built `gettoken` binary run against local servers
//! that reproduce the token endpoints of PROVIDERS.md and the contract of
//! CONFIG.md. One module per topic; helpers in `util`.
//!
//! The suite runs on a Unix host (it drives Linux's keyrings, Unix file
//! modes and signals); the Windows build is run from here under Wine
//! (`windows`), and elsewhere it compiles to nothing.

#![cfg(unix)]

mod tools;
mod util;

mod cache;
mod config_errors;
mod faults;
mod fuzz_corpus;
mod http_flavour;
mod http_rules;
mod integrations_completion;
mod integrations_config;
mod integrations_exec;
mod integrations_git;
mod integrations_kubectl;
mod integrations_show;
mod layers;
mod oauth2_standard;
mod oidc;
mod outputs;
mod secrets;
mod secrets_at_rest;
mod static_binary;
mod stderr_unwritable;
mod tls;
mod vendor_form_only;
mod vendor_json_client;
mod vendor_json_login;
mod vendor_password_grant;
mod vendor_query_login;
mod windows;
