//! The protocols, as pure code: building token requests, reading replies,
//! the token as kept and printed, JWTs (reading claims, signing client
//! assertions), the browser login's PKCE and redirect, git's credential
//! protocol. No I/O: time, randomness and secret values are passed in.

pub mod assertion;
pub mod authcode;
pub mod cargo_credential;
pub mod docker_credential;
pub mod dpop;
pub mod exec_info;
pub mod git_credential;
pub mod jwt;
pub mod request;
pub mod response;
pub mod token;
