//! The schema against itself and the code: the two migration sets (`migrations/` for SQLite,
//! `migrations-pg/` for PostgreSQL) leave the same tables, columns (by type family), indexes
//! and triggers (`backends_agree`, which always runs: it starts the tests' PostgreSQL), and
//! every domain enum has the values of its column's `CHECK` list in a freshly migrated
//! database of either backend (read back from `sqlite_schema` after every migration,
//! including those that edit a table's stored definition, and from `pg_constraint`), so
//! nothing can be added in one place only.

use std::collections::BTreeSet;

use super::{Db, Store};
use crate::domain::*;

/// Flags SQLite keeps as INTEGER without a `CHECK (x IN (0, 1))` (BOOLEAN on PostgreSQL).
const UNCHECKED_SQLITE_FLAGS: [(&str, &str); 2] =
    [("run_workspaces", "delete_branch"), ("run_workspaces", "branch_made")];

/// What a migrated database holds, by name: `table.column: family`, `index name`,
/// `trigger name`.
#[derive(Debug, Default)]
struct Shape {
    columns: BTreeSet<String>,
    indexes: BTreeSet<String>,
    triggers: BTreeSet<String>,
    /// `(table, CHECK definition)` as the database prints it.
    checks: Vec<(String, String)>,
}

/// Text, integer, real, blob or boolean: what a column holds, whatever the backend calls it.
fn family(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "text" | "character varying" | "varchar" => "text",
        "integer" | "bigint" | "int" | "smallint" => "integer",
        "real" | "double precision" | "float" => "real",
        "blob" | "bytea" => "blob",
        "boolean" | "bool" => "boolean",
        other => panic!("a column of an unknown type family: {other}"),
    }
}

async fn sqlite_shape(store: &Store) -> Shape {
    let Db::Lite(lite) = &store.db else { unreachable!() };
    let pool = &lite.pool;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
           AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut shape = Shape::default();
    for (table, sql) in &tables {
        let columns: Vec<(String, String)> = sqlx::query_as("SELECT name, type FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
        for (column, declared) in columns {
            let flag = sql.contains(&format!("CHECK ({column} IN (0, 1))"))
                || UNCHECKED_SQLITE_FLAGS.contains(&(table.as_str(), column.as_str()));
            let family = if flag { "boolean" } else { family(&declared) };
            shape.columns.insert(format!("{table}.{column}: {family}"));
        }
        shape.checks.push((table.clone(), sql.clone()));
    }
    let named = |kind: &'static str| async move {
        let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_schema WHERE type = ? AND sql IS NOT NULL")
            .bind(kind)
            .fetch_all(pool)
            .await
            .unwrap();
        names.into_iter().map(|(n,)| n).collect::<BTreeSet<String>>()
    };
    shape.indexes = named("index").await;
    shape.triggers = named("trigger").await;
    shape
}

async fn pg_shape(store: &Store) -> Shape {
    let Db::Pg(pg) = &store.db else { unreachable!() };
    let pool = &pg.pool;
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut shape = Shape::default();
    for (table, column, declared) in columns {
        shape.columns.insert(format!("{table}.{column}: {}", family(&declared)));
    }
    // Indexes made by CREATE INDEX: not those of a PRIMARY KEY or UNIQUE constraint (SQLite's
    // are its nameless `sqlite_autoindex_*`).
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'
            AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    shape.indexes = indexes.into_iter().map(|(n,)| n).collect();
    let triggers: Vec<(String,)> = sqlx::query_as("SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal")
        .fetch_all(pool)
        .await
        .unwrap();
    shape.triggers = triggers.into_iter().map(|(n,)| n).collect();
    shape.checks = sqlx::query_as(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE contype = 'c' AND connamespace = 'public'::regnamespace",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    shape
}

/// A store of each backend, freshly migrated (PostgreSQL on the tests' own cluster).
async fn both() -> (tempfile::TempDir, Store, Store) {
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::open(&dir.path().join("lite")).await.unwrap();
    let url = crate::testing::pg::fresh_database_url();
    let pg = Store::open_pg(&dir.path().join("pg"), &url).await.unwrap();
    (dir, lite, pg)
}

/// What one set has that the other has not, as a readable list (empty when they agree).
fn differences(what: &str, lite: &BTreeSet<String>, pg: &BTreeSet<String>) -> Vec<String> {
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>, side: &str| {
        a.difference(b)
            .map(|x| format!("{what} {x} only on {side}"))
            .collect::<Vec<_>>()
    };
    let mut out = only(lite, pg, "SQLite");
    out.extend(only(pg, lite, "PostgreSQL"));
    out
}

#[tokio::test]
async fn backends_agree() {
    let (_dir, lite, pg) = both().await;
    let (lite, pg) = (sqlite_shape(&lite).await, pg_shape(&pg).await);
    assert!(lite.columns.len() > 100, "{:?}", lite.columns);
    let mut wrong = differences("column", &lite.columns, &pg.columns);
    wrong.extend(differences("index", &lite.indexes, &pg.indexes));
    wrong.extend(differences("trigger", &lite.triggers, &pg.triggers));
    assert!(wrong.is_empty(), "the migration sets disagree:\n{}", wrong.join("\n"));
}

/// Each step's end updates its run's row (`current_step_index`, `updated_at`; a lease's
/// renewal `lease_expires_at`). On PostgreSQL no index of `workflow_runs` may use those
/// columns (as a key or in its `WHERE`): the row is then rewritten in place (a HOT update)
/// instead of adding an entry to every index of the table at every step.
#[tokio::test]
async fn a_runs_per_step_columns_are_in_no_index_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::testing::pg::fresh_database_url();
    let pg = Store::open_pg(&dir.path().join("pg"), &url).await.unwrap();
    let Db::Pg(p) = &pg.db else { unreachable!() };
    let defs: Vec<(String, String)> =
        sqlx::query_as("SELECT indexname::text, indexdef FROM pg_indexes WHERE tablename = 'workflow_runs'")
            .fetch_all(&p.pool)
            .await
            .unwrap();
    assert!(defs.len() >= 10, "{defs:?}");
    let per_step = ["current_step_index", "updated_at", "lease_expires_at"];
    let wrong: Vec<&(String, String)> = defs
        .iter()
        .filter(|(_, def)| per_step.iter().any(|column| def.contains(column)))
        .collect();
    assert!(wrong.is_empty(), "indexes on a column each step updates: {wrong:?}");
    let options: (Option<Vec<String>>,) =
        sqlx::query_as("SELECT reloptions::text[] FROM pg_class WHERE relname = 'workflow_runs'")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(options.0, Some(vec!["fillfactor=80".to_string()]));
}

