//! The board's columns as SQL: which column a run stands in (`Lanes`), how many runs each
//! column holds under the board's filters (exact, one grouped query), and one column's page
//! (newest first; the not-started column in the order its runs will start).

use std::collections::HashMap;

use super::run_list::{push_filters, RunFilter};
use super::runs::RunRow;
use super::sql::Sql;
use super::{Result, Store};
use crate::domain::RunStatus;

/// The not-started column of a workflow's board: `pending` runs that never started.
pub const PENDING: &str = "__pending";
/// The end lane of a workflow's board: completed and cancelled runs.
pub const DONE: &str = "__done";

/// How runs are put in columns.
#[derive(Debug, Clone, Copy)]
pub enum Lanes<'a> {
    /// A workflow's board: `__pending`, each phase (a run without one in `first`, the
    /// definition's first phase), `__done`. A failed, paused or waiting run, and one queued to
    /// resume, stays in its phase.
    Phases { first: Option<&'a str> },
    /// The all-workflows board: one column per status.
    Statuses,
}

impl<'a> Lanes<'a> {
    /// The SQL expression of a run's (`r`) column key.
    fn push_key(self, sql: &mut Sql) {
        match self {
            Lanes::Statuses => {
                sql.push("r.status");
            }
            Lanes::Phases { first } => {
                sql.push("(CASE WHEN r.status = 'pending' AND r.started_at IS NULL THEN '")
                    .push(PENDING)
                    .push("' WHEN r.status IN ('completed', 'cancelled') THEN '")
                    .push(DONE)
                    .push("' ELSE COALESCE(r.current_phase, ")
                    .push_bind(first)
                    .push(", '")
                    .push(PENDING)
                    .push("') END)");
            }
        }
    }

    /// Whether a column is read oldest first: the queue, in the order it starts.
    pub fn oldest_first(self, key: &str) -> bool {
        match self {
            Lanes::Phases { .. } => key == PENDING,
            Lanes::Statuses => key == RunStatus::Pending.as_str(),
        }
    }
}

/// Runs per column and per status, under the board's filters.
#[derive(Debug, Default)]
pub struct BoardCounts {
    pub columns: HashMap<String, i64>,
    pub statuses: HashMap<RunStatus, i64>,
}

impl BoardCounts {
    pub fn status(&self, s: RunStatus) -> i64 {
        self.statuses.get(&s).copied().unwrap_or(0)
    }

    pub fn total(&self) -> i64 {
        self.statuses.values().sum()
    }
}

impl RunRow {
    /// How many runs each column and each status holds (`filter.before` and `limit` unused).
    pub async fn board_counts(store: &Store, filter: &RunFilter<'_>, lanes: Lanes<'_>) -> Result<BoardCounts> {
        let mut sql = Sql::new(store, "SELECT ");
        lanes.push_key(&mut sql);
        sql.push(" AS col, r.status, COUNT(*) FROM workflow_runs r WHERE 1 = 1");
        push_filters(&mut sql, filter);
        sql.push(" GROUP BY 1, 2");
        let rows: Vec<(String, RunStatus, i64)> = sql.fetch_all(store).await?;
        let mut counts = BoardCounts::default();
        for (col, status, n) in rows {
            *counts.columns.entry(col).or_default() += n;
            *counts.statuses.entry(status).or_default() += n;
        }
        Ok(counts)
    }

    /// One page of a column's runs: newest first, or oldest first for the queue
    /// (`Lanes::oldest_first`); `filter.before` is the previous page's last run id.
    pub async fn column_page(
        store: &Store,
        filter: &RunFilter<'_>,
        lanes: Lanes<'_>,
        key: &str,
    ) -> Result<Vec<RunRow>> {
        let asc = lanes.oldest_first(key);
        let mut sql = Sql::new(store, "SELECT r.* FROM workflow_runs r WHERE ");
        lanes.push_key(&mut sql);
        sql.push(" = ").push_bind(key.to_string());
        if let Lanes::Phases { .. } = lanes {
            // Implied by the key, and said so that SQLite can read the partial index of open
            // runs (`workflow_runs_definition_open`) for every column but Finished.
            sql.push(if key == DONE {
                " AND r.status IN ('completed', 'cancelled')"
            } else {
                " AND r.status NOT IN ('completed', 'cancelled')"
            });
        }
        push_filters(&mut sql, filter);
        if let Some(c) = filter.before {
            sql.push(if asc { " AND r.id > " } else { " AND r.id < " }).push_bind(c);
        }
        sql.push(if asc {
            " ORDER BY r.id ASC"
        } else {
            " ORDER BY r.id DESC"
        });
        sql.push(" LIMIT ").push_bind(filter.limit);
        sql.fetch_all(store).await
    }
}
