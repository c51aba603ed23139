//! The environment steps start from: the allow-list, the operator's passthrough list, the
//! step's own `env` and the run's variables; none of the server's secrets.

use crate::util::*;

/// Server variables no step may see.
const HIDDEN: &[(&str, &str)] = &[
    ("JWT_SECRET", "jwt-secret-value"),
    ("DATABASE_URL", "postgres://root:pw@db/prod"),
    ("ANTHROPIC_API_KEY", "sk-ant-server"),
    ("OPENAI_API_KEY", "sk-openai-server"),
    ("GEMINI_API_KEY", "gemini-server"),
];

/// Runs `file` with the hidden variables, a locale, `PASSED_ON` on the passthrough list and
/// `FROM_FILE_*` on the configuration file's.
fn run_with_server_env(sb: &Sandbox, file: &std::path::Path) -> std::process::Output {
    let config = sb.write("engine.yaml", "stepEnv: [FROM_FILE_*]\n");
    let mut cmd = sb.cmd(&["run", file.to_str().unwrap()]);
    cmd.env("WORKFLOW_ENGINE_CONFIG", config)
        .env("FROM_FILE_X", "file-said-so");
    cmd.envs(HIDDEN.iter().copied())
        // The engine's own database (PostgreSQL's URL, or empty for SQLite): the variable is
        // hidden from steps whatever its value.
        .env("DATABASE_URL", sb.database_url.as_deref().unwrap_or(""))
        .env("LC_MESSAGES", "C")
        .env("PASSED_ON", "operator-said-so")
        .env("NOT_PASSED", "nope")
        .env("WORKFLOW_ENGINE_STEP_ENV", "PASSED_ON, OTHER_*");
    cmd.output().expect("run workflow-engine")
}

/// `NAME=value` lines of an `env` dump as (name, value) pairs.
fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_step_env(what: &str, text: &str, own: &[(&str, &str)]) {
    let env = parse_env(text);
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    for (k, _) in HIDDEN
        .iter()
        .chain(&[("NOT_PASSED", ""), ("WORKFLOW_ENGINE_DATA_DIR", "")])
    {
        assert_eq!(get(k), None, "{what} sees {k}:\n{text}");
    }
    for (k, v) in HIDDEN {
        assert!(!text.contains(v), "{what} sees the value of {k}:\n{text}");
    }
    assert!(get("PATH").is_some_and(|p| !p.is_empty()), "{what}: no PATH\n{text}");
    assert_eq!(get("LC_MESSAGES"), Some("C"), "{what}\n{text}");
    assert_eq!(get("PASSED_ON"), Some("operator-said-so"), "{what}\n{text}");
    assert_eq!(get("FROM_FILE_X"), Some("file-said-so"), "{what}\n{text}");
    for (k, v) in own {
        assert_eq!(get(k), Some(*v), "{what}: {k}\n{text}");
    }
}

#[test]
fn a_script_step_sees_the_allow_list_its_env_and_the_run_not_the_server() {
    let sb = Sandbox::new();
    let file = sb.write(
        "env.yaml",
        "name: Env\nphases: [p]\nsteps:\n  - id: dump\n    phase: p\n    type: script\n    command: env\n    env: { OWN: mine }\n",
    );
    let out = run_with_server_env(&sb, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = run_id(&out);
    let result = sb.read_json(&sb.run_dir(&id).join("logs/dump/output.json"));
    let text = result["data"]["stdout"].as_str().unwrap_or_default();
    assert_step_env(
        "script",
        text,
        &[("OWN", "mine"), ("WORKFLOW_RUN_ID", &id), ("WORKFLOW_STEP_ID", "dump")],
    );
}

/// `ctx.exec` and the JS worker itself (read from /proc by a step, as an attacker would).
#[test]
fn ctx_exec_and_the_js_worker_do_not_see_the_server_environment() {
    let sb = Sandbox::new();
    let worker_env = "for p in /proc/[0-9]*; do if tr '\\\\0' ' ' < $p/cmdline 2>/dev/null | grep -q __worker && [ \\\"$(cut -d' ' -f4 $p/stat)\\\" = \\\"$PPID\\\" ]; then tr '\\\\0' '\\\\n' < $p/environ; fi; done";
    let file = sb.write(
        "env.ts",
        &format!(
            "import {{ defineWorkflow }} from \"@repo/workflow-engine\";\nexport default defineWorkflow({{ name: \"E\", phases: [\"p\"], async execute(ctx) {{\n  const e = await ctx.exec(\"env\");\n  const w = await ctx.exec(\"{worker_env}\");\n  await ctx.step(\"keep\", {{ type: \"function\", phase: \"p\", fn: async () => ({{ exec: e.stdout, worker: w.stdout }}) }});\n}} }});\n"
        ),
    );
    let out = run_with_server_env(&sb, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = run_id(&out);
    let result = sb.read_json(&sb.run_dir(&id).join("logs/keep/output.json"));
    let data = &result["data"];
    assert_step_env("ctx.exec", data["exec"].as_str().unwrap(), &[]);
    let worker = data["worker"].as_str().unwrap();
    assert!(
        worker.contains("WORKFLOW_ENGINE_WORKER=1"),
        "the worker was not found:\n{worker}"
    );
    assert_step_env("the JS worker", worker, &[]);
}

/// The webhook's secret is the server's: no step sees it, even when the operator passes every
/// `WORKFLOW_ENGINE_*` variable on.
#[test]
fn the_webhook_secret_never_reaches_a_step() {
    let sb = Sandbox::new();
    let file = sb.write(
        "env.yaml",
        "name: Env\nphases: [p]\nsteps:\n  - id: dump\n    phase: p\n    type: script\n    command: env\n",
    );
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_WEBHOOK_SECRET", "whsec-server-only")
        .env("WORKFLOW_ENGINE_STEP_ENV", "WORKFLOW_ENGINE_*")
        .output()
        .expect("run workflow-engine");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = sb.read_json(&sb.run_dir(&run_id(&out)).join("logs/dump/output.json"));
    let text = result["data"]["stdout"].as_str().unwrap_or_default();
    assert!(
        text.contains("WORKFLOW_ENGINE_STEP_ENV=WORKFLOW_ENGINE_*"),
        "the pattern passes the others on:\n{text}"
    );
    assert!(
        !text.contains("whsec-server-only"),
        "a step sees the webhook secret:\n{text}"
    );
}
