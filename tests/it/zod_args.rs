//! A TypeScript workflow's zod `argsSchema` decides before a run exists: its objects are
//! closed (a mistyped key is refused), and its own checks (refinements, discriminated
//! unions) refuse bad arguments with zod's message, from the CLI and from the API alike.

use std::path::Path;

use serde_json::json;

use crate::server_util::Server;
use crate::util::*;

/// Links runtime-js's zod v4 (a devDependency) in as the project's own `node_modules/zod`.
pub fn install_real_zod(project: &Path) {
    let zod = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime-js/node_modules/zod4");
    assert!(
        zod.join("package.json").is_file(),
        "{} is missing: run `npm ci` in runtime-js first (scripts/test.sh does)",
        zod.display()
    );
    std::fs::create_dir_all(project.join("node_modules")).unwrap();
    std::os::unix::fs::symlink(&zod, project.join("node_modules/zod")).unwrap();
}

const TITLED: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";
export default defineWorkflow({
  name: "Titled",
  argsSchema: z.object({ title: z.string().optional() }),
  phases: ["p"],
  async execute(ctx) { console.log(`title: ${ctx.args.title}`); },
});
"#;

const RANGE: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";
export default defineWorkflow({
  name: "Range",
  argsSchema: z
    .object({ from: z.number(), to: z.number() })
    .refine((a) => a.from < a.to, { message: "from must be below to" }),
  phases: ["p"],
  async execute(ctx) { console.log(`range ${ctx.args.from}..${ctx.args.to}`); },
});
"#;

const SOURCE: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";
export default defineWorkflow({
  name: "Source",
  argsSchema: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("file"), path: z.string() }),
    z.object({ kind: z.literal("url"), url: z.string() }),
  ]),
  phases: ["p"],
  async execute() {},
});
"#;

/// Runs `file` with `args`; asserts exit 2, no run id printed and no run row; returns stderr.
async fn refused(sb: &Sandbox, file: &Path, args: &[&str]) -> String {
    let mut argv = vec!["run", file.to_str().unwrap()];
    argv.extend_from_slice(args);
    let out = sb.run(&argv);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("run "), "a run id was printed: {}", stdout(&out));
    let runs = crate::util::db(&sb.store().await)
        .await
        .count("SELECT COUNT(*) FROM workflow_runs", &[])
        .await;
    assert_eq!(runs, 0, "a refused run left a row");
    stderr(&out)
}

/// Runs `file` with `args`; asserts it completes and printed `line`.
fn completes(sb: &Sandbox, file: &Path, args: &[&str], line: &str) {
    let mut argv = vec!["run", file.to_str().unwrap()];
    argv.extend_from_slice(args);
    let out = sb.run(&argv);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(line), "{}", stdout(&out));
}

#[tokio::test]
async fn a_mistyped_argument_key_is_refused_with_the_subset_and_with_real_zod() {
    for real in [false, true] {
        let sb = Sandbox::new();
        if real {
            install_real_zod(&sb.project());
        }
        let file = sb.write("titled.ts", TITLED);
        let err = refused(&sb, &file, &["--arg", "titel=x"]).await;
        assert!(err.contains("titel"), "real zod: {real}: {err}");
        completes(&sb, &file, &["--arg", "title=x"], "title: x");
    }
}

#[tokio::test]
async fn a_refinement_refuses_the_arguments_before_a_run_exists() {
    let sb = Sandbox::new();
    install_real_zod(&sb.project());
    let file = sb.write("range.ts", RANGE);
    let err = refused(&sb, &file, &["--arg", "from=3", "--arg", "to=2"]).await;
    assert!(err.contains("args: from must be below to"), "{err}");
    completes(&sb, &file, &["--arg", "from=1", "--arg", "to=2"], "range 1..2");
}

#[tokio::test]
async fn a_discriminated_union_refuses_with_zod_s_message() {
    let sb = Sandbox::new();
    install_real_zod(&sb.project());
    let file = sb.write("source.ts", SOURCE);
    let err = refused(&sb, &file, &["--args", r#"{"kind":"ftp"}"#]).await;
    assert!(
        err.contains("args.kind: Invalid discriminator value. Expected 'file' | 'url'"),
        "{err}"
    );
    assert!(!err.contains("anyOf"), "{err}");
}

#[tokio::test]
async fn the_api_refuses_arguments_zod_refuses_with_400_and_creates_no_run() {
    let s = Server::start().await;
    let token = s.user("admin@example.com", true);
    install_real_zod(&s.sb.dir.path().join("zodded"));
    let (project, _) = s.project(&token, "zodded", &[("range.ts", RANGE)]).await;
    let def = s.definition_id(&token, &project, "Range").await;
    let create = |args| json!({ "project_id": project, "workflow_definition_id": def, "args": args });
    let (status, body) = s
        .post(&token, "/workflow-executions", create(json!({ "from": 3, "to": 2 })))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_args", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("args: from must be below to"), "{body}");
    let (_, runs) = s
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    assert_eq!(runs["data"], json!([]), "{runs}");
    let (status, body) = s
        .post(&token, "/workflow-executions", create(json!({ "from": 1, "to": 2 })))
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_refinement_that_never_ends_is_refused_not_waited_for() {
    let sb = Sandbox::new();
    let file = sb.write(
        "forever.ts",
        &RANGE.replace("(a) => a.from < a.to", "(a) => { while (true) {} }"),
    );
    install_real_zod(&sb.project());
    let started = std::time::Instant::now();
    let err = refused(&sb, &file, &["--arg", "from=1", "--arg", "to=2"]).await;
    assert!(err.contains("did not finish within 3 s"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}
