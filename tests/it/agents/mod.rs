//! Agent steps against the stand-in CLIs in `tests/fixtures/agents`, which take the real
//! flags, write their session files where the real ones do (under a temporary home) and
//! replay scripted streams.

mod configuration;
mod controls;
mod credentials;
mod drivers;
mod fork;
mod lifecycle;
mod live;
mod typescript;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::util::{run_id, steps, Sandbox};

pub const AGENTS: [&str; 3] = ["claude", "codex", "gemini"];

pub fn fake(agent: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agents")
        .join(agent)
}

/// A sandbox whose engine runs the stand-ins, with a temporary home and a record folder.
pub struct AgentBox {
    pub sb: Sandbox,
}

impl AgentBox {
    pub fn new() -> AgentBox {
        let sb = Sandbox::new();
        for dir in ["home", "record"] {
            std::fs::create_dir_all(sb.project().join(dir)).unwrap();
        }
        AgentBox { sb }
    }

    pub fn home(&self) -> PathBuf {
        self.sb.project().join("home")
    }

    pub fn record_dir(&self) -> PathBuf {
        self.sb.project().join("record")
    }

    /// `workflow-engine <args>` pointed at the stand-ins.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.sb.cmd(args);
        for agent in AGENTS {
            c.env(format!("WORKFLOW_ENGINE_{}_COMMAND", agent.to_uppercase()), fake(agent));
        }
        for var in [
            "CLAUDE_CONFIG_DIR",
            "CODEX_HOME",
            "GEMINI_CLI_HOME",
            "FAKE_AGENT_SCENARIO",
            "FAKE_AGENT_RESULT",
            "IS_SANDBOX",
        ] {
            c.env_remove(var);
        }
        c.env("HOME", self.home())
            .env("FAKE_AGENT_RECORD", self.record_dir())
            .env("WORKFLOW_ENGINE_AGENT_RETRY_DELAY", "50ms")
            // The stand-ins' controls reach the steps as an operator would pass a variable on.
            .env("WORKFLOW_ENGINE_STEP_ENV", "FAKE_AGENT_*")
            // The engine must not pass this on: the real claude refuses to start under it.
            .env("CLAUDECODE", "1");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run workflow-engine")
    }

    /// `workflow-engine run <file>` with `env` added to the engine's environment.
    pub fn run_file(&self, file: &Path, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd(&["run", file.to_str().unwrap()]);
        cmd.envs(env.iter().copied());
        cmd.output().expect("run workflow-engine")
    }

    /// Writes a one-step workflow whose step has `extra` YAML lines, and returns its path.
    pub fn one_step(&self, name: &str, agent: &str, prompt: &str, extra: &str) -> PathBuf {
        let mut yaml = format!(
            "name: {name}\nphases: [work]\nsteps:\n  - id: ask\n    phase: work\n    type: agent\n    agent: {agent}\n    prompt: {}\n",
            serde_json::to_string(prompt).unwrap()
        );
        for line in extra.lines().filter(|l| !l.trim().is_empty()) {
            yaml.push_str(&format!("    {line}\n"));
        }
        self.sb.write(&format!("{name}.yaml"), &yaml)
    }

    /// What the stand-in recorded of each of its invocations.
    pub fn records(&self, agent: &str) -> Vec<Value> {
        let path = self.record_dir().join(format!("{agent}.jsonl"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("record line"))
            .collect()
    }
}

/// The one step's row result, error and agent session, after a run.
pub struct StepReport {
    pub run_id: String,
    pub status: String,
    pub result: Value,
    pub error: Option<String>,
    pub session: Option<workflow_engine::store::agent_sessions::AgentSessionRow>,
}

pub async fn report(abox: &AgentBox, out: &Output) -> StepReport {
    let id = run_id(out);
    let store = abox.sb.store().await;
    let rows = steps(&store, &id).await;
    let step = rows.into_iter().next().expect("the step has a row");
    let session_ref: Option<(Option<String>,)> = crate::util::db(&store)
        .await
        .optional(
            "SELECT agent_session_id FROM workflow_run_steps WHERE workflow_run_id = ?",
            &[(&id).into()],
        )
        .await;
    let session = match session_ref.and_then(|r| r.0) {
        Some(sid) => workflow_engine::store::agent_sessions::AgentSessionRow::get(&store, &sid)
            .await
            .unwrap(),
        None => None,
    };
    StepReport {
        run_id: id,
        status: step.status,
        result: step
            .result
            .map(|r| serde_json::from_str(&r).unwrap())
            .unwrap_or(Value::Null),
        error: step.error_message,
        session,
    }
}

/// Every line of a step's `events.jsonl`.
/// The step's `events.jsonl` lines, each try's in turn (a retried step's later tries log to
/// `logs/ask/attempt-N/`).
pub fn event_lines(abox: &AgentBox, run_id: &str) -> Vec<Value> {
    let dir = abox.sb.run_dir(run_id).join("logs/ask");
    let path = dir.join("events.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for n in 2.. {
        match std::fs::read_to_string(dir.join(format!("attempt-{n}/events.jsonl"))) {
            Ok(more) => text.push_str(&more),
            Err(_) => break,
        }
    }
    text.lines()
        .map(|l| serde_json::from_str(l).expect("events.jsonl line is JSON"))
        .collect()
}

/// Whether a process is alive (a zombie counts as dead).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

pub fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}
