//! gettoken as a library: the modules the `gettoken` binary runs, and the
//! pure entry points the fuzz targets (`fuzz/`) call. Only what those two
//! need is public.

pub mod app;
mod assertion;
mod authcode;
mod browser;
mod cache;
pub mod cli;
pub mod complete;
pub mod config;
mod device;
mod discovery;
mod duration;
pub mod error;
mod exec;
mod fetch;
mod git_credential;
mod http;
mod jwt;
mod lock;
mod log;
mod man;
mod output;
mod random;
pub mod redact;
pub mod request;
mod resolve;
pub mod response;
pub mod secret;
mod store;
mod suggest;
pub mod token;
