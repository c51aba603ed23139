//! `runs`, and what every command that names a run shares: finding it (or refusing), and
//! telling a run that is driven from one whose engine died and left it `running`.

use std::process::ExitCode;

use super::{invalid, report};
use crate::domain::RunStatus;
pub use crate::engine::control::engine_gone;
use crate::engine::Engine;
use crate::store::runs::RunRow;
use crate::store::Store;

/// What `runs` and `show` print beside `running` when nothing drives the run any more.
pub const ENGINE_GONE: &str = "engine gone: resume to continue";

/// The refusal (exit 2) for a run id that names no run.
pub fn no_run(run_id: &str) -> ExitCode {
    invalid(&format!("no run {run_id} (see `workflow-engine runs`)"))
}

/// The run, or the refusal already printed (exit 2 for an unknown run).
pub async fn load_run(store: &Store, run_id: &str) -> Result<RunRow, ExitCode> {
    match RunRow::get(store, run_id).await {
        Ok(Some(run)) => Ok(run),
        Ok(None) => Err(no_run(run_id)),
        Err(e) => Err(report(e.into())),
    }
}

/// The status as people should read it: `running` only while something drives the run.
pub fn shown_status(run: &RunRow) -> String {
    if engine_gone(run) {
        format!("{} ({ENGINE_GONE})", run.status)
    } else {
        run.status.to_string()
    }
}

pub async fn list_runs(engine: &Engine, limit: i64) -> ExitCode {
    let store = engine.store();
    let runs = match RunRow::list_recent(store, limit).await {
        Ok(r) => r,
        Err(e) => return report(e.into()),
    };
    if runs.is_empty() {
        println!("no runs yet");
        return ExitCode::SUCCESS;
    }
    let waiting = match waits_of(store, &runs).await {
        Ok(w) => w,
        Err(e) => return report(e.into()),
    };
    let mut rows = vec![["ID", "STATUS", "PHASE", "NAME", "CREATED", "PROJECT"]
        .map(String::from)
        .to_vec()];
    for r in runs {
        // Only a running run can have lost its engine; its lease is on the full row.
        let status = match r.status {
            RunStatus::Running => match RunRow::get(store, &r.id).await {
                Ok(Some(row)) => shown_status(&row),
                Ok(None) => r.status.to_string(),
                Err(e) => return report(e.into()),
            },
            RunStatus::Waiting => match waiting.get(&r.id) {
                Some(what) => format!("waiting ({})", what.join("; ")),
                None => r.status.to_string(),
            },
            _ => r.status.to_string(),
        };
        rows.push(vec![
            r.id,
            status,
            r.current_phase.unwrap_or_else(|| "-".into()),
            truncate(&r.name, 24),
            r.created_at,
            r.project_path,
        ]);
    }
    print_table(&rows, "");
    ExitCode::SUCCESS
}

/// What each waiting run of `runs` waits for (`approval: "Approve the plan"`, ...).
async fn waits_of(
    store: &Store,
    runs: &[crate::store::runs::RunSummary],
) -> crate::store::Result<std::collections::HashMap<String, Vec<String>>> {
    let ids: Vec<&str> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Waiting)
        .map(|r| r.id.as_str())
        .collect();
    let mut waiting = std::collections::HashMap::<String, Vec<String>>::new();
    for p in crate::store::waits::WaitRow::pending_for_runs(store, &ids).await? {
        let what = super::wait_text::of_pending(&p);
        waiting.entry(p.wait.workflow_run_id).or_default().push(what);
    }
    Ok(waiting)
}

/// Left-aligned columns two spaces apart, each line after `indent`; the last column is not
/// padded.
pub fn print_table(rows: &[Vec<String>], indent: &str) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = indent.to_string();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
            }
        }
        println!("{}", line.trim_end());
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
