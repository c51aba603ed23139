//! `show RUN`: a run's status and phase, its steps (status, attempt, duration, error) and
//! its comments, read from the database without a server; `--json` for scripts.

use std::process::ExitCode;

use serde_json::{json, Value};

use super::runs::{engine_gone, load_run, print_table, shown_status};
use super::{report, wait_text};
use crate::definition::format_ms;
use crate::domain::{StepStatus, WaitKind};
use crate::engine::{budget, Engine};
use crate::http::run_view::RunWorkspaceView;
use crate::http::step_view::WaitView;
use crate::store::attempts::AttemptRow;
use crate::store::comments::CommentRow;
use crate::store::projects::ProjectRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;
use crate::store::waits::WaitRow;
use crate::store::workspaces::WorkspaceRow;

pub async fn show(engine: &Engine, run_id: &str, as_json: bool) -> ExitCode {
    let store = engine.store();
    let run = match load_run(store, run_id).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let loaded = async {
        let steps = StepRow::list_for_run(store, run_id).await?;
        let comments = CommentRow::list_for_run(store, run_id).await?;
        let project = ProjectRow::get(store, &run.project_id).await?;
        let ids: Vec<&str> = steps
            .iter()
            .filter(|s| s.kind.wait().is_some() || s.status == crate::domain::StepStatus::Waiting)
            .map(|s| s.id.as_str())
            .collect();
        let waits = WaitRow::for_steps(store, &ids).await?;
        let tries = AttemptRow::list_for_run(store, run_id).await?;
        let placement = match (&project, run.status) {
            (Some(p), crate::domain::RunStatus::Pending) => crate::engine::cluster::placement_problem(store, p).await?,
            _ => None,
        };
        Ok::<_, crate::store::StoreError>((steps, comments, project.map(|p| p.path), (waits, tries, placement)))
    };
    let (steps, comments, project, (waits, tries, placement)) = match loaded.await {
        Ok(l) => l,
        Err(e) => return report(e.into()),
    };
    let spend = match budget::spend(engine, &run).await {
        Ok(s) => s,
        Err(e) => return report(e.into()),
    };
    let workspace = match WorkspaceRow::get(store, run_id).await {
        Ok(w) => w.as_ref().map(RunWorkspaceView::from),
        Err(e) => return report(e.into()),
    };
    if as_json {
        let mut v = run_json(&run, &steps, (&waits, &tries), &comments, project.as_deref());
        v["budget"] = json!(budget::budget_of(&run));
        v["budget_stop"] = json!(budget::stop_of(&run));
        v["spend"] = json!(spend);
        v["workspace"] = json!(workspace);
        v["placement"] = json!(placement);
        println!("{v}");
    } else {
        print_run(&run, project.as_deref(), workspace.as_ref());
        if let Some(why) = &placement {
            println!("not started: {why}");
        }
        print_budget(&run, &spend);
        print_steps(&run, &steps);
        print_tries(&steps, &tries);
        print_waits(&steps, &waits);
        print_comments(&comments);
    }
    ExitCode::SUCCESS
}

fn run_json(
    run: &RunRow,
    steps: &[StepRow],
    (waits, tries): (&[WaitRow], &[AttemptRow]),
    comments: &[CommentRow],
    project: Option<&str>,
) -> Value {
    let mut v = serde_json::to_value(run).expect("rows serialise");
    v["args"] = serde_json::from_str(&run.args).unwrap_or(Value::Null);
    v["engine_gone"] = json!(engine_gone(run));
    v["warnings"] = json!(run.warning_list());
    v["project_path"] = json!(project);
    v["steps"] = steps
        .iter()
        .map(|s| {
            let view = crate::http::step_view::Step::from(s);
            let mine: Vec<&AttemptRow> = tries.iter().filter(|t| t.step_row_id == s.id).collect();
            let attempts = crate::http::attempts::attempts_of(&view, &mine);
            let mut sv = serde_json::to_value(view).expect("steps serialise");
            sv["attempts"] = json!(attempts);
            sv["duration_ms"] = json!(step_duration_ms(run, s));
            if let Some(w) = waits.iter().find(|w| w.step_row_id == s.id) {
                sv["wait"] = json!(WaitView::new(w, s.status, None));
            }
            sv
        })
        .collect();
    v["comments"] = json!(comments);
    v
}

