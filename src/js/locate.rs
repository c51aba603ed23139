//! Places in a workflow's source for error reports that have no stack to point with: the
//! import a module could not be resolved from, a field of the workflow definition that the
//! engine refused.
//!
//! Found by reading the file as it is on disk, which is what the user's editor shows.

use std::path::Path;

use crate::definition::Location;

/// Where `specifier` is imported in `file` (the opening quote of its string); `None` when
/// the file cannot be read or does not name it.
pub fn import_location(file: &Path, specifier: &str) -> Option<Location> {
    let source = std::fs::read_to_string(file).ok()?;
    let offset = import_offset(&source, specifier)?;
    Some(location_of(file, &source, offset))
}

/// Where the workflow definition's own `key` is written in `file` (not a step's key of the
/// same name): the key at the top level of the object given to `defineWorkflow`, or of the
/// default export.
pub fn key_location(file: &Path, key: &str) -> Option<Location> {
    let source = std::fs::read_to_string(file).ok()?;
    let start = ["defineWorkflow(", "export default"]
        .iter()
        .find_map(|marker| source.find(marker).map(|at| at + marker.len()))?;
    let offset = top_level_key(&source, start, key)?;
    Some(location_of(file, &source, offset))
}

fn location_of(file: &Path, source: &str, offset: usize) -> Location {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or(before).chars().count() + 1;
    Location {
        file: file.to_path_buf(),
        line,
        column,
    }
}

/// The byte offset of the quoted specifier that follows `from`, `import` or `import(`; the
/// first quoted occurrence when none does (a comment may mention it earlier).
fn import_offset(source: &str, specifier: &str) -> Option<usize> {
    let mut first: Option<usize> = None;
    for quote in ['"', '\'', '`'] {
        let needle = format!("{quote}{specifier}{quote}");
        for (at, _) in source.match_indices(&needle) {
            let lead = source[..at].trim_end();
            if lead.ends_with("from") || lead.ends_with("import") || lead.ends_with("import(") {
                return Some(at);
            }
            first = Some(first.map_or(at, |f| f.min(at)));
        }
    }
    first
}

/// The offset of `key` (bare or quoted, followed by `:`) at depth 1 of the first object
/// literal after `start`. Strings and comments are skipped, so a brace in them is no brace.
fn top_level_key(source: &str, start: usize, key: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' | b'`' => {
                let end = skip_string(bytes, i);
                if depth == 1 && source.get(i + 1..end - 1) == Some(key) && followed_by_colon(source, end) {
                    return Some(i);
                }
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = source[i..].find('\n').map_or(bytes.len(), |n| i + n),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = source[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4)
            }
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return None;
                }
            }
            // The key is ASCII, so where its bytes start is a char boundary.
            _ if depth == 1 && bytes[i..].starts_with(key.as_bytes()) && is_word_start(source, i) => {
                let end = i + key.len();
                let whole = !source[end..].starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
                if whole && followed_by_colon(source, end) {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the string literal opening at `at` (escapes honoured).
fn skip_string(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    let mut i = at + 1;
    while i < bytes.len() && bytes[i] != quote {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(bytes.len())
}

fn is_word_start(source: &str, at: usize) -> bool {
    !source[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
}

fn followed_by_colon(source: &str, end: usize) -> bool {
    source[end..].trim_start().starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_statement_is_found_past_a_comment_naming_it() {
        let src = "// uses \"./x\"\nimport { a } from \"./x\";\n";
        assert_eq!(import_offset(src, "./x"), Some(src.find("\"./x\";").unwrap()));
    }

    #[test]
    fn the_workflow_s_key_is_found_not_a_step_s_or_a_string_s() {
        let src = "defineWorkflow({\n  name: \"timeout: {\",\n  async execute(ctx) {\n    \
                   await ctx.step(\"s\", { timeout: \"1s\" });\n  },\n  // timeout: no\n  timeout: \"0s\",\n});\n";
        let at = top_level_key(src, src.find('(').unwrap() + 1, "timeout").unwrap();
        assert_eq!(&src[at..at + 13], "timeout: \"0s\"");
        assert_eq!(top_level_key(src, 0, "phases"), None);
    }
}
