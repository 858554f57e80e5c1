//! Everything about the command line: its definition (clap), shell
//! completion generated from it, and the man page generated from it.

mod args;
pub mod by_name;
mod candidates;
pub mod complete;
pub mod fast;
pub mod man;

pub use args::*;
