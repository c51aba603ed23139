//! Run folders stay out of git (`store::git_exclude`): a run in a git repository adds
//! `/.agent/workflows/executions/` (relative to the repository's root) to its `info/exclude`
//! once, never to `.gitignore`; a project outside git runs as before. Also the definitions'
//! `concurrency:` checked by `validate` (YAML at file:line:col, TypeScript by its field) and a
//! TypeScript run's key rendered from its arguments.

use std::path::Path;
use std::process::Command;

use crate::util::*;

const YAML: &str =
    "name: Hello\nphases: [a]\nsteps:\n  - id: hi\n    phase: a\n    type: script\n    command: echo hi > out.txt\n";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of `info/exclude` that name the run folders.
fn exclude_lines(repo: &Path) -> Vec<String> {
    std::fs::read_to_string(repo.join(".git/info/exclude"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("executions"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_run_in_a_subfolder_of_a_repository_excludes_its_run_folders_once() {
    let sb = Sandbox::new();
    let repo = sb.project();
    git(&repo, &["init", "-q"]);
    std::fs::remove_dir_all(repo.join(".git/info")).unwrap();
    std::fs::write(repo.join(".gitignore"), "*.log\n").unwrap();
    let project = repo.join("services/api");
    std::fs::create_dir_all(&project).unwrap();
    let file = project.join("hello.yaml");
    std::fs::write(&file, YAML).unwrap();
    for _ in 0..2 {
        let out = sb.run(&["run", file.to_str().unwrap(), "--project", project.to_str().unwrap()]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    assert!(project.join(".agent/workflows/executions").is_dir());
    assert_eq!(exclude_lines(&repo), ["/services/api/.agent/workflows/executions/"]);
    assert_eq!(std::fs::read_to_string(repo.join(".gitignore")).unwrap(), "*.log\n");
    let status = git(&repo, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains("executions"), "{status}");
    assert!(
        status.contains("services/api/out.txt"),
        "the project's own files are seen: {status}"
    );
    git(&repo, &["add", "-A"]);
    let staged = git(&repo, &["diff", "--cached", "--name-only"]);
    assert!(!staged.contains(".agent/workflows/executions"), "{staged}");
    assert!(staged.contains("services/api/hello.yaml"), "{staged}");
}

#[test]
fn a_repository_that_ignores_the_folder_already_or_no_repository_is_left_alone() {
    let sb = Sandbox::new();
    let repo = sb.project();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join(".gitignore"), ".agent/\n").unwrap();
    let before = std::fs::read_to_string(repo.join(".git/info/exclude")).unwrap_or_default();
    let file = sb.write("hello.yaml", YAML);
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/info/exclude")).unwrap_or_default(),
        before
    );

    let plain = Sandbox::new();
    let file = plain.write("hello.yaml", YAML);
    let out = plain.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!plain.project().join(".git").exists());
}

#[test]
fn concurrency_is_checked_where_it_is_written() {
    let sb = Sandbox::new();
    let yaml = sb.write(
        "keyed.yaml",
        "name: K\nargsSchema:\n  type: object\n  properties:\n    repo: { type: string }\nconcurrency:\n  key: \"repo:{{ args.rpo }}\"\n  limit: 0\nphases: [a]\nsteps:\n  - id: s\n    phase: a\n    type: script\n    command: \"true\"\n",
    );
    let text = sb.refused_by_validate(&yaml);
    assert!(
        text.contains("keyed.yaml:8:10: 'concurrency': limit: must be an integer from 1 to 10000, got 0"),
        "{text}"
    );
    let ts = |name: &str, concurrency: &str| {
        sb.write(
            name,
            &format!(
                "import {{ defineWorkflow }} from \"@repo/workflow-engine\";\nexport default defineWorkflow({{\n  name: \"K\",\n  phases: [\"a\"],\n  argsSchema: {{ type: \"object\", properties: {{ repo: {{ type: \"string\" }} }} }},\n  concurrency: {concurrency},\n  async execute(ctx) {{ await ctx.step(\"s\", {{ type: \"script\", command: \"true\" }}); }},\n}});\n"
            ),
        )
    };
    let text = sb.refused_by_validate(&ts("bad-key.ts", "{ key: \"repo:{{ args.rpo }}\" }"));
    assert!(
        text.contains(":6:") && text.contains("concurrency.key: unknown argument 'rpo'"),
        "{text}"
    );
    let text = sb.refused_by_validate(&ts("bad-limit.ts", "{ key: \"k\", limit: 0 }"));
    assert!(
        text.contains("`concurrency.limit` must be an integer >= 1, got 0"),
        "{text}"
    );

    let good = ts("good.ts", "{ key: \"repo:{{ args.repo }}\", limit: 3 }");
    let out = sb.run(&["run", good.to_str().unwrap(), "--arg", "repo=acme/api"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let row = rt.block_on(async { run_row(&sb.store().await, &id).await });
    assert_eq!(
        (row.concurrency_key.as_deref(), row.concurrency_limit),
        (Some("repo:acme/api"), Some(3))
    );
}
