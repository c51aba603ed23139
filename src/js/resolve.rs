//! Relative imports resolved as TypeScript resolves them.
//!
//! The shipped tsconfig has no `allowImportingTsExtensions`, so workflows import
//! `./helpers` or `./helpers.js` for a file `helpers.ts`; both must load as `tsc` checks them.

use std::path::{Path, PathBuf};

/// Source extensions tried for an extensionless import, in TypeScript's order.
const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "js", "jsx", "mjs", "json"];

/// The JavaScript extension a TypeScript file is imported by, and the sources it may name.
const JS_TO_TS: &[(&str, &[&str])] = &[
    ("js", &["ts", "tsx"]),
    ("jsx", &["tsx"]),
    ("mjs", &["mts"]),
    ("cjs", &["cts"]),
];

/// The file a relative import names: the path itself when it is a file, else the
/// TypeScript source a `.js` name stands for, else the path with a source extension, else
/// the folder's `index`. The error lists what was looked for.
pub fn relative_file(path: &Path) -> Result<PathBuf, String> {
    let candidates = candidates(path);
    if let Some(found) = candidates.iter().find(|c| c.is_file()) {
        return Ok(found.clone());
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let names: Vec<String> = candidates
        .iter()
        .map(|c| c.strip_prefix(dir).unwrap_or(c).display().to_string())
        .collect();
    Err(format!("no file {} in {}", names.join(", "), dir.display()))
}

fn candidates(path: &Path) -> Vec<PathBuf> {
    let mut out = vec![path.to_path_buf()];
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    if let Some((_, sources)) = JS_TO_TS.iter().find(|(js, _)| *js == ext) {
        out.extend(sources.iter().map(|s| path.with_extension(s)));
    }
    if !EXTENSIONS.contains(&ext) && !JS_TO_TS.iter().any(|(js, _)| *js == ext) {
        // `./x` and `./x.config` alike: the extension is appended, never replaced.
        let with = |e: &str| PathBuf::from(format!("{}.{e}", path.display()));
        out.extend(EXTENSIONS.iter().map(|e| with(e)));
        out.extend(EXTENSIONS.iter().map(|e| path.join(format!("index.{e}"))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_js_name_finds_the_ts_source_and_a_bare_name_its_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ts"), "").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/index.ts"), "").unwrap();
        assert_eq!(
            relative_file(&dir.path().join("a.js")).unwrap(),
            dir.path().join("a.ts")
        );
        assert_eq!(relative_file(&dir.path().join("a")).unwrap(), dir.path().join("a.ts"));
        assert_eq!(
            relative_file(&dir.path().join("lib")).unwrap(),
            dir.path().join("lib/index.ts")
        );
        let missing = relative_file(&dir.path().join("b.js")).unwrap_err();
        assert!(missing.contains("b.js, b.ts, b.tsx"), "{missing}");
    }
}
