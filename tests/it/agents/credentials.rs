//! Each agent CLI gets its own credentials and what its `passEnv` names; no other step
//! (another CLI, a script) sees them, nor the server's own secrets.

use serde_json::Value;

use super::AgentBox;
use crate::util::stderr;

const SERVER_ENV: &[(&str, &str)] = &[
    ("ANTHROPIC_API_KEY", "sk-ant-1"),
    ("CLAUDE_CODE_OAUTH_TOKEN", "oauth-1"),
    ("OPENAI_API_KEY", "sk-openai-1"),
    ("CODEX_API_KEY", "codex-1"),
    ("GEMINI_API_KEY", "gemini-1"),
    ("GOOGLE_CLOUD_PROJECT", "proj-1"),
    ("JWT_SECRET", "jwt-1"),
    ("AWS_REGION", "eu-west-1"),
];

/// Which of `SERVER_ENV` each agent must see; the rest it must not.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "claude",
        &["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "AWS_REGION"],
    ),
    ("codex", &["OPENAI_API_KEY", "CODEX_API_KEY"]),
    ("gemini", &["GEMINI_API_KEY", "GOOGLE_CLOUD_PROJECT"]),
];

#[tokio::test]
async fn each_cli_gets_its_own_credentials_and_a_script_none() {
    let abox = AgentBox::new();
    let mut yaml = String::from("name: Creds\nphases: [work]\nsteps:\n");
    for (agent, _) in EXPECTED {
        yaml.push_str(&format!(
            "  - id: {agent}\n    phase: work\n    type: agent\n    agent: {agent}\n    prompt: hi\n"
        ));
    }
    yaml.push_str("  - id: script\n    phase: work\n    type: script\n    command: env\n");
    let file = abox.sb.write("creds.yaml", &yaml);
    let config = abox
        .sb
        .write("agents.yaml", "agents:\n  claude:\n    passEnv: [AWS_*]\n");
    let mut env: Vec<(&str, &str)> = SERVER_ENV.to_vec();
    env.push(("WORKFLOW_ENGINE_CONFIG", config.to_str().unwrap()));
    let out = abox.run_file(&file, &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    for (agent, wanted) in EXPECTED {
        let records = abox.records(agent);
        let seen: &Value = &records[0]["allEnv"];
        for (name, value) in SERVER_ENV {
            let expected = wanted.contains(name).then_some(*value);
            assert_eq!(seen[name].as_str(), expected, "{agent} and {name}: {seen}");
        }
        assert!(
            seen["PATH"].is_string() && seen["WORKFLOW_RUN_ID"].is_string(),
            "{agent}: {seen}"
        );
    }
    let id = crate::util::run_id(&out);
    let result = abox.sb.read_json(&abox.sb.run_dir(&id).join("logs/script/output.json"));
    let text = result["data"]["stdout"].as_str().unwrap();
    assert!(text.contains("PATH="), "{text}");
    for (name, value) in SERVER_ENV {
        assert!(!text.contains(value), "the script sees {name}:\n{text}");
    }
}

/// A secret in a prompt reaches the CLI as its value; what the agent says back is masked.
#[tokio::test]
async fn a_secret_in_a_prompt_reaches_the_agent_and_is_masked_in_its_answer() {
    use crate::secrets::{files_containing, secret, VALUE};
    let abox = AgentBox::new();
    secret(
        &abox.sb,
        &["set", "--project", abox.sb.project().to_str().unwrap(), "KEY"],
        VALUE,
    );
    let file = abox.one_step("masked", "claude", "use {{ secrets.KEY }}", "");
    let out = abox.run_file(&file, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(abox.records("claude")[0]["prompt"], format!("use {VALUE}"));
    let r = super::report(&abox, &out).await;
    assert_eq!(r.result["data"]["text"], "done: use ***", "{}", r.result);
    let run_dir = abox.sb.run_dir(&r.run_id);
    assert_eq!(files_containing(&run_dir, VALUE), Vec::<String>::new());
    assert_eq!(files_containing(&abox.sb.data_dir(), VALUE), Vec::<String>::new());
}
