//! gettoken as a library: the layers the `gettoken` binary runs, and the
//! pure entry points the fuzz targets (`fuzz/`) call.
//!
//! The layers, lowest first; a module uses only its own layer and those
//! below it (`tests/e2e/layers.rs` checks this, and that no import cycle
//! exists). ARCHITECTURE.md has the map.

// 0. No domain knowledge.
pub mod error;
pub mod util;
// 1. Secret values, their sources, redaction.
pub mod secrets;
// 2. The one writer of stderr lines.
pub mod log;
// 3. The profiles file and the validated profile.
pub mod config;
// 4. Pure protocol code: requests, replies, tokens, JWTs, git's protocol.
pub mod protocol;
// 5. I/O adapters: the HTTP client; the stores, the cache and the lock.
pub mod http;
pub mod store;
// 6. The use case and the grants' dances.
pub mod flows;
// 7. What is printed.
pub mod output;
// 8. The command line: definition, completion, man page.
pub mod cli;
// 9. One thin function per command.
pub mod commands;
