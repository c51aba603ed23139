//! The store's queries are written once, in SQLite's dialect; `pg` rewrites one for
//! PostgreSQL as it runs. What it rewrites, outside quoted text:
//! - parameters: `?NNN` becomes `$NNN`, a bare `?` the next number (SQLite's rule: one more
//!   than the largest number so far);
//! - `x IS ?` (SQLite's null-safe equality) becomes `x IS NOT DISTINCT FROM $N`;
//! - `json_each(?)` (a JSON array of text bound as one parameter) becomes
//!   `json_array_elements_text(CAST($N AS json))`, whose column is also named `value`;
//! - scalar `MAX(a, b)` / `MIN(a, b)` become `GREATEST` / `LEAST`;
//! - `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case);
//! - `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` (the time as stored) becomes its `to_char`;
//! - a new step's index, `(SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps
//!   WHERE workflow_run_id = ?N)`, becomes `workflow_engine_next_step_index(?N)`, which
//!   counts under a lock of the run (two steps of a run may begin at once on PostgreSQL);
//! - a claim's concurrency-key condition (`concurrency::KEY_HAS_ROOM`) becomes
//!   `concurrency::KEY_HAS_ROOM_PG`, which counts under a lock of the key.
//!
//! Anything else that differs (a `rowid`, `json_tree`) is written per backend at its query.

/// The current time as the store writes it (RFC 3339, UTC, milliseconds), in SQL.
const SQLITE_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const PG_NOW: &str = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

/// `sql` (SQLite's dialect) in PostgreSQL's.
pub fn pg(sql: &str) -> String {
    let sql = key_has_room(sql);
    let sql = next_step_index(&sql.replace(SQLITE_NOW, "\u{0}NOW\u{0}"));
    let mut out = String::with_capacity(sql.len() + 32);
    let mut chars = sql.char_indices().peekable();
    let mut largest = 0u32;
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                // Quoted text or a quoted name, copied as it is ('' and "" stay inside).
                out.push(c);
                for (_, q) in chars.by_ref() {
                    out.push(q);
                    if q == c {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    largest + 1
                } else {
                    digits.parse().unwrap_or(largest + 1)
                };
                largest = largest.max(n);
                if ends_with_word(&out, "IS") {
                    out.push_str("NOT DISTINCT FROM ");
                }
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ if word_at(&sql, at, "LIKE") => {
                out.push_str("ILIKE");
                chars.nth(2);
            }
            _ => out.push(c),
        }
    }
    let out = rewrite_calls(&out, "json_each(", &|args| {
        format!("json_array_elements_text(CAST({args} AS json))")
    });
    let out = rewrite_calls(&out, "MAX(", &|args| scalar("GREATEST", "MAX", args));
    let out = rewrite_calls(&out, "MIN(", &|args| scalar("LEAST", "MIN", args));
    out.replace("\u{0}NOW\u{0}", PG_NOW)
}

/// The new step's index, counted under the run's lock (see the PG migration's
/// `workflow_engine_next_step_index`).
fn next_step_index(sql: &str) -> String {
    const COUNT: &str = "(SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ";
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(COUNT) {
        let after = &rest[at + COUNT.len()..];
        let Some(close) = after.find(')') else { break };
        out.push_str(&rest[..at]);
        out.push_str("workflow_engine_next_step_index(");
        out.push_str(&after[..close]);
        out.push(')');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A claim's key condition, counted under the key's lock (see `concurrency::KEY_HAS_ROOM_PG`).
fn key_has_room(sql: &str) -> std::borrow::Cow<'_, str> {
    use super::concurrency::{KEY_HAS_ROOM, KEY_HAS_ROOM_PG};
    if sql.contains(KEY_HAS_ROOM) {
        sql.replace(KEY_HAS_ROOM, KEY_HAS_ROOM_PG).into()
    } else {
        sql.into()
    }
}

/// `MAX(a, b)` is SQLite's scalar maximum; `MAX(a)` the aggregate, kept.
fn scalar(pg: &str, sqlite: &str, args: &str) -> String {
    if top_level_comma(args) {
        format!("{pg}({args})")
    } else {
        format!("{sqlite}({args})")
    }
}

fn top_level_comma(args: &str) -> bool {
    let mut depth = 0;
    let mut quoted = false;
    for c in args.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Rewrites each call `name…)` (arguments balanced) with `with(arguments)`.
fn rewrite_calls(sql: &str, name: &str, with: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(name) {
        let word_start = at == 0 || !is_word(rest[..at].chars().next_back().unwrap_or(' '));
        out.push_str(&rest[..at]);
        let after = &rest[at + name.len()..];
        if !word_start {
            out.push_str(name);
            rest = after;
            continue;
        }
        let mut depth = 1;
        let mut end = None;
        let mut quoted = false;
        for (i, c) in after.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(end) => {
                // Calls inside the arguments are rewritten too.
                let args = rewrite_calls(&after[..end], name, with);
                out.push_str(&with(&args));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(name);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `sql[at..]` starts the word `word` (not inside a longer word).
fn word_at(sql: &str, at: usize, word: &str) -> bool {
    sql[at..].starts_with(word)
        && (at == 0 || !is_word(sql[..at].chars().next_back().unwrap_or(' ')))
        && !sql[at + word.len()..].chars().next().is_some_and(is_word)
}

/// `out` ends with the word `word` and then white space.
fn ends_with_word(out: &str, word: &str) -> bool {
    let trimmed = out.trim_end();
    trimmed.len() < out.len()
        && trimmed.ends_with(word)
        && !trimmed[..trimmed.len() - word.len()]
            .chars()
            .next_back()
            .is_some_and(is_word)
}

#[cfg(test)]
mod tests {
    use super::pg;

    #[test]
    fn parameters_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(pg("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(pg("a = ?2 AND b = ?1 AND c = ?"), "a = $2 AND b = $1 AND c = $3");
        assert_eq!(pg("a = '?' AND b = ?"), "a = '?' AND b = $1");
        assert_eq!(pg("\"commit\" = ?"), "\"commit\" = $1");
    }

    #[test]
    fn sqlite_idioms_become_postgres_ones() {
        assert_eq!(pg("lease_owner IS ?"), "lease_owner IS NOT DISTINCT FROM $1");
        assert_eq!(pg("x IS NULL AND y = ?"), "x IS NULL AND y = $1");
        assert_eq!(
            pg("id IN (SELECT value FROM json_each(?))"),
            "id IN (SELECT value FROM json_array_elements_text(CAST($1 AS json)))"
        );
        assert_eq!(
            pg("SET attempt = MAX(attempt, ?1)"),
            "SET attempt = GREATEST(attempt, $1)"
        );
        assert_eq!(pg("SELECT MAX(seq) FROM t"), "SELECT MAX(seq) FROM t");
        assert_eq!(pg("MIN(a, MAX(b, c))"), "LEAST(a, GREATEST(b, c))");
        assert_eq!(pg("name LIKE ? ESCAPE '\\'"), "name ILIKE $1 ESCAPE '\\'");
        assert_eq!(pg("a ILIKE ?"), "a ILIKE $1");
        assert_eq!(pg("UNLIKELY = ?"), "UNLIKELY = $1");
        assert_eq!(
            pg("VALUES (?1, (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2), ?3)"),
            "VALUES ($1, workflow_engine_next_step_index($2), $3)"
        );
        assert!(pg("x < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").starts_with("x < to_char(clock_timestamp()"));
    }
}
