//! A git worktree per run, through the real binary on real git repositories: each run edits
//! its own copy, the checkout stays as it was, the worktree survives a crash and is reused,
//! the keep policies, the CLI's flags, and the errors of bad settings.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::*;

/// Runs git in `dir` (as a person would, with an identity for commits).
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Makes the sandbox's project a git repository with one commit (`file.txt`: "original").
pub fn git_repo(project: &Path) {
    git(project, &["init", "-q", "-b", "main"]);
    std::fs::write(project.join("file.txt"), "original\n").unwrap();
    git(project, &["add", "file.txt"]);
    git(project, &["commit", "-q", "-m", "first"]);
}

/// `show --json`'s `workspace` of a run.
pub fn workspace_of(sb: &Sandbox, id: &str) -> Value {
    let out = sb.run(&["show", id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["workspace"].clone()
}

fn branches(repo: &Path) -> Vec<String> {
    git(repo, &["branch", "--list", "--format=%(refname:short)"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn yaml(workspace: &str, command: &str) -> String {
    format!(
        "name: Edit\nworkspace:\n{workspace}\nphases: [p]\nsteps:\n  - id: edit\n    phase: p\n    type: script\n    command: {command}\n"
    )
}

#[test]
fn a_worktree_run_works_in_its_own_copy_and_is_removed_when_it_completes() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let file = sb.write(
        "edit.yaml",
        &yaml(
            "  isolation: worktree",
            "'echo changed >> file.txt; pwd; echo \"project=$WORKFLOW_PROJECT_PATH repo=$WORKFLOW_REPO_PATH\"; git -c user.name=A -c user.email=a@b commit -qam wip'",
        ),
    );
    let out = sb.run(&["run", file.to_str().unwrap(), "--name", "Fix the Login page!"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let ws = workspace_of(&sb, &id);
    let path = ws["path"].as_str().unwrap().to_string();
    let short = &id[id.len() - 8..];
    assert_eq!(ws["branch"], format!("wf/fix-the-login-page-{short}"));
    assert_eq!(ws["state"], "removed", "{ws}");
    assert_eq!(ws["base"], "HEAD");
    assert_eq!(ws["base_commit"], git(&sb.project(), &["rev-parse", "HEAD"]));
    // Under the data directory, not in the project.
    assert!(Path::new(&path).starts_with(sb.data_dir().join("worktrees")), "{path}");
    assert!(
        !Path::new(&path).exists(),
        "a completed run's worktree is removed (on-failure)"
    );
    // The step ran there; the checkout is untouched; the branch stays.
    let v: Value = serde_json::from_str(&stdout(&sb.run(&["show", &id, "--json"]))).unwrap();
    let step_out = v["steps"][0]["result"]["data"]["stdout"].as_str().unwrap().to_string();
    let project = std::fs::canonicalize(sb.project()).unwrap();
    assert!(step_out.starts_with(&path), "{step_out}");
    assert!(
        step_out.contains(&format!("project={path} repo={}", sb.project().display()))
            || step_out.contains(&format!("project={path} repo={}", project.display())),
        "{step_out}"
    );
    assert_eq!(
        std::fs::read_to_string(sb.project().join("file.txt")).unwrap(),
        "original\n"
    );
    let branch = format!("wf/fix-the-login-page-{short}");
    assert!(branches(&sb.project()).contains(&branch));
    // The step's commit (written to the repository's .git from the worktree) is on the branch.
    assert_eq!(git(&sb.project(), &["log", "-1", "--format=%s", &branch]), "wip");
    assert_eq!(
        git(&sb.project(), &["show", &format!("{branch}:file.txt")]),
        "original\nchanged"
    );
    assert_eq!(git(&sb.project(), &["worktree", "list"]).lines().count(), 1, "pruned");
    // What happened is said on the run.
    let comments: Vec<String> = v["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_string())
        .collect();
    assert!(
        comments.iter().any(|c| c.starts_with("Workspace: git worktree")),
        "{comments:?}"
    );
    assert!(
        comments.iter().any(|c| c.starts_with("Workspace removed")),
        "{comments:?}"
    );
    let printed = stdout(&out);
    assert!(
        printed.contains(&format!(
            "worktree {path} on branch wf/fix-the-login-page-{short} (from HEAD; keep on-failure)"
        )),
        "{printed}"
    );
    let shown = stdout(&sb.run(&["show", &id]));
    assert!(shown.contains("workspace  worktree"), "{shown}");
}

#[test]
fn two_concurrent_runs_on_one_repository_do_not_see_each_others_changes() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    // Each writes its own id into the same file, waits for the other to have written too,
    // and fails unless it still reads its own.
    let command = "'echo $WORKFLOW_RUN_ID > file.txt; sleep 2; test \"$(cat file.txt)\" = \"$WORKFLOW_RUN_ID\"'";
    let file = sb.write("edit.yaml", &yaml("  isolation: worktree\n  keep: always", command));
    let spawn = || {
        sb.cmd(&["run", file.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(out.status.success(), "{}{}", stdout(out), stderr(out));
    }
    let (ida, idb) = (run_id(&a), run_id(&b));
    let (wa, wb) = (workspace_of(&sb, &ida), workspace_of(&sb, &idb));
    assert_ne!(wa["path"], wb["path"]);
    assert_ne!(wa["branch"], wb["branch"]);
    for (id, ws) in [(&ida, &wa), (&idb, &wb)] {
        assert_eq!(ws["state"], "kept", "{ws}");
        let text = std::fs::read_to_string(Path::new(ws["path"].as_str().unwrap()).join("file.txt")).unwrap();
        assert_eq!(text.trim(), id.as_str());
    }
    assert_eq!(
        std::fs::read_to_string(sb.project().join("file.txt")).unwrap(),
        "original\n"
    );
    let status = git(&sb.project(), &["status", "--porcelain", "--", "file.txt"]);
    assert_eq!(status, "", "the checkout is untouched");
}

#[test]
fn keep_policies_decide_what_is_left_and_the_branch_stays_unless_asked() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let run = |name: &str, workspace: &str, command: &str, flags: &[&str]| -> (String, Value) {
        let file = sb.write(&format!("{name}.yaml"), &yaml(workspace, command));
        let mut args = vec!["run", file.to_str().unwrap()];
        args.extend_from_slice(flags);
        let out = sb.run(&args);
        let id = run_id(&out);
        (id.clone(), workspace_of(&sb, &id))
    };
    // on-failure (the default): a failed run keeps its worktree with its changes.
    let (_, failed) = run("f", "  isolation: worktree", "'echo half > file.txt; exit 3'", &[]);
    assert_eq!(failed["state"], "kept", "{failed}");
    let kept = PathBuf::from(failed["path"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(kept.join("file.txt")).unwrap(), "half\n");
    // never: removed even when it failed; its branch stays.
    let (_, never) = run("n", "  isolation: worktree\n  keep: never", "'exit 3'", &[]);
    assert_eq!(never["state"], "removed", "{never}");
    assert!(!Path::new(never["path"].as_str().unwrap()).exists());
    assert!(branches(&sb.project()).contains(&never["branch"].as_str().unwrap().to_string()));
    // always: kept when it completed.
    let (_, always) = run("a", "  isolation: worktree\n  keep: always", "'true'", &[]);
    assert_eq!(always["state"], "kept");
    assert!(Path::new(always["path"].as_str().unwrap()).join("file.txt").exists());
    // deleteBranch: the branch goes with the worktree.
    let (_, gone) = run("d", "  isolation: worktree\n  deleteBranch: true", "'true'", &[]);
    assert_eq!(gone["state"], "removed");
    assert!(!branches(&sb.project()).contains(&gone["branch"].as_str().unwrap().to_string()));
    // The CLI's --keep and --branch override the file's.
    let (_, flagged) = run(
        "o",
        "  isolation: worktree\n  keep: always",
        "'true'",
        &["--keep", "never", "--branch", "feature/x-{{ run.shortId }}"],
    );
    assert_eq!(flagged["state"], "removed");
    assert!(
        flagged["branch"].as_str().unwrap().starts_with("feature/x-"),
        "{flagged}"
    );
}

#[test]
fn the_cli_turns_a_worktree_on_and_off_and_starts_it_from_a_base() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let first = git(&sb.project(), &["rev-parse", "HEAD"]);
    std::fs::write(sb.project().join("file.txt"), "second\n").unwrap();
    git(&sb.project(), &["commit", "-qam", "second"]);
    git(&sb.project(), &["tag", "v1", &first]);
    // No workspace in the file: --worktree gives one, from the tag.
    let plain =
        "name: Plain\nphases: [p]\nsteps:\n  - id: look\n    phase: p\n    type: script\n    command: cat file.txt\n";
    let file = sb.write("plain.yaml", plain);
    let out = sb.run(&[
        "run",
        file.to_str().unwrap(),
        "--worktree",
        "--base",
        "v1",
        "--keep",
        "always",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let ws = workspace_of(&sb, &run_id(&out));
    assert_eq!(
        (ws["base"].as_str(), ws["base_commit"].as_str()),
        (Some("v1"), Some(first.as_str()))
    );
    let text = std::fs::read_to_string(Path::new(ws["path"].as_str().unwrap()).join("file.txt")).unwrap();
    assert_eq!(text, "original\n", "the worktree is at the base");
    // A file asking for one: --no-worktree runs in the checkout.
    let file = sb.write("wt.yaml", &yaml("  isolation: worktree", "pwd"));
    let out = sb.run(&["run", file.to_str().unwrap(), "--no-worktree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(workspace_of(&sb, &run_id(&out)), Value::Null);
    // A bad --keep is refused before anything runs.
    let out = sb.run(&["run", file.to_str().unwrap(), "--keep", "sometimes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--keep: must be one of"), "{}", stderr(&out));
}

#[test]
fn bad_settings_and_places_fail_clearly() {
    let sb = Sandbox::new();
    // Not a git repository: the run fails saying so and where.
    let file = sb.write("wt.yaml", &yaml("  isolation: worktree", "'true'"));
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let id = run_id(&out);
    let ws = workspace_of(&sb, &id);
    assert_eq!(ws["state"], "failed");
    let error = ws["error"].as_str().unwrap();
    assert!(
        error.contains("is not in a git repository") && error.contains(&*sb.project().to_string_lossy()),
        "{error}"
    );
    let run: Value = serde_json::from_str(&stdout(&sb.run(&["show", &id, "--json"]))).unwrap();
    assert_eq!(run["status"], "failed");
    assert!(
        run["error_message"]
            .as_str()
            .unwrap()
            .contains("not in a git repository"),
        "{run}"
    );
    assert_eq!(run["steps"].as_array().unwrap().len(), 0, "no step ran");

    git_repo(&sb.project());
    // An unknown base.
    let out = sb.run(&["run", file.to_str().unwrap(), "--base", "no-such-branch"]);
    let ws = workspace_of(&sb, &run_id(&out));
    assert!(
        ws["error"]
            .as_str()
            .unwrap()
            .contains("workspace base 'no-such-branch' is not a commit"),
        "{ws}"
    );
    // A branch name git refuses: refused before a run is recorded.
    let out = sb.run(&["run", file.to_str().unwrap(), "--branch", "wf/a..b"]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("not a valid git branch name"), "{}", stderr(&out));
    // An existing branch is not taken over.
    git(&sb.project(), &["branch", "taken"]);
    let out = sb.run(&["run", file.to_str().unwrap(), "--branch", "taken"]);
    let ws = workspace_of(&sb, &run_id(&out));
    assert!(
        ws["error"].as_str().unwrap().contains("branch 'taken' already exists"),
        "{ws}"
    );
    // A worktree folder inside the project is refused.
    let out = sb
        .cmd(&["run", file.to_str().unwrap(), "--worktree-dir", "inside"])
        .output()
        .unwrap();
    let ws = workspace_of(&sb, &run_id(&out));
    assert!(
        ws["error"]
            .as_str()
            .unwrap()
            .contains("inside the project's working tree"),
        "{ws}"
    );
}

#[test]
fn definition_errors_are_located() {
    let sb = Sandbox::new();
    let bad = sb.write("bad.yaml", &yaml("  isolation: worktree\n  keep: sometimes", "'true'"));
    let text = sb.refused_by_validate(&bad);
    assert!(
        text.contains("bad.yaml:4:9") && text.contains("keep: must be one of"),
        "{text}"
    );
    let ts = sb.write(
        "bad.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"t\",\n  phases: [\"p\"],\n  workspace: { isolation: \"worktree\", branch: \"wf/{{ args.x }}\" },\n  async execute() {},\n});\n",
    );
    let text = sb.refused_by_validate(&ts);
    assert!(
        text.contains("bad.ts:5:3") && text.contains("workspace: branch:"),
        "{text}"
    );
    let ts = sb.write(
        "worse.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"t\",\n  phases: [\"p\"],\n  workspace: \"worktree\",\n  async execute() {},\n});\n",
    );
    let text = sb.refused_by_validate(&ts);
    assert!(
        text.contains("workspace") && text.contains("must be an object"),
        "{text}"
    );
}

#[test]
fn a_worktree_step_may_read_the_checkout_but_not_write_it_nor_reach_the_data_directory() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    std::fs::create_dir_all(sb.data_dir()).unwrap();
    std::fs::write(sb.data_dir().join("planted"), "planted-secret").unwrap();
    let command = format!(
        "'cat {}/planted; cat $WORKFLOW_REPO_PATH/file.txt; touch $WORKFLOW_REPO_PATH/escaped; echo mine > mine.txt'",
        sb.data_dir().display()
    );
    let file = sb.write("c.yaml", &yaml("  isolation: worktree\n  keep: always", &command));
    let out = sb.run(&["run", file.to_str().unwrap(), "-v"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("planted-secret"), "{text}");
    assert!(text.contains("original"), "the checkout is readable: {text}");
    assert_eq!(text.matches("Permission denied").count(), 2, "{text}");
    assert!(!sb.project().join("escaped").exists());
    let ws = workspace_of(&sb, &run_id(&out));
    assert!(Path::new(ws["path"].as_str().unwrap()).join("mine.txt").exists());
}

#[test]
fn a_typescript_run_sees_the_worktree_as_its_project_and_the_checkout_as_its_repo() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    let file = sb.write(
        "paths.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Paths",
  phases: ["p"],
  workspace: { isolation: "worktree", keep: "always" },
  async execute(ctx) {
    await ctx.step("paths", { type: "function", fn: async () => ({ project: ctx.projectPath, repo: ctx.repoPath }) });
    await ctx.step("where", { type: "script", command: "pwd; echo ts > ts.txt" });
  },
});
"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let ws = workspace_of(&sb, &id);
    let v: Value = serde_json::from_str(&stdout(&sb.run(&["show", &id, "--json"]))).unwrap();
    let paths = &v["steps"][0]["result"]["data"];
    assert_eq!(paths["project"], ws["path"], "{v}");
    assert_eq!(paths["repo"].as_str().unwrap(), sb.project().to_str().unwrap());
    let path = Path::new(ws["path"].as_str().unwrap());
    assert!(path.join("ts.txt").exists() && !sb.project().join("ts.txt").exists());
}
