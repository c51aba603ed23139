//! A rerun from an agent step continues a fork of the parent run's conversation where the CLI
//! can fork one (claude `--resume ID --fork-session`, codex `exec fork ID`), and starts fresh,
//! saying so, where it cannot (gemini).

use serde_json::Value;

use super::AgentBox;
use crate::util::{run_id, stderr, stdout};

fn argv(record: &Value) -> Vec<&str> {
    record["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// A workflow of a script, then the agent step `ask` (in `cwd`, if given), then another agent
/// step `after`.
fn workflow(abox: &AgentBox, agent: &str, cwd: Option<&str>) -> std::path::PathBuf {
    let cwd = cwd.map(|c| format!("    cwd: {c}\n")).unwrap_or_default();
    let yaml = format!(
        "name: fork-{agent}\nphases: [p]\nsteps:\n  - id: prep\n    phase: p\n    type: script\n    command: echo ready\n  \
         - id: ask\n    phase: p\n    type: agent\n    agent: {agent}\n    prompt: fix the parser\n{cwd}  \
         - id: after\n    phase: p\n    type: agent\n    agent: {agent}\n    prompt: write the notes\n"
    );
    abox.sb.write(&format!("fork-{agent}.yaml"), &yaml)
}

/// The run's steps as `show --json` gives them, by step id.
fn shown_step(abox: &AgentBox, run: &str, step: &str) -> Value {
    let json: Value = serde_json::from_str(&stdout(&abox.run(&["show", run, "--json"]))).unwrap();
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == step)
        .cloned()
        .unwrap_or_else(|| panic!("no step {step} in {json}"))
}

#[tokio::test]
async fn a_rerun_of_a_claude_or_codex_step_forks_its_parent_s_conversation() {
    for (agent, fork_args) in [
        ("claude", &["--resume", "ID", "--fork-session"][..]),
        ("codex", &["fork", "ID", "-"][..]),
    ] {
        let abox = AgentBox::new();
        let file = workflow(&abox, agent, None);
        let out = abox.run(&["run", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{agent}: {}", stderr(&out));
        let parent = run_id(&out);
        let parent_session = shown_step(&abox, &parent, "ask")["result"]["data"]["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
        // The rerun's agent runs in another folder (as a rerun in its own worktree does):
        // claude keeps sessions per folder, so the engine brings the parent's along.
        std::fs::create_dir_all(abox.sb.project().join("sub")).unwrap();
        workflow(&abox, agent, Some("sub"));

        let again = abox.run(&["rerun", &parent, "--from", "ask"]);
        assert_eq!(again.status.code(), Some(0), "{agent}: {}", stderr(&again));
        let child = run_id(&again);
        let records = abox.records(agent);
        assert_eq!(records.len(), 4, "{agent}: two runs of two agent steps");
        let forked = argv(&records[2]);
        let want: Vec<&str> = fork_args
            .iter()
            .map(|a| if *a == "ID" { parent_session.as_str() } else { a })
            .collect();
        assert!(
            forked.windows(want.len()).any(|w| w == want.as_slice()),
            "{agent}: {want:?} not in {forked:?}"
        );
        let prompt = records[2]["prompt"].as_str().unwrap();
        assert!(
            prompt.contains("being run again") && prompt.ends_with("fix the parser"),
            "{prompt}"
        );
        // The fork is a session of its own; the parent's is left as it was.
        let ask = shown_step(&abox, &child, "ask");
        let session = ask["result"]["data"]["sessionId"].as_str().unwrap();
        assert_ne!(session, parent_session, "{agent}");
        assert_eq!(ask["warnings"], serde_json::json!([]), "{agent}: {ask}");
        // The step after it starts a fresh conversation: its parent's followed from the old one.
        let after = argv(&records[3]);
        assert!(
            !after.iter().any(|a| *a == "--resume" || *a == "fork"),
            "{agent}: {after:?}"
        );
    }
}

#[tokio::test]
async fn gemini_cannot_fork_so_its_rerun_starts_fresh_and_says_so() {
    let abox = AgentBox::new();
    let file = workflow(&abox, "gemini", None);
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let parent = run_id(&out);
    let again = abox.run(&["rerun", &parent, "--from", "ask"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let child = run_id(&again);
    let records = abox.records("gemini");
    assert!(!argv(&records[2]).contains(&"--resume"), "{:?}", argv(&records[2]));
    let ask = shown_step(&abox, &child, "ask");
    assert_eq!(
        ask["warnings"],
        serde_json::json!(["gemini cannot fork a conversation; started fresh"]),
        "{ask}"
    );
    assert_eq!(ask["status"], "completed");
}

#[tokio::test]
async fn a_fork_the_cli_refuses_starts_fresh_with_a_warning() {
    let abox = AgentBox::new();
    let file = workflow(&abox, "claude", None);
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let parent = run_id(&out);
    // Claude's transcripts are gone (another machine, a cleaned home): nothing to fork.
    std::fs::remove_dir_all(abox.home().join(".claude")).unwrap();
    let again = abox.run(&["rerun", &parent, "--from", "ask"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let child = run_id(&again);
    let ask = shown_step(&abox, &child, "ask");
    let warnings = ask["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{ask}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("claude could not fork the parent run's conversation"),
        "{ask}"
    );
    assert_eq!(ask["status"], "completed");
}

#[tokio::test]
async fn a_rerun_of_a_worktree_run_forks_claude_s_conversation_in_its_new_worktree() {
    let abox = AgentBox::new();
    crate::workspaces::git_repo(&abox.sb.project());
    let yaml = "name: fork-wt\nworkspace:\n  isolation: worktree\nphases: [p]\nsteps:\n  - id: ask\n    phase: p\n    \
                type: agent\n    agent: claude\n    prompt: fix the parser\n";
    let file = abox.sb.write("fork-wt.yaml", yaml);
    // The stand-in records into the checkout, which an agent confined to its worktree cannot write.
    let run = |args: &[&str]| {
        abox.cmd(args)
            .env("WORKFLOW_ENGINE_CONFINEMENT", "off")
            .output()
            .unwrap()
    };
    let out = run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let parent = run_id(&out);
    let parent_session = shown_step(&abox, &parent, "ask")["result"]["data"]["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let again = run(&["rerun", &parent, "--from", "ask"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let child = run_id(&again);
    let records = abox.records("claude");
    assert_ne!(records[0]["cwd"], records[1]["cwd"], "each run has its own worktree");
    let forked = argv(&records[1]);
    let want = ["--resume", parent_session.as_str(), "--fork-session"];
    assert!(forked.windows(3).any(|w| w == want), "{forked:?}");
    let ask = shown_step(&abox, &child, "ask");
    assert_eq!(ask["status"], "completed", "{ask}");
    assert_eq!(ask["warnings"], serde_json::json!([]), "{ask}");
    assert_ne!(ask["result"]["data"]["sessionId"], parent_session.as_str());
}
