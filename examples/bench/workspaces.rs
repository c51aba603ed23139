//! B13: a run's git workspace on a generated repository of 10,000 files, each as a ratio to
//! plain git measured in the same run: (a) making the run's worktree with the engine's code
//! (`workspace::worktree`, the calls `engine::workspace` makes) against `git worktree add`
//! of the same commit; (b) the snapshot taken after a step that changed 10 files
//! (`workspace::snapshot::take`: a tree in the engine's own index, a commit on the run's
//! ref, the file list) against `git commit -a` of the same change in a plain worktree.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Result};
use workflow_engine::workspace::{snapshot, worktree};

use crate::report::{Figure, Goal};
use crate::stats::{num, Samples};
use crate::Ctx;

const DIRS: usize = 100;
const FILES_PER_DIR: usize = 100;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=bench", "-c", "user.email=bench@bench.local"])
        .args(args)
        .output()?;
    ensure!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// A repository of 10,000 text files (100 folders of 100, 20 lines each), one commit.
fn generate(repo: &Path) -> Result<String> {
    std::fs::create_dir_all(repo)?;
    git(repo, &["init", "-q", "-b", "main"])?;
    for d in 0..DIRS {
        let dir = repo.join(format!("src/d{d}"));
        std::fs::create_dir_all(&dir)?;
        for f in 0..FILES_PER_DIR {
            let text: String = (0..20).map(|i| format!("line {i} of file {d}/{f}\n")).collect();
            std::fs::write(dir.join(format!("f{f}.txt")), text)?;
        }
    }
    std::fs::write(repo.join(".gitignore"), "target/\n")?;
    git(repo, &["add", "-A"])?;
    git(repo, &["commit", "-q", "-m", "10,000 files"])?;
    git(repo, &["rev-parse", "HEAD"])
}

/// The engine's way to a run's worktree (as `engine::workspace::make` calls it).
async fn engine_worktree(repo: &Path, path: &Path, branch: &str) -> Result<()> {
    let top = worktree::toplevel(repo).await?;
    worktree::check_branch_name(&top, branch).await?;
    let commit = worktree::resolve_base(&top, "HEAD").await?;
    let want = worktree::Want {
        project: repo,
        path,
        branch,
        base: "HEAD",
        base_commit: None,
        branch_made: false,
    };
    worktree::ensure(&want, &commit).await?;
    // What the engine also does as it makes one: find what its steps may reach.
    let _ = worktree::git_access(&top, path).await;
    Ok(())
}

/// Changes the same 10 files (round `k`'s) in a worktree: a line appended to each, naming
/// the side (`side`), so that the two sides write objects of their own: with the same
/// contents, whichever side ran second found the first's objects there and was about 2x
/// slower for it, in both orders.
fn change_ten(wt: &Path, k: usize, side: &str) -> Result<()> {
    for i in 0..10 {
        let n = k * 10 + i;
        let file = wt.join(format!("src/d{}/f{}.txt", n % DIRS, (n / DIRS) % FILES_PER_DIR));
        let mut text = std::fs::read_to_string(&file)?;
        text.push_str(&format!("changed in round {k} by {side}\n"));
        std::fs::write(file, text)?;
    }
    Ok(())
}

/// Writes back every dirty page before a timed operation, so that neither side pays for the
/// files just changed or the other side's writes.
fn settle() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

