//! What the engine's own git runs, through a real server on a real git repository: nothing a
//! workflow could plant in the repository's config or `.gitattributes` (clean filters,
//! textconv, external diffs, fsmonitor, hooks, commit signing) runs in a snapshot or a diff;
//! a capped diff stops reading; a step run again on resume snapshots all its tries' changes.

use std::path::Path;

use serde_json::json;

use super::snapshots::{git, pair, paths, setup};
use crate::server_util::*;

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(path, perms).unwrap();
}

const PLANTED_YAML: &str = r#"name: Planted
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: plant
    phase: work
    type: script
    command: printf '* filter=evil diff=evil\n' > .gitattributes && printf 'one\n' > a.txt
"#;

#[tokio::test]
async fn a_snapshot_and_a_diff_run_nothing_of_the_repositorys_config_or_attributes() {
    let s = Server::start().await;
    let (token, project, dir, base) = setup(&s, &[("planted.yaml", PLANTED_YAML)]).await;
    let marks = tempfile::tempdir().unwrap();
    let m = marks.path().to_path_buf();
    let ran = |what: &str| m.join(what).exists();
    // Every command git could be made to run leaves a mark; the signer also fails.
    let tool = |name: &str, body: &str| {
        let p = m.join(format!("{name}.sh"));
        script(
            &p,
            &format!("ps -o args= -p $PPID >> '{}'\n{body}", m.join(name).display()),
        );
        p.display().to_string()
    };
    let clean = tool("filter", "cat");
    let textconv = tool("textconv", "cat \"$1\"");
    let external = tool("external", "exit 0");
    let fsmonitor = tool("fsmonitor", "exit 1");
    let gpg = tool("gpg", "exit 1");
    for (key, value) in [
        ("filter.evil.clean", clean.as_str()),
        ("filter.evil.smudge", clean.as_str()),
        ("diff.evil.textconv", textconv.as_str()),
        ("diff.external", external.as_str()),
        ("core.fsmonitor", fsmonitor.as_str()),
        ("commit.gpgSign", "true"),
        ("gpg.program", gpg.as_str()),
    ] {
        git(&dir, &["config", key, value]);
    }
    std::fs::create_dir_all(dir.join(".git/info")).unwrap();
    std::fs::write(dir.join(".git/info/attributes"), "*.txt filter=evil2\n").unwrap();
    git(&dir, &["config", "filter.evil2.clean", &clean]);
    git(&dir, &["config", "filter.evil2.process", &clean]);
    let hooks = dir.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    script(
        &hooks.join("post-checkout"),
        &format!("touch '{}'", m.join("hook").display()),
    );

    let def = s.definition_id(&token, &project, "Planted").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    let step = run_step(&run, "plant");
    let snap = &step["snapshot"];
    // The snapshot was taken (commit.gpgSign did not stop it) with the files as written.
    assert_eq!(snap["parent"], base.as_str(), "{step}");
    assert_eq!(
        paths(&snap["files_changed"]),
        [pair(".gitattributes", "added"), pair("a.txt", "added")]
    );
    let step_id = step["id"].as_str().unwrap();
    let (status, diff) = s.get(&token, &format!("/workflow-steps/{step_id}/diff")).await;
    assert_eq!(status, 200, "{diff}");
    assert!(diff["data"]["diff"].as_str().unwrap().contains("+one\n"), "{diff}");
    let (status, whole) = s.get(&token, &format!("/workflow-executions/{run_id}/diff")).await;
    assert_eq!(status, 200, "{whole}");
    for what in ["filter", "textconv", "external", "fsmonitor", "gpg", "hook"] {
        assert!(
            !ran(what),
            "the repository's {what} ran in the engine's git: {:?}",
            std::fs::read_to_string(m.join(what))
        );
    }
    // The stand-ins work: git itself, as the user runs it, does run them.
    let commit = snap["commit"].as_str().unwrap();
    git(&dir, &["diff", &base, commit]);
    assert!(
        ran("external"),
        "the external diff stand-in did not run for the user's git"
    );
}

const RETRIED_YAML: &str = r#"name: Retried
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: first
    phase: work
    type: script
    command: echo p > p.txt
  - id: flaky
    phase: work
    type: script
    command: if [ -f x.txt ]; then echo y > y.txt; else echo x > x.txt; exit 1; fi
  - id: last
    phase: work
    type: script
    command: echo z > z.txt
"#;

#[tokio::test]
async fn a_step_run_again_on_resume_snapshots_all_its_tries_changes_against_the_step_before() {
    let s = Server::start().await;
    let (token, project, _dir, _base) = setup(&s, &[("retried.yaml", RETRIED_YAML)]).await;
    let def = s.definition_id(&token, &project, "Retried").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "failed", "{run}");
    let first = run_step(&run, "first")["snapshot"].clone();
    let failed = run_step(&run, "flaky")["snapshot"].clone();
    assert_eq!(failed["parent"], first["commit"], "{failed}");
    assert_eq!(paths(&failed["files_changed"]), [pair("x.txt", "added")]);

    // Resumed: the same step row runs again (x.txt is there: it writes y.txt and completes).
    let (status, body) = s
        .post(&token, &format!("/workflow-executions/{run_id}/resume"), json!({}))
        .await;
    assert!((200..300).contains(&status), "{status} {body}");
    let run = s.wait_status(&token, &run_id, &["completed"]).await;
    let flaky = run_step(&run, "flaky");
    let snap = &flaky["snapshot"];
    assert_ne!(snap["commit"], failed["commit"]);
    assert_eq!(
        snap["parent"], first["commit"],
        "the step before, not its own first try: {flaky}"
    );
    assert_eq!(
        paths(&snap["files_changed"]),
        [pair("x.txt", "added"), pair("y.txt", "added")]
    );
    let last = &run_step(&run, "last")["snapshot"];
    assert_eq!(last["parent"], snap["commit"]);
    assert_eq!(paths(&last["files_changed"]), [pair("z.txt", "added")]);
}

const BIG_YAML: &str = r#"name: Big
phases: [work]
workspace:
  isolation: worktree
  keep: always
steps:
  - id: big
    phase: work
    type: script
    command: seq 1 1500000 > big.txt
"#;

#[tokio::test]
async fn a_capped_diff_stops_reading_and_says_its_size_is_a_lower_bound() {
    let s = Server::start().await;
    let (token, project, _dir, _base) = setup(&s, &[("big.yaml", BIG_YAML)]).await;
    let def = s.definition_id(&token, &project, "Big").await;
    let run_id = s.start_run(&token, &project, &def, json!({})).await;
    let run = s.wait_status(&token, &run_id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    let step_id = run_step(&run, "big")["id"].as_str().unwrap().to_string();
    // The whole diff is ~12 MB (1.5M lines of "+n\n"): more than the 8 MiB cap allows.
    let started = std::time::Instant::now();
    let (status, cut) = s
        .get(&token, &format!("/workflow-steps/{step_id}/diff?max_bytes=1000"))
        .await;
    assert_eq!(status, 200, "{cut}");
    let d = &cut["data"];
    assert_eq!(d["truncated"], true, "{d}");
    assert!(d["diff"].as_str().unwrap().len() <= 1000);
    let read = d["total_bytes"].as_u64().unwrap();
    assert!(
        read > 1000 && read < 4 << 20,
        "git was stopped soon after the cap: read {read} bytes"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(paths(&d["files"]), [pair("big.txt", "added")]);
}