#[test]
fn a_column_on_one_side_only_is_a_difference() {
    let lite: BTreeSet<String> = ["runs.id: text".into(), "runs.n: integer".into()].into();
    let pg: BTreeSet<String> = ["runs.id: text".into(), "runs.n: boolean".into(), "runs.x: text".into()].into();
    assert_eq!(
        differences("column", &lite, &pg),
        [
            "column runs.n: integer only on SQLite",
            "column runs.n: boolean only on PostgreSQL",
            "column runs.x: text only on PostgreSQL"
        ]
    );
}

/// The values of `CHECK (column IN (...))` of `table` as SQLite stores its definition.
fn sqlite_check_values(checks: &[(String, String)], table: &str, column: &str) -> Vec<String> {
    let sql = &checks
        .iter()
        .find(|(name, _)| name == table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .1;
    let check = format!("CHECK ({column} IN (");
    let found: Vec<&str> = sql
        .match_indices(&check)
        .map(|(at, _)| &sql[at + check.len()..])
        .collect();
    assert_eq!(found.len(), 1, "one CHECK for {table}.{column} in {sql}");
    let list = &found[0][..found[0].find(')').expect("a CHECK list ends with `)`")];
    list.split(',')
        .map(|v| v.trim().trim_matches('\'').to_string())
        .collect()
}

/// The same from PostgreSQL's `pg_get_constraintdef`:
/// `CHECK ((status = ANY (ARRAY['a'::text, 'b'::text])))`.
fn pg_check_values(checks: &[(String, String)], table: &str, column: &str) -> Vec<String> {
    let lists: Vec<&str> = checks
        .iter()
        .filter(|(name, _)| name == table)
        .flat_map(|(_, def)| {
            [
                format!("({column} = ANY (ARRAY["),
                format!("(\"{column}\" = ANY (ARRAY["),
            ]
            .into_iter()
            .filter_map(|start| def.find(&start).map(|at| &def[at + start.len()..]))
            .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lists.len(), 1, "one CHECK for {table}.{column} in {checks:?}");
    let list = &lists[0][..lists[0].find(']').expect("an ARRAY ends with `]`")];
    list.split(',')
        .map(|v| {
            let v = v.trim();
            v[..v.rfind("::").unwrap_or(v.len())].trim_matches('\'').to_string()
        })
        .collect()
}

macro_rules! assert_matches_check {
    ($values:expr, $enum:ty, $table:literal, $column:literal) => {{
        let mut ours: Vec<String> = <$enum>::ALL.iter().map(|v| v.as_str().to_string()).collect();
        let mut theirs: Vec<String> = $values($table, $column);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{} against {}.{}", stringify!($enum), $table, $column);
    }};
}

fn assert_enums_match(values: impl Fn(&str, &str) -> Vec<String>) {
    assert_matches_check!(values, RunStatus, "workflow_runs", "status");
    assert_matches_check!(values, ControlRequest, "workflow_runs", "control_request");
    assert_matches_check!(values, StepStatus, "workflow_run_steps", "status");
    assert_matches_check!(values, StepKind, "workflow_run_steps", "type");
    assert_matches_check!(values, AgentKind, "agent_sessions", "agent");
    assert_matches_check!(values, SessionStatus, "agent_sessions", "status");
    assert_matches_check!(values, CommentType, "workflow_comments", "comment_type");
    assert_matches_check!(values, FileType, "workflow_artifacts", "file_type");
    assert_matches_check!(values, DefinitionKind, "workflow_definitions", "type");
    assert_matches_check!(values, WaitKind, "workflow_waits", "kind");
    assert_matches_check!(values, AttemptOutcome, "workflow_step_attempts", "outcome");
    assert_matches_check!(values, WorkspaceState, "run_workspaces", "state");
    assert_matches_check!(values, KeepPolicy, "run_workspaces", "keep");
}

#[tokio::test]
async fn every_enum_has_the_values_of_its_columns_check() {
    let (_dir, lite, pg) = both().await;
    let lite = sqlite_shape(&lite).await.checks;
    assert_enums_match(|table, column| sqlite_check_values(&lite, table, column));
    let pg = pg_shape(&pg).await.checks;
    assert_enums_match(|table, column| pg_check_values(&pg, table, column));
}