pub async fn b13(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b13-")?;
    let repo = dir.path().join("repo");
    let t = Instant::now();
    let base = generate(&repo)?;
    crate::progress(&format!("B13: generated 10,000 files in {} ms", num(ms(t))));
    let trees = dir.path().join("worktrees");
    std::fs::create_dir_all(&trees)?;

    // (a) worktree creation, the two ways alternating which goes first.
    let (mut create_ratio, mut engine_ms, mut plain_ms) = (Samples::default(), Samples::default(), Samples::default());
    let reps = ctx.reps.max(3);
    for i in 0..(1 + reps) {
        let (e_path, p_path) = (trees.join(format!("engine-{i}")), trees.join(format!("plain-{i}")));
        let run_engine = || async {
            let t = Instant::now();
            engine_worktree(&repo, &e_path, &format!("wf/engine-{i}"))
                .await
                .map(|()| ms(t))
        };
        let run_plain = || {
            let t = Instant::now();
            let p = p_path.to_string_lossy().into_owned();
            git(
                &repo,
                &["worktree", "add", "-q", "-b", &format!("plain-{i}"), &p, "HEAD"],
            )
            .map(|_| ms(t))
        };
        let (e, p) = if i % 2 == 0 {
            let e = run_engine().await?;
            (e, run_plain()?)
        } else {
            let p = run_plain()?;
            (run_engine().await?, p)
        };
        ensure!(
            git(&e_path, &["rev-parse", "HEAD"])? == base,
            "the engine's worktree is not at the base"
        );
        if i > 0 {
            create_ratio.push(e / p);
            engine_ms.push(e);
            plain_ms.push(p);
        }
    }
    crate::progress(&format!(
        "B13 worktree: engine {} ms, git worktree add {} ms, ratio {}",
        num(engine_ms.median()),
        num(plain_ms.median()),
        num(create_ratio.median())
    ));

    // (b) a step changed 10 files: the engine's snapshot in one worktree, `git commit -a` of
    // the same change in another, both made from the same commit.
    let (e_wt, p_wt) = (trees.join("engine-1"), trees.join("plain-1"));
    let (mut snap_ratio, mut snap_ms, mut commit_ms) = (Samples::default(), Samples::default(), Samples::default());
    let mut parent = base.clone();
    let mut first = None;
    let rounds = 3 + ctx.samples;
    for k in 0..rounds {
        change_ten(&e_wt, k, "engine")?;
        change_ten(&p_wt, k, "plain-")?;
        let refname = snapshot::snapshot_ref("b13", &format!("step-{k}"));
        let run_snapshot = || async {
            settle();
            let t = Instant::now();
            let snap = snapshot::take(&e_wt, &parent, &refname, "b13 step").await?;
            anyhow::Ok((ms(t), snap))
        };
        let run_commit = || {
            settle();
            let t = Instant::now();
            git(&p_wt, &["commit", "-q", "-a", "-m", "b13 step"]).map(|_| ms(t))
        };
        let ((s, snap), c) = if k % 2 == 0 {
            let s = run_snapshot().await?;
            (s, run_commit()?)
        } else {
            let c = run_commit()?;
            (run_snapshot().await?, c)
        };
        ensure!(
            snap.files.len() == 10,
            "round {k}: {} files changed, not 10",
            snap.files.len()
        );
        ensure!(
            git(&e_wt, &["diff", "--name-only", &snap.commit])?.is_empty(),
            "round {k}: the snapshot is not the worktree's files"
        );
        parent = snap.commit;
        if k == 0 {
            first = Some((s, c));
        }
        if k >= 3 {
            snap_ratio.push(s / c);
            snap_ms.push(s);
            commit_ms.push(c);
        }
    }
    ensure!(
        git(&e_wt, &["rev-parse", "HEAD"])? == base,
        "the snapshots moved the branch"
    );
    ensure!(
        git(&e_wt, &["diff", "--cached", "--name-only"])?.is_empty(),
        "the snapshots staged files"
    );
    crate::progress(&format!(
        "B13 snapshot: engine {} ms, git commit -a {} ms, ratio {}",
        num(snap_ms.median()),
        num(commit_ms.median()),
        num(snap_ratio.median())
    ));

    let mut create = Figure::median(
        "B13 worktree",
        "10,000-file repository: making a run's worktree with the engine's code, as a ratio to plain `git worktree add` of the same commit",
        "x",
        create_ratio,
        Some(Goal::AtMost(1.2)),
    );
    create.how = format!(
        "a generated repository of 10,000 files (100 folders of 100 files of 20 lines, one commit); per sample, \
         a new worktree and branch made with the engine's code (`workspace::worktree`: `toplevel`, \
         `check_branch_name`, `resolve_base`, `ensure`, which prunes, checks the branch and runs \
         `git worktree add -b`; the calls `engine::workspace::make` makes, without its database rows) and one \
         with plain `git worktree add -q -b <branch> <path> HEAD`, alternating which goes first; the figure is \
         the median of each pair's ratio. 1 warm-up pair, then {reps}; worktrees are kept until the end (deleting \
         files slows creating them on this filesystem)."
    );
    create.extra.push(format!(
        "engine {} ms, `git worktree add` {} ms (medians)",
        num(engine_ms.median()),
        num(plain_ms.median())
    ));
    let mut snap = Figure::median(
        "B13 snapshot",
        "10,000-file repository, a step changed 10 files: the engine's per-step snapshot, as a ratio to plain `git commit -a` of the same change",
        "x",
        snap_ratio,
        Some(Goal::AtMost(1.2)),
    );
    let (fs, fc) = first.unwrap_or_default();
    snap.how = format!(
        "two worktrees of the generated repository (made as in B13 worktree); per round, the same 10 files get a \
         line appended in both, then the engine's snapshot (`workspace::snapshot::take`: `git add -A` into the \
         engine's own index kept in the worktree's git directory, `write-tree`, `commit-tree` on the previous \
         snapshot, the ref `refs/workflow-engine/<run>/<step>` written, and meanwhile the file list with line \
         counts from the same index, `git diff --cached --raw --numstat -M`) runs in one and `git commit -q -a` in the other, alternating which goes \
         first, each after a sync(2); the line appended names the side, so that each side writes objects of its own \
         (with the same contents, whichever ran second found the other's objects and was about 2x slower, in \
         both orders); every snapshot checked: 10 files, the worktree's files exactly, the branch and the index \
         untouched. The figure is the median of each round's ratio; 3 warm-up rounds, then {}. The snapshot's \
         database row (one INSERT) is not included.",
        ctx.samples
    );
    snap.extra.push(format!(
        "snapshot {} ms, `git commit -a` {} ms (medians); the first round (the engine's index copied from the \
         worktree's): {} ms vs {} ms",
        num(snap_ms.median()),
        num(commit_ms.median()),
        num(fs),
        num(fc)
    ));
    Ok(vec![create, snap])
}
