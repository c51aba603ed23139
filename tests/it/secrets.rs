//! Secrets through the CLI: stored sealed, given only to the steps that name them, and masked
//! (`***`) in every file, row and event of the run.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::util::*;

pub const VALUE: &str = "s3cr3t-Value-9f8e7d";

/// `workflow-engine secret <args>` with `stdin` as its input.
pub fn secret(sb: &Sandbox, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = sb
        .cmd(&[&["secret"], args].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn the_cli_sets_lists_and_removes_and_the_database_holds_no_value() {
    let sb = Sandbox::new();
    let dir = sb.project();
    let project = dir.to_str().unwrap();
    let out = secret(&sb, &["set", "--project", project, "API_TOKEN"], &format!("{VALUE}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("set secret API_TOKEN"), "{}", stdout(&out));
    let again = secret(&sb, &["set", "--project", project, "API_TOKEN"], VALUE);
    assert!(
        stdout(&again).contains("replaced secret API_TOKEN"),
        "{}",
        stdout(&again)
    );
    let list = secret(&sb, &["list", "--project", project], "");
    assert!(stdout(&list).starts_with("API_TOKEN\t"), "{}", stdout(&list));
    assert!(
        files_containing(&sb.data_dir(), VALUE).is_empty(),
        "the value is in the data directory"
    );
    let key = std::fs::metadata(sb.data_dir().join("secrets.key")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o777,
        0o600
    );

    let empty = secret(&sb, &["set", "--project", project, "EMPTY"], "\n");
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("the value of secret EMPTY is empty"),
        "{}",
        stderr(&empty)
    );
    let bad = secret(&sb, &["set", "--project", project, "API-TOKEN"], VALUE);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("invalid secret name 'API-TOKEN'"),
        "{}",
        stderr(&bad)
    );
    let rm = secret(&sb, &["rm", "--project", project, "API_TOKEN"], "");
    assert_eq!(rm.status.code(), Some(0), "{}", stderr(&rm));
    let rm = secret(&sb, &["rm", "--project", project, "API_TOKEN"], "");
    assert_eq!(rm.status.code(), Some(2));
    assert!(stderr(&rm).contains("has no secret API_TOKEN"), "{}", stderr(&rm));
    assert_eq!(stdout(&secret(&sb, &["list", "--project", project], "")), "");
}

#[test]
fn another_key_cannot_open_a_secret_and_says_so() {
    let sb = Sandbox::new();
    let project = sb.project();
    secret(&sb, &["set", "--project", project.to_str().unwrap(), "K"], VALUE);
    let file = sb.write(
        "k.yaml",
        "name: K\nphases: [p]\nsteps:\n  - id: s\n    phase: p\n    type: script\n    command: echo {{ secrets.K }}\n",
    );
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_SECRETS_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("secret K cannot be opened: it was sealed with another key"),
        "{text}"
    );
}

const YAML: &str = r#"name: Uses
phases: [p]
steps:
  - id: use
    phase: p
    type: script
    command: |
      echo "arg:" {{ secrets.API_TOKEN }}
      echo "env:$TOKEN"
      echo "err:$TOKEN" >&2
      [ "$TOKEN" = "$(cat expected)" ] && echo "the step has the value"
    env: { TOKEN: "{{ secrets.API_TOKEN }}" }
  - id: other
    phase: p
    type: script
    command: env
"#;

#[tokio::test]
async fn a_yaml_step_gets_its_secret_and_the_run_records_only_stars() {
    let sb = Sandbox::new();
    secret(
        &sb,
        &["set", "--project", sb.project().to_str().unwrap(), "API_TOKEN"],
        VALUE,
    );
    sb.write("expected", VALUE);
    let file = sb.write("uses.yaml", YAML);
    let out = sb.run(&["run", file.to_str().unwrap(), "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let result = sb.read_json(&sb.run_dir(&id).join("logs/use/output.json"));
    let data = &result["data"];
    assert_eq!(
        data["stdout"], "arg: ***\nenv:***\nthe step has the value\n",
        "{result}"
    );
    assert_eq!(data["stderr"], "err:***\n");
    let other = sb.read_json(&sb.run_dir(&id).join("logs/other/output.json"));
    assert!(
        !other["data"]["stdout"].as_str().unwrap().contains("API_TOKEN"),
        "{other}"
    );
    let input = std::fs::read_to_string(sb.run_dir(&id).join("logs/use/input.json")).unwrap();
    assert!(input.contains("{{ secrets.API_TOKEN }}"), "{input}");
    assert_eq!(files_containing(&sb.run_dir(&id), VALUE), Vec::<String>::new());
    assert_eq!(files_containing(&sb.data_dir(), VALUE), Vec::<String>::new());
    assert!(!stdout(&out).contains(VALUE) && !stderr(&out).contains(VALUE));
    let events = std::fs::read_to_string(sb.run_dir(&id).join("logs/use/events.jsonl")).unwrap();
    assert!(events.contains("err:***"), "{events}");
    let journal: Vec<(String,)> = crate::util::db(&sb.store().await)
        .await
        .all(
            "SELECT data FROM workflow_events WHERE execution_id = ? AND type = 'workflow.step.progress'",
            &[(&id).into()],
        )
        .await;
    let journal: Vec<String> = journal.into_iter().map(|(d,)| d).collect();
    assert!(journal.iter().any(|d| d.contains("env:***")), "{journal:?}");
    assert!(journal.iter().all(|d| !d.contains(VALUE)), "{journal:?}");
}

#[test]
fn an_unknown_secret_stops_a_yaml_run_before_it_starts_saying_where() {
    let sb = Sandbox::new();
    secret(
        &sb,
        &["set", "--project", sb.project().to_str().unwrap(), "OTHER"],
        VALUE,
    );
    let file = sb.write("uses.yaml", YAML);
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(
        text.contains(&format!(
            "{}:4:5: step \"use\": unknown secret 'API_TOKEN' (this project has OTHER",
            file.display()
        )),
        "{text}"
    );
}

const TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "T", phases: ["p"], async execute(ctx) {
  const e = await ctx.exec(`echo exec: ${ctx.secrets.API_TOKEN}`);
  console.log("logged", e.stdout);
  const s = await ctx.step("script", { type: "script", phase: "p", command: "echo $T; echo $T >&2", env: { T: ctx.secrets.API_TOKEN } });
  await ctx.step("fn", { type: "function", phase: "p", fn: async () => ({ exec: e.stdout, script: s.data.stdout, ref: ctx.secrets.API_TOKEN }) });
  await ctx.step("smuggled", { type: "script", phase: "p", command: "echo $X", env: { X: ctx.args.x }, continueOnError: true });
  await ctx.step("missing", { type: "script", phase: "p", command: `echo ${ctx.secrets.NOPE}` });
} });
"#;

#[test]
fn a_typescript_run_masks_exec_script_and_function_output_and_names_a_missing_secret() {
    let sb = Sandbox::new();
    secret(
        &sb,
        &["set", "--project", sb.project().to_str().unwrap(), "API_TOKEN"],
        VALUE,
    );
    let file = sb.write("t.ts", TS);
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "x={{ secrets.API_TOKEN }}"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let smuggled = sb.read_json(&sb.run_dir(&id).join("logs/smuggled/output.json"));
    let error = smuggled["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("came from a value (an argument, a step's output), not from ctx.secrets"),
        "{smuggled}"
    );
    let f = sb.read_json(&sb.run_dir(&id).join("logs/fn/output.json"));
    assert_eq!(f["data"]["exec"], "exec: ***\n", "{f}");
    assert_eq!(f["data"]["script"], "***\n", "{f}");
    // The reference carries the run's tag, masked like a value.
    assert_eq!(f["data"]["ref"], "{{ secrets.API_TOKEN@*** }}", "{f}");
    let missing = sb.read_json(&sb.run_dir(&id).join("logs/missing/output.json"));
    let error = missing["error"].as_str().unwrap();
    assert!(
        error.contains("unknown secret 'NOPE' (this project has API_TOKEN)"),
        "{error}"
    );
    let log = std::fs::read_to_string(sb.run_dir(&id).join("run.log")).unwrap();
    assert!(log.contains("logged exec: ***"), "{log}");
    assert_eq!(files_containing(&sb.run_dir(&id), VALUE), Vec::<String>::new());
    assert_eq!(files_containing(&sb.data_dir(), VALUE), Vec::<String>::new());
}

/// A run argument that spells a reference does not give the step a secret its file does not
/// name (an argument is data, not the workflow's author speaking).
#[test]
fn a_reference_smuggled_in_an_argument_names_no_secret() {
    let sb = Sandbox::new();
    secret(
        &sb,
        &["set", "--project", sb.project().to_str().unwrap(), "API_TOKEN"],
        VALUE,
    );
    let file = sb.write(
        "echo.yaml",
        "name: Echo\nphases: [p]\nsteps:\n  - id: echo\n    phase: p\n    type: script\n    env: { X: \"{{ args.x }}\" }\n    command: echo \"$X\"\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "x={{ secrets.API_TOKEN }}"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let id = run_id(&out);
    let result = sb.read_json(&sb.run_dir(&id).join("logs/echo/output.json"));
    let error = result["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "{{ secrets.API_TOKEN }} came from a value (an argument, a step's output), not from the workflow file"
        ),
        "{result}"
    );
    assert_eq!(files_containing(&sb.project(), VALUE), Vec::<String>::new());
}
