//! The chaos test's evidence and its verdict: the ledger every step execution appends to
//! (`start`/`end` lines with the run, the step, the attempt, the node's pid and the time),
//! the kills the test made, and what the database recorded. `check` returns every breach of
//! the rules: each run completed; a step runs again only when its earlier execution was in
//! flight on a node that was then killed; no step starts again once recorded completed; the
//! run folders hold what the database says completed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How long after its node spawned it a step's shell may write its first ledger line.
const SPAWN_TO_LINE_NS: i128 = 100_000_000;

/// The step command: a `start` line, half a second of work, an `end` line.
pub fn step_command(ledger: &Path) -> String {
    let l = ledger.display();
    format!(
        "a=$(( $(grep -c \"^start $WORKFLOW_RUN_ID $WORKFLOW_STEP_ID \" {l} 2>/dev/null || true) + 1 )); \
         echo \"start $WORKFLOW_RUN_ID $WORKFLOW_STEP_ID $a $PPID $$ $(date +%s%N)\" >> {l}; sleep 0.5; \
         echo \"end $WORKFLOW_RUN_ID $WORKFLOW_STEP_ID $a $PPID $$ $(date +%s%N)\" >> {l}"
    )
}

/// One execution of a step, from its `start` line (and its `end` line, if it got there).
#[derive(Debug, Clone)]
pub struct Execution {
    pub attempt: u32,
    pub node_pid: u32,
    pub sh_pid: u32,
    pub started_ns: i128,
    pub ended_ns: Option<i128>,
}

/// The ledger's executions by (run, step), in start order.
pub fn read(ledger: &Path) -> BTreeMap<(String, String), Vec<Execution>> {
    let text = std::fs::read_to_string(ledger).unwrap_or_default();
    let mut by_step: BTreeMap<(String, String), Vec<Execution>> = BTreeMap::new();
    let mut ends: HashMap<(String, String, u32), i128> = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [kind, run, step, attempt, node, sh, ns] = f[..] else {
            panic!("a torn ledger line: {line:?}");
        };
        let (Ok(attempt), Ok(node_pid), Ok(sh_pid), Ok(ns)) = (attempt.parse(), node.parse(), sh.parse(), ns.parse())
        else {
            panic!("a bad ledger line: {line:?}");
        };
        let key = (run.to_string(), step.to_string());
        match kind {
            "start" => by_step.entry(key).or_default().push(Execution {
                attempt,
                node_pid,
                sh_pid,
                started_ns: ns,
                ended_ns: None,
            }),
            "end" => {
                ends.insert((run.to_string(), step.to_string(), sh_pid), ns);
            }
            _ => panic!("a bad ledger line: {line:?}"),
        }
    }
    for ((run, step), execs) in by_step.iter_mut() {
        execs.sort_by_key(|e| e.started_ns);
        for e in execs.iter_mut() {
            e.ended_ns = ends.get(&(run.clone(), step.clone(), e.sh_pid)).copied();
        }
    }
    by_step
}

/// A completed step as the database has it.
pub struct DbStep {
    pub run: String,
    pub step: String,
    pub completed_ns: i128,
}

/// What the test saw and did.
pub struct Evidence<'a> {
    pub executions: &'a BTreeMap<(String, String), Vec<Execution>>,
    /// Each node process ever started: pid → when it was killed (ns), None if it was not.
    pub nodes: &'a HashMap<u32, Option<i128>>,
    pub steps: &'a [DbStep],
    /// Steps each run has (3).
    pub steps_per_run: usize,
    pub runs: &'a [(String, String, Option<String>)],
    pub project: &'a Path,
}

