//! The fuzz targets' committed inputs (`fuzz/seeds/TARGET`, and what the
//! fuzzers found: `fuzz/regressions/TARGET`) replayed on stable through the
//! very functions the fuzz targets call (`fuzz/src/lib.rs`), so a fixed
//! finding stays fixed. Needs no component of the test environment.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/lib.rs"]
mod targets;

/// Every committed input of `target`, by path: the seeds of `seeds` and
/// the regressions of `target`.
fn inputs(seeds: &str, target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = [("seeds", seeds), ("regressions", target)]
        .iter()
        .map(|(dir, of)| fuzz.join(dir).join(of))
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every input through `run`; fails naming each one that panics.
fn replay(seeds: &str, target: &str, at_least: usize, run: fn(&[u8])) {
    let files = inputs(seeds, target);
    assert!(
        files.len() >= at_least,
        "{target}: {} inputs, expected at least {at_least}: {files:?}",
        files.len()
    );
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: inputs that fail: {failed:#?}");
}

#[test]
fn config_inputs_pass() {
    replay("config", "config", 6, targets::config);
}

#[test]
fn reply_inputs_pass() {
    replay("reply", "reply", 19, targets::reply);
}

#[test]
fn request_inputs_pass() {
    replay("config", "request", 6, targets::request);
}
