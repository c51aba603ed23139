//! The shape of the code, checked over `src/` (docs/architecture.md): no two files of
//! different modules import each other, directly or around a circle, and no SQL is written
//! outside `store`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every source file of the crate, by module path (`engine::host`; a `mod.rs` is its folder),
/// with its text, comments and `#[cfg(test)] mod tests` blocks left out.
fn sources() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if let Some(key) = module_path(&src, &path) {
                    files.insert(key, code_of(&std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
    }
    files
}

fn module_path(src: &Path, file: &Path) -> Option<String> {
    let rel: PathBuf = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    let key = parts.join("::");
    (key != "lib" && key != "main").then_some(key)
}

/// The text without `//` comments (doc comments name other modules freely) and without the
/// unit tests at the end of a file, which may reach anything.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a file names: `crate::a::b`, `super::c`, and the items of `use x::{y, z::w}`.
fn named_paths(module: &str, code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(root).map(|i| i + from) {
            from = at + root.len();
            let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if !boundary || (at >= 2 && &bytes[at - 2..at] == b"::") {
                continue;
            }
            let mut base: Vec<String> = if root == "crate::" {
                Vec::new()
            } else {
                let mut m: Vec<String> = module.split("::").map(str::to_string).collect();
                m.pop();
                m
            };
            let (path, rest) = path_at(&code[from..]);
            base.extend(path);
            if let Some(group) = rest.strip_prefix("::{") {
                for item in group_items(group) {
                    let mut p = base.clone();
                    p.extend(item.split("::").map(str::to_string));
                    found.push(p);
                }
            }
            found.push(base);
        }
    }
    found
}

/// The `a::b::c` at the start of `text` (stopping before `::{`), and what follows it.
fn path_at(text: &str) -> (Vec<String>, &str) {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        parts.push(rest[..len].to_string());
        rest = &rest[len..];
        match rest.strip_prefix("::") {
            Some(after) if !after.starts_with('{') => rest = after,
            _ => break,
        }
    }
    (parts, rest)
}

/// The first segment path of each item of a `{ ... }` group (nested groups by their head).
fn group_items(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut depth, mut item) = (0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(std::mem::take(&mut item)),
            _ if depth == 0 => item.push(c),
            _ => {}
        }
    }
    items.push(item);
    items
        .into_iter()
        .map(|i| {
            i.split(" as ")
                .next()
                .unwrap()
                .trim()
                .trim_end_matches("::")
                .to_string()
        })
        .filter(|i| !i.is_empty() && i != "self")
        .collect()
}

/// Which files each file imports (a path names the longest module that is a file).
fn import_graph(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (module, code) in files {
        let mut to = BTreeSet::new();
        for path in named_paths(module, code) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|k| files.contains_key(k));
            if let Some(target) = target.filter(|t| t != module) {
                to.insert(target);
            }
        }
        graph.insert(module.clone(), to);
    }
    graph
}

/// The files reachable from `from`.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in &graph[&m] {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap()
}

#[test]
fn no_file_imports_a_file_of_another_module_that_imports_it_back() {
    let files = sources();
    let graph = import_graph(&files);
    assert!(
        graph["engine::host"].contains("store::runs"),
        "the graph is read: {graph:?}"
    );
    let mut circles = Vec::new();
    for (from, to) in &graph {
        for next in to.iter().filter(|n| top(n) != top(from)) {
            if reachable(&graph, next).contains(from) {
                circles.push(format!("{from} -> {next} -> ... -> {from}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles across modules:\n{}",
        circles.join("\n")
    );
}

#[test]
fn a_circle_between_modules_is_found() {
    let mut files = BTreeMap::new();
    files.insert("store::runs".to_string(), "use crate::events::Event;".to_string());
    files.insert(
        "events".to_string(),
        "use crate::store::{runs::RunRow, Store};".to_string(),
    );
    files.insert("store".to_string(), String::new());
    let graph = import_graph(&files);
    assert!(graph["events"].contains("store::runs"), "{graph:?}");
    assert!(reachable(&graph, "store::runs").contains("store::runs"), "{graph:?}");
}

#[test]
fn no_sql_is_written_outside_the_store() {
    const SQL: [&str; 5] = ["\"SELECT ", "\"INSERT ", "\"UPDATE ", "\"DELETE FROM", "sqlx::query"];
    let outside: Vec<String> = sources()
        .into_iter()
        .filter(|(module, _)| top(module) != "store")
        .flat_map(|(module, code)| {
            SQL.iter()
                .filter(|s| code.contains(*s))
                .map(|s| format!("{module}: {s}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(outside.is_empty(), "SQL outside src/store:\n{}", outside.join("\n"));
}