/// `worktree /path (branch wf/x-1234abcd from HEAD 0a1b2c3d4e, kept; keep on-failure)`.
fn workspace_line(w: &RunWorkspaceView) -> String {
    let commit = w
        .base_commit
        .as_deref()
        .map(|c| format!(" {}", &c[..c.len().min(10)]))
        .unwrap_or_default();
    format!(
        "worktree {} (branch {} from {}{commit}, {}; keep {})",
        w.path, w.branch, w.base, w.state, w.keep
    )
}

fn print_run(run: &RunRow, project: Option<&str>, workspace: Option<&RunWorkspaceView>) {
    println!("run {}  \"{}\"", run.id, run.name);
    let ended = run
        .completed_at
        .as_ref()
        .or(run.cancelled_at.as_ref())
        .or(run.paused_at.as_ref());
    let fields = [
        ("status", Some(shown_status(run))),
        ("phase", run.current_phase.clone()),
        ("project", project.map(String::from)),
        ("workspace", workspace.map(workspace_line)),
        ("workspace error", workspace.and_then(|w| w.error.clone())),
        ("created", Some(run.created_at.clone())),
        ("started", run.started_at.clone()),
        ("ended", ended.cloned()),
        ("error", run.error_message.clone()),
        ("rerun of", rerun_of(run)),
    ];
    let rows: Vec<Vec<String>> = fields
        .into_iter()
        .filter_map(|(k, v)| Some(vec![k.to_string(), v?]))
        .collect();
    print_table(&rows, "");
    for warning in run.warning_list() {
        println!("warning: {warning}");
    }
}

/// `RUN` (run again) or `RUN from step "STEP"`.
fn rerun_of(run: &RunRow) -> Option<String> {
    let parent = run.parent_run_id.as_deref()?;
    Some(match &run.forked_from_step {
        Some(step) => format!("{parent} from step \"{step}\""),
        None => parent.to_string(),
    })
}

/// The run's spend against its budget, and the limit that stopped it; nothing for a run
/// without a budget that spent nothing.
fn print_budget(run: &RunRow, spend: &budget::Spend) {
    let limits = budget::budget_of(run);
    if limits.is_none() && spend.usd == 0.0 && spend.tokens == 0 {
        return;
    }
    let spent = format!("${:.4}, {} tokens", spend.usd, spend.tokens);
    let mut rows = vec![vec!["spent".to_string(), spent]];
    if let Some(b) = limits {
        rows.push(vec!["budget".to_string(), b.describe()]);
    }
    if let Some(stop) = budget::stop_of(run) {
        rows.push(vec![
            "stopped".to_string(),
            format!("{} (raise: workflow-engine budget {})", stop.message, run.id),
        ]);
    }
    print_table(&rows, "");
}

fn print_steps(run: &RunRow, steps: &[StepRow]) {
    println!();
    if steps.is_empty() {
        println!("no steps started yet");
        return;
    }
    let mut rows = vec![["STEP", "PHASE", "TYPE", "STATUS", "ATTEMPT", "DURATION", "ERROR"]
        .map(String::from)
        .to_vec()];
    for s in steps {
        rows.push(vec![
            s.step_id.clone(),
            s.phase.clone(),
            s.kind.to_string(),
            step_status(run, s).to_string(),
            s.attempt.to_string(),
            step_duration_ms(run, s).map_or_else(|| "-".into(), format_ms),
            s.error_message.as_deref().map(first_line).unwrap_or_default(),
        ]);
    }
    print_table(&rows, "");
}