/// Every breach found (empty: the run passed), and how many executions were repeats.
pub fn check(ev: &Evidence) -> (Vec<String>, usize) {
    let mut bad = Vec::new();
    let mut repeats = 0;
    for (id, status, error) in ev.runs {
        if status != "completed" {
            bad.push(format!("run {id} ended {status}: {}", error.as_deref().unwrap_or("")));
        }
    }
    let completed: HashMap<(&str, &str), &DbStep> = ev
        .steps
        .iter()
        .map(|s| ((s.run.as_str(), s.step.as_str()), s))
        .collect();
    let expected = ev.runs.len() * ev.steps_per_run;
    if ev.steps.len() != expected {
        bad.push(format!("{} completed step rows, not {expected}", ev.steps.len()));
    }
    for ((run, step), execs) in ev.executions {
        let Some(db) = completed.get(&(run.as_str(), step.as_str())) else {
            bad.push(format!(
                "{run}/{step} ran {} time(s) but is not recorded completed",
                execs.len()
            ));
            continue;
        };
        repeats += execs.len() - 1;
        for (i, e) in execs.iter().enumerate() {
            let Some(killed) = ev.nodes.get(&e.node_pid) else {
                bad.push(format!(
                    "{run}/{step} attempt {} ran under pid {}, not a node of the test",
                    e.attempt, e.node_pid
                ));
                continue;
            };
            // A step starts again only after its record says it did not complete; one that
            // starts after the completion was recorded ran twice.
            if e.started_ns > db.completed_ns + 1_000_000 {
                bad.push(format!(
                    "{run}/{step} started again (attempt {}, pid {}) {} ms after it was recorded completed",
                    e.attempt,
                    e.node_pid,
                    (e.started_ns - db.completed_ns) / 1_000_000
                ));
            }
            // A step dies with its node (the guardian, PR_SET_PDEATHSIG): none writes its end
            // line well after its node was killed.
            if let (Some(k), Some(end)) = (killed, e.ended_ns) {
                if end > *k + 300_000_000 {
                    bad.push(format!(
                        "{run}/{step} attempt {} finished {} ms after its node (pid {}) was killed",
                        e.attempt,
                        (end - k) / 1_000_000,
                        e.node_pid
                    ));
                }
            }
            let Some(next) = execs.get(i + 1) else { continue };
            // Not the last: it was interrupted, so its node must have been killed after it
            // started, and the next execution started after that kill. "After it started"
            // allows the step's own first line: a node spawns the step, then dies, and the
            // step's shell writes its start line a few ms later (before its guardian kills
            // it): the ledger's start is not the spawn.
            match killed {
                Some(k) if *k + SPAWN_TO_LINE_NS >= e.started_ns && next.started_ns >= *k => {}
                Some(k) => bad.push(format!(
                    "{run}/{step} ran again (attempt {} at pid {} started {} ms after attempt {} at pid {}) and the kill of pid {} ({} ms after that start) does not explain it",
                    next.attempt,
                    next.node_pid,
                    (next.started_ns - e.started_ns) / 1_000_000,
                    e.attempt,
                    e.node_pid,
                    e.node_pid,
                    (k - e.started_ns) / 1_000_000
                )),
                None => bad.push(format!(
                    "{run}/{step} ran again (attempt {} at pid {}) though its node (pid {}) was never killed",
                    next.attempt, next.node_pid, e.node_pid
                )),
            }
        }
        if execs.last().is_some_and(|e| e.ended_ns.is_none()) {
            bad.push(format!(
                "{run}/{step}: its last execution never finished, yet it is recorded completed"
            ));
        }
    }
    for s in ev.steps {
        if !ev.executions.contains_key(&(s.run.clone(), s.step.clone())) {
            bad.push(format!("{}/{} is recorded completed but never ran", s.run, s.step));
        }
        let dir = ev.project.join(".agent/workflows/executions").join(&s.run);
        let output = dir.join(format!("logs/{}/output.json", s.step));
        if !output.is_file() {
            bad.push(format!(
                "{}/{} is completed in the database, {} is missing",
                s.run,
                s.step,
                output.display()
            ));
        }
    }
    // The run folder keeps its latest checkpoint only (`store::files`: each supersedes the
    // one before): it lists every step the database has completed.
    let mut by_run: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in ev.steps {
        by_run.entry(s.run.as_str()).or_default().push(s.step.as_str());
    }
    for (run, done) in by_run {
        let dir = ev
            .project
            .join(".agent/workflows/executions")
            .join(run)
            .join("checkpoints");
        let latest = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let i: u64 = name.strip_prefix("step-")?.strip_suffix(".json")?.parse().ok()?;
                Some((i, e.path()))
            })
            .max_by_key(|(i, _)| *i);
        let Some((_, path)) = latest else {
            bad.push(format!(
                "run {run} has completed steps and no checkpoint in {}",
                dir.display()
            ));
            continue;
        };
        let cp: serde_json::Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let ids = cp["completed_step_ids"].as_array().cloned().unwrap_or_default();
        for step in done {
            if !ids.iter().any(|i| i == step) {
                bad.push(format!(
                    "{} does not list {step}, completed in the database",
                    path.display()
                ));
            }
        }
    }
    (bad, repeats)
}
