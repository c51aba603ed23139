//! B6: the board's query (`GET /api/workflow-executions?project_id=..&limit=50`) on a
//! database holding 100,000 runs, inserted with SQL before the server starts.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use uuid::{NoContext, Timestamp, Uuid};

use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{time_gets, Server};
use crate::stats::num;
use crate::Ctx;

const RUNS: usize = 100_000;
/// The oldest runs belong to a second, quiet project: its newest page is deep in the table.
const QUIET_RUNS: usize = 1_000;
const YAML: &str = "name: Board\nphases: [build, test]\nsteps:\n  - id: hello\n    phase: build\n    type: script\n    command: echo hello\n";

pub async fn b6(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b6-")?;
    let data = dir.path().join("data");
    let token = crate::server::cli_user(&ctx.bin, &data, "b6@bench.local")?;
    let server = Server::start(ctx, dir.path(), &[])?;
    let board = server.project(&token, "board", &[("board.yaml", YAML)]).await?;
    let quiet = server.project(&token, "quiet", &[("board.yaml", YAML)]).await?;
    let board_def = server.definition_id(&token, &board, "Board").await?;
    let quiet_def = server.definition_id(&token, &quiet, "Board").await?;
    server.kill();
    let t = Instant::now();
    let steps = fill(&data, [(&quiet, &quiet_def), (&board, &board_def)]).await?;
    crate::progress(&format!(
        "B6: inserted {RUNS} runs and {steps} steps in {} s",
        num(t.elapsed().as_secs_f64())
    ));
    let server = Server::start(ctx, dir.path(), &[])?;
    let mut figures = Vec::new();
    for (label, project, goal) in [("", &board, Some(Goal::AtMost(20.0))), (" quiet", &quiet, None)] {
        let path = format!("/workflow-executions?project_id={project}&limit=50");
        let s = time_gets(&server, &token, &path, 20, ctx.samples * 10, |body| {
            let page = body["data"].as_array().context("a page of runs")?;
            ensure!(page.len() == 50, "{} runs on the first page", page.len());
            ensure!(!body["next_cursor"].is_null(), "no next_cursor");
            ensure!(
                page.iter().any(|r| r["steps"].as_array().is_some_and(|s| s.len() == 3)),
                "no run of the page has its steps"
            );
            Ok(())
        })
        .await?;
        crate::progress(&format!("B6{label}: p95 {} ms", num(s.pct(95.0))));
        let mut fig = Figure::median(
            &format!("B6{label}"),
            if label.is_empty() {
                "100,000 runs in the database: the board's `GET /api/workflow-executions?project_id=..&limit=50`"
            } else {
                "the same query for a project whose 1,000 runs are the oldest in the table"
            },
            "ms",
            s,
            goal,
        );
        fig.stat = "p95";
        fig.value = fig.samples.pct(95.0);
        fig.durability = DURABILITY_OURS.into();
        fig.how = format!(
            "{RUNS} runs inserted with SQL into the server's database before it starts ({} in the board's \
             project, the oldest {QUIET_RUNS} in a second one; statuses mostly completed, some failed or \
             cancelled; every other run has 3 step rows with results, every tenth a comment); then, as a \
             non-admin project owner, 20 warm-up GETs and {} timed GETs one after the other (client-side \
             time to the whole JSON body).",
            RUNS - QUIET_RUNS,
            ctx.samples * 10
        );
        fig.extra.push(format!("median {} ms", num(fig.samples.median())));
        figures.push(fig);
    }
    let runs = (RUNS - QUIET_RUNS) as u64;
    let boards = [
        ("", format!("/board?project_id={board}"), "the all-workflows board"),
        (
            " phases",
            format!("/board?project_id={board}&workflow_definition_id={board_def}"),
            "a workflow's board (columns by phase)",
        ),
        (
            " search",
            format!("/board?project_id={board}&q=exit%20code"),
            "the all-workflows board searched for error text",
        ),
    ];
    for (label, path, what) in boards {
        let s = time_gets(&server, &token, &path, 10, ctx.samples * 3, |body| {
            let columns = body["columns"].as_array().context("columns")?;
            let counted: u64 = columns.iter().filter_map(|c| c["count"].as_u64()).sum();
            ensure!(
                counted == body["total"].as_u64().unwrap_or(0),
                "column counts {counted} != total {}",
                body["total"]
            );
            ensure!(
                label == " search" || counted == runs,
                "{counted} runs counted of {runs}"
            );
            ensure!(
                columns.iter().any(|c| !c["runs"].as_array().is_none_or(Vec::is_empty)),
                "no cards"
            );
            Ok(())
        })
        .await?;
        crate::progress(&format!("B6 board{label}: p95 {} ms", num(s.pct(95.0))));
        let mut fig = Figure::median(
            &format!("B6 board{label}"),
            &format!("100,000 runs in the database: {what}, `GET /api{path}` (exact counts, a page per column)")
                .replace(board.as_str(), "..")
                .replace(board_def.as_str(), ".."),
            "ms",
            s,
            label.is_empty().then_some(Goal::AtMost(100.0)),
        );
        fig.stat = "p95";
        fig.value = fig.samples.pct(95.0);
        fig.durability = DURABILITY_OURS.into();
        fig.how = format!(
            "the B6 database; as the project owner, 10 warm-up GETs and {} timed GETs one after the other \
             (client-side time to the whole JSON body); every answer checked: the column counts add up to \
             the total, and without a search to all {runs} runs of the project.",
            ctx.samples * 3
        );
        fig.extra.push(format!("median {} ms", num(fig.samples.median())));
        figures.push(fig);
    }
    Ok(figures)
}

