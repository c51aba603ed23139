//! `WORKFLOW_ENGINE_<AGENT>_ARGS`: shell quoting or a JSON list, and a clear startup error for
//! a value that is neither.

use super::{report, AgentBox};
use crate::util::stderr;

#[tokio::test]
async fn agent_args_take_shell_quoting_or_a_json_list() {
    let values = [
        r#"--allowedTools="Bash(npm test)" --append-system-prompt 'be brief; say "done"' --bare"#,
        r#"--allowedTools=Bash\(npm\ test\) --append-system-prompt "be brief; say \"done\"" --bare"#,
        r#" ["--allowedTools=Bash(npm test)", "--append-system-prompt", "be brief; say \"done\"", "--bare"] "#,
    ];
    for value in values {
        let abox = AgentBox::new();
        let file = abox.one_step("args", "claude", "run the tests", "");
        let out = abox.run_file(&file, &[("WORKFLOW_ENGINE_CLAUDE_ARGS", value)]);
        assert_eq!(out.status.code(), Some(0), "{value}: {}", stderr(&out));
        let r = report(&abox, &out).await;
        assert_eq!(r.result["data"]["text"], "done: run the tests", "{value}");
        let argv = &abox.records("claude")[0]["argv"];
        let argv: Vec<&str> = argv.as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(
            argv[..4],
            [
                "--allowedTools=Bash(npm test)",
                "--append-system-prompt",
                r#"be brief; say "done""#,
                "--bare"
            ],
            "{value}"
        );
    }
}

#[tokio::test]
async fn a_malformed_args_variable_stops_the_engine_at_once_saying_where() {
    let cases = [
        (r#"--allowedTools="Bash(npm test)"#, "unterminated double quote"),
        ("--append-system-prompt 'be brief", "unterminated single quote"),
        ("--bare \\", "ends with a backslash"),
        ("--allowedTools=Bash(npm test)", "unquoted `(`"),
        (r#"["--bare", "#, "not a JSON list of strings"),
        (r#"["--max-turns", 3]"#, "not a JSON list of strings"),
    ];
    for (value, words) in cases {
        let abox = AgentBox::new();
        let file = abox.one_step("args", "codex", "hi", "");
        let out = abox.run_file(&file, &[("WORKFLOW_ENGINE_CODEX_ARGS", value)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(
            err.contains("WORKFLOW_ENGINE_CODEX_ARGS") && err.contains(words),
            "{value}: '{words}' not in: {err}"
        );
        assert!(abox.records("codex").is_empty(), "{value}: no agent ran");
    }
}