/// The tries of each retried step: when each started, how it ended, its error.
fn print_tries(steps: &[StepRow], tries: &[AttemptRow]) {
    if tries.is_empty() {
        return;
    }
    println!("\ntries:");
    for s in steps {
        for t in tries.iter().filter(|t| t.step_row_id == s.id) {
            let error = t
                .error
                .as_deref()
                .map(|e| format!("  {}", first_line(e)))
                .unwrap_or_default();
            println!(
                "  {}  #{}  {}  {}{error}",
                s.step_id,
                t.attempt,
                t.outcome,
                super::wait_text::local_time(&t.started_at)
            );
        }
    }
}

/// Each wait: what it waits for and since when, who may decide and until when; a resolved
/// one, how it ended (a gate's decision, by whom, with their comment).
fn print_waits(steps: &[StepRow], waits: &[WaitRow]) {
    if waits.is_empty() {
        return;
    }
    println!("\nwaits:");
    for s in steps {
        let Some(w) = waits.iter().find(|w| w.step_row_id == s.id) else {
            continue;
        };
        let view = WaitView::new(w, s.status, None);
        let what = wait_text::what(
            view.kind,
            view.title.as_deref(),
            view.signal_name.as_deref(),
            view.deadline.as_deref(),
        );
        println!("  {}  {what}", s.step_id);
        for line in wait_details(s, &view) {
            println!("      {line}");
        }
    }
}

fn wait_details(step: &StepRow, view: &WaitView) -> Vec<String> {
    let mut lines = Vec::new();
    if view.kind == WaitKind::Approval {
        let approvers = if view.approvers.is_empty() {
            "anyone who may see the project".to_string()
        } else {
            view.approvers.join(", ")
        };
        lines.push(format!("approvers: {approvers}"));
    }
    if step.status == StepStatus::Waiting {
        lines.push(format!("waiting since {}", wait_text::local_time(&view.since)));
        if let (Some(d), true) = (&view.deadline, view.kind != WaitKind::Sleep) {
            let then = view
                .on_timeout
                .as_deref()
                .map(|t| format!(", then {t}"))
                .unwrap_or_default();
            lines.push(format!("times out at {}{then}", wait_text::local_time(d)));
        }
    } else if view.kind == WaitKind::Approval {
        lines.push(format!("decided: {}", super::attend::decided_by(step)));
    } else if let Some(at) = &view.resolved_at {
        lines.push(format!("{} at {}", step.status, wait_text::local_time(at)));
    }
    lines
}

fn print_comments(comments: &[CommentRow]) {
    if comments.is_empty() {
        return;
    }
    println!("\ncomments:");
    for c in comments {
        let mut lines = c.text.lines();
        println!(
            "  {}  {}  {}",
            c.created_at,
            c.comment_type,
            lines.next().unwrap_or_default()
        );
        for more in lines {
            println!("      {more}");
        }
    }
}

/// A step left `running` by an engine that died is not running: it runs again on resume.
fn step_status(run: &RunRow, step: &StepRow) -> &'static str {
    if step.status == StepStatus::Running && engine_gone(run) {
        "interrupted"
    } else {
        step.status.as_str()
    }
}

/// From its start to its end, or to now while it runs; unknown for an interrupted step.
fn step_duration_ms(run: &RunRow, step: &StepRow) -> Option<u64> {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let start = parse(step.started_at.as_deref()?)?;
    let end = match step.completed_at.as_deref() {
        Some(t) => parse(t)?,
        None if step.status == StepStatus::Running && !engine_gone(run) => chrono::Utc::now().fixed_offset(),
        None => return None,
    };
    u64::try_from((end - start).num_milliseconds()).ok()
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 100 || s.lines().nth(1).is_some() {
        format!("{}…", line.chars().take(99).collect::<String>())
    } else {
        line.to_string()
    }
}
