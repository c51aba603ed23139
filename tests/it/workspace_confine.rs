//! What a step in a run's worktree may reach of its repository is decided by the engine when
//! it makes the worktree, not read from the worktree's `.git` file as each step starts: a step
//! that rewrites that file gains nothing, and the repository's own configuration and hooks
//! (which the engine's and the user's git would run) stay out of reach. Commits still work.

use crate::util::*;
use crate::workspaces::{git_repo, workspace_of};

#[test]
fn a_step_cannot_widen_its_reach_by_rewriting_the_worktree_git_file() {
    let sb = Sandbox::new();
    git_repo(&sb.project());
    std::fs::create_dir_all(sb.data_dir()).unwrap();
    let data = sb.data_dir().canonicalize().unwrap();
    // Step one plants a `.git` whose `commondir` names the data directory; step two, started
    // afterwards, tries to write there, and into the repository's config and hooks.
    let file = sb.write(
        "escape.yaml",
        &format!(
            "name: Escape\nworkspace:\n  isolation: worktree\n  keep: always\nphases: [p]\nsteps:\n  - id: plant\n    phase: p\n    type: script\n    command: \"git -c user.name=A -c user.email=a@b commit -q --allow-empty -m from-step && mkdir -p x && echo {data} > x/commondir && echo 'gitdir: ./x' > .git\"\n  - id: escape\n    phase: p\n    type: script\n    command: \"touch {data}/escaped; echo '[core]' >> $WORKFLOW_REPO_PATH/.git/config; touch $WORKFLOW_REPO_PATH/.git/hooks/post-checkout; echo done\"\n",
            data = data.display()
        ),
    );
    let out = sb.run(&["run", file.to_str().unwrap(), "-v"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!data.join("escaped").exists(), "the data directory was written: {text}");
    let config = std::fs::read_to_string(sb.project().join(".git/config")).unwrap();
    assert!(
        !config.contains("[core]\n[core]") && !config.ends_with("[core]\n"),
        "{config}"
    );
    assert!(!sb.project().join(".git/hooks/post-checkout").exists());
    // Each refused (git's own upkeep, `pack-refs`, may also be refused: commits work without).
    for denied in ["escaped", ".git/config", "post-checkout"] {
        assert!(
            text.lines()
                .any(|l| l.contains(denied) && l.contains("Permission denied")),
            "{denied}: {text}"
        );
    }
    // The commit the first step made is on the run's branch.
    let ws = workspace_of(&sb, &run_id(&out));
    let branch = ws["branch"].as_str().unwrap();
    let log = std::process::Command::new("git")
        .args(["log", "--format=%s", branch])
        .current_dir(sb.project())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&log.stdout).contains("from-step"));
}