/// Inserts the runs (the first `QUIET_RUNS` in the first project), their steps and comments;
/// returns the number of steps.
async fn fill(data: &std::path::Path, projects: [(&String, &String); 2]) -> Result<usize> {
    let db = data.join(workflow_engine::store::DB_FILE);
    let mut conn = SqliteConnectOptions::new()
        .filename(&db)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .connect()
        .await?;
    let (user,): (String,) = sqlx::query_as("SELECT id FROM users LIMIT 1")
        .fetch_one(&mut conn)
        .await?;
    let mut tx = conn.begin().await?;
    let start = chrono::Utc::now() - chrono::Duration::days(100);
    let gap = Duration::from_secs(100 * 86_400) / RUNS as u32;
    let mut steps = 0;
    for i in 0..RUNS {
        let (project, def) = if i < QUIET_RUNS { projects[0] } else { projects[1] };
        let at = start + chrono::Duration::from_std(gap * i as u32)?;
        let id = Uuid::new_v7(Timestamp::from_unix(
            NoContext,
            at.timestamp() as u64,
            at.timestamp_subsec_nanos(),
        ))
        .simple()
        .to_string();
        let ts = |offset_ms: i64| {
            (at + chrono::Duration::milliseconds(offset_ms)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let status = match i % 20 {
            0 => "failed",
            7 => "cancelled",
            _ => "completed",
        };
        let error = (status == "failed").then_some("step \"check\" failed: exit code 1");
        sqlx::query(
            "INSERT INTO workflow_runs (id, project_id, user_id, workflow_definition_id, name, args, current_phase,
                 current_step_index, status, error_message, started_at, completed_at, cancelled_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 'test', 3, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(project)
        .bind(&user)
        .bind(def)
        .bind(format!("Board run {i}"))
        .bind(json!({ "who": format!("user-{i}"), "count": i % 7 }).to_string())
        .bind(status)
        .bind(error)
        .bind(ts(5))
        .bind((status != "cancelled").then(|| ts(2400)))
        .bind((status == "cancelled").then(|| ts(1200)))
        .bind(ts(0))
        .bind(ts(2400))
        .execute(&mut *tx)
        .await?;
        if i % 2 == 0 {
            for (n, (step, phase)) in [("hello", "build"), ("check", "test"), ("show", "test")]
                .iter()
                .enumerate()
            {
                let result = json!({ "stepId": step, "status": "completed",
                    "data": { "exitCode": 0, "stdout": format!("hello user-{i}\n"), "stderr": "" } });
                sqlx::query(
                    "INSERT INTO workflow_run_steps (id, workflow_run_id, step_id, step_index, name, phase, type, status,
                         result, log_directory_path, started_at, completed_at, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, 'script', 'completed', ?, ?, ?, ?, ?, ?)",
                )
                .bind(workflow_engine::store::new_id())
                .bind(&id)
                .bind(step)
                .bind(n as i64)
                .bind(step)
                .bind(phase)
                .bind(result.to_string())
                .bind(format!(".agent/workflows/executions/{id}/logs/{step}"))
                .bind(ts(5 + 800 * n as i64))
                .bind(ts(800 + 800 * n as i64))
                .bind(ts(5 + 800 * n as i64))
                .bind(ts(800 + 800 * n as i64))
                .execute(&mut *tx)
                .await?;
                steps += 1;
            }
        }
        if i % 10 == 0 {
            sqlx::query(
                "INSERT INTO workflow_comments (id, workflow_run_id, text, comment_type, created_by, created_at, updated_at)
                 VALUES (?, ?, ?, 'user', ?, ?, ?)",
            )
            .bind(workflow_engine::store::new_id())
            .bind(&id)
            .bind("Looks good to me.")
            .bind(&user)
            .bind(ts(3000))
            .bind(ts(3000))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(steps)
}
