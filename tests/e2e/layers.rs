//! The design stays true: every `crate::` path in `src/` points at the
//! module's own layer or one below it (the order of `src/lib.rs` and
//! ARCHITECTURE.md), and no chain of such imports leads back to where it
//! started. Reads the source as text; needs no component.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; modules on one line share a layer.
const LAYERS: &[&[&str]] = &[
    &["error", "util"],
    &["secrets"],
    &["log"],
    &["config"],
    &["protocol"],
    &["http", "store"],
    &["flows"],
    &["output"],
    &["cli"],
    &["commands"],
];

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// Every `.rs` file of `src/` by module path (`flows::token`); `tests.rs`
/// beside a module is that module's `tests` child.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if matches!(parts.as_slice(), [one] if one == "main" || one == "lib") {
                continue;
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The source without comments (a `crate::` in a doc line is no import).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path written after `crate::`, with `{a, b::c}` groups expanded:
/// `crate::x::{y, z::w}` gives `x::y` and `x::z::w`.
fn crate_paths(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b == b'$' || b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let (paths, end) = tree(text, at);
        out.extend(paths);
        at = end;
    }
    out
}

/// Parses a use tree at `at`: `ident(::ident)*(::{tree, tree})?`.
fn tree(text: &str, mut at: usize) -> (Vec<String>, usize) {
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut prefix = Vec::new();
    loop {
        at = skip_ws(at);
        if at < bytes.len() && bytes[at] == b'{' {
            let mut all = Vec::new();
            at += 1;
            loop {
                at = skip_ws(at);
                if at >= bytes.len() || bytes[at] == b'}' {
                    at += 1;
                    break;
                }
                let (inner, end) = tree(text, at);
                for p in inner {
                    all.push(match (prefix.is_empty(), p.is_empty()) {
                        (true, _) => p,
                        (false, true) => prefix.join("::"),
                        (false, false) => format!("{}::{p}", prefix.join("::")),
                    });
                }
                at = skip_ws(end);
                if at < bytes.len() && bytes[at] == b',' {
                    at += 1;
                }
            }
            return (all, at);
        }
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        if at == start {
            // `*`, `self` handled as the prefix itself.
            if at < bytes.len() && bytes[at] == b'*' {
                at += 1;
            }
            break;
        }
        let ident = &text[start..at];
        if ident != "self" {
            prefix.push(ident.to_string());
        }
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            break;
        }
    }
    (vec![prefix.join("::")], at)
}

/// The deepest module of `known` that `path` names or lies in.
fn module_of(path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| known.contains_key(m))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap()
}

/// `tests` children count as their parent: they test it from inside.
fn owner(module: &str) -> String {
    module.strip_suffix("::tests").unwrap_or(module).to_string()
}

fn is_within(inner: &str, outer: &str) -> bool {
    inner == outer || inner.starts_with(&format!("{outer}::"))
}

struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph(src: &Path) -> Graph {
    let known = modules(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &known {
        let from = owner(module);
        let text = without_comments(&std::fs::read_to_string(path).unwrap());
        let entry = edges.entry(from.clone()).or_default();
        for written in crate_paths(&text) {
            let Some(to) = module_of(&written, &known).map(|m| owner(&m)) else {
                continue;
            };
            // A module and what it contains are one unit: a parent that
            // declares and re-exports its children depends on them.
            if is_within(&to, &from) {
                continue;
            }
            entry.insert(to);
        }
    }
    Graph { edges }
}

/// Imports against the layer order, as `from -> to` lines.
fn against_the_order(g: &Graph) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in &g.edges {
        for to in tos {
            match (rank(top(from)), rank(top(to))) {
                (Some(f), Some(t)) if t <= f => {}
                (Some(_), Some(_)) => wrong.push(format!(
                    "{from} -> {to}: `{}` is a layer above `{}`",
                    top(to),
                    top(from)
                )),
                _ => {}
            }
        }
    }
    wrong
}

/// One import cycle, as `a -> b -> a`, if there is any.
fn a_cycle(g: &Graph) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        g: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<String> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|p| p == node).unwrap();
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle.join(" -> "));
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in g.edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, g, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    g.edges
        .keys()
        .find_map(|node| visit(node, g, &mut marks, &mut Vec::new()))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_top_level_module_has_a_layer() {
    let known = modules(&src());
    let tops: BTreeSet<&str> = known.keys().map(|m| top(m)).collect();
    let unplaced: Vec<&&str> = tops.iter().filter(|t| rank(t).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "modules with no layer in tests/e2e/layers.rs (and ARCHITECTURE.md): {unplaced:?}"
    );
    // And the table names nothing that is gone.
    for name in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(
            tops.contains(name),
            "layer table names `{name}`, not in src/"
        );
    }
}

#[test]
fn no_import_goes_up_a_layer() {
    let wrong = against_the_order(&graph(&src()));
    assert!(
        wrong.is_empty(),
        "imports against the layer order:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_cycle() {
    let g = graph(&src());
    assert!(
        g.edges.len() > 40,
        "too few modules read: {}",
        g.edges.len()
    );
    if let Some(cycle) = a_cycle(&g) {
        panic!("import cycle: {cycle}");
    }
}

/// The checker itself: a planted upward import and a planted cycle are
/// found (a check that cannot fail proves nothing).
#[test]
fn the_checks_find_what_is_planted() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("util/mod.rs", "pub mod a;\n");
    write("util/a.rs", "use crate::flows::x::{Y, z::W};\n");
    write("flows/mod.rs", "pub mod x;\npub mod y;\n");
    write(
        "flows/x.rs",
        "// use crate::commands::Z;\nuse crate::flows::y::Q;\n",
    );
    write("flows/y.rs", "fn f() { crate::flows::x::g(); }\n");
    let g = graph(dir.path());
    let wrong = against_the_order(&g);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(wrong[0].starts_with("util::a -> flows::x"), "{wrong:?}");
    let cycle = a_cycle(&g).expect("the planted cycle");
    assert!(cycle.contains("flows::x -> flows::y"), "{cycle}");
    assert_eq!(
        crate_paths("use crate::a::{b, c::{d, e}, self};"),
        vec!["a::b", "a::c::d", "a::c::e", "a"]
    );
}
