//! The engine as one node of many on PostgreSQL: which runs this node may take, pulling
//! them from the database, and the reaper that takes over runs whose node died.
//!
//! A node takes only runs of projects whose folder exists on it (each node has its own
//! checkouts) and whose required node labels it has, every one (`projects.node_labels`,
//! `serve --node-labels`): a run no live node may take stays `pending`, and says why
//! (`placement_problem`). A run created through another node, woken by one, or requeued by a reaper is
//! `pending` in the database; every node with a free slot pulls the oldest pending run of
//! its projects that no other node is claiming (`RunRow::claimable`, `SKIP LOCKED`) and
//! claims it (`RunRow::claim_for`: the claim checks the run's concurrency key and the
//! cluster-wide limit in its statement). Nodes wake each other with `NOTIFY` (a run became
//! claimable) and poll as a fallback.
//!
//! The reaper: a run `running` whose lease has run out was driven by a node that died or
//! lost the database (a live node renews at a third of the lease). Each node's reaper sleeps
//! until the earliest lease end and requeues the lapsed runs, which any node with their
//! project then claims and resumes from the memo.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Engine;
use crate::events::Event;
use crate::store::claims::Claimer;
use crate::store::projects::ProjectRow;
use crate::store::runs::{ClaimFrom, RunRow};

/// How often a node with a free slot looks for pending runs without being woken.
pub const PULL_POLL: Duration = Duration::from_secs(1);
/// How long the list of this node's projects is reused.
const PROJECTS_TTL: Duration = Duration::from_secs(2);
/// The reaper's longest sleep.
const REAP_POLL: Duration = Duration::from_secs(1);
/// Candidates read per pull.
const CANDIDATES: i64 = 16;

/// The projects this node may drive runs of (`may_drive`), as a JSON array of ids (cached
/// briefly).
#[derive(Default)]
pub(super) struct LocalProjects {
    cached: Option<(Instant, String)>,
}

impl LocalProjects {
    pub async fn ids(&mut self, engine: &Engine) -> Option<String> {
        if let Some((at, ids)) = &self.cached {
            if at.elapsed() < PROJECTS_TTL {
                return Some(ids.clone());
            }
        }
        let ids = projects_here(engine).await?;
        self.cached = Some((Instant::now(), ids.clone()));
        Some(ids)
    }
}

/// The projects this node may drive (`may_drive`: their folder is here, their labels met), as
/// a JSON array of ids (what it pulls runs of, and what its heartbeat records:
/// `NodeRow::heartbeat`); None when they cannot be listed.
pub async fn projects_here(engine: &Engine) -> Option<String> {
    let all = match ProjectRow::list_all(engine.store()).await {
        Ok(all) => all,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the projects");
            return None;
        }
    };
    let engine = engine.clone();
    let here: Vec<String> = tokio::task::spawn_blocking(move || {
        all.into_iter()
            .filter(|p| may_drive(&engine, p))
            .map(|p| p.id)
            .collect()
    })
    .await
    .ok()?;
    Some(serde_json::to_string(&here).unwrap_or_else(|_| "[]".into()))
}

/// Whether this node may drive runs of `project`: its folder is here and, on PostgreSQL,
/// this node has every label the project requires. A single-process engine (SQLite) is the
/// only one there is: it drives every run and does not look at labels.
pub(super) fn may_drive(engine: &Engine, project: &ProjectRow) -> bool {
    Path::new(&project.path).is_dir()
        && (engine.store().is_lite() || project.node_labels.met_by(&engine.config().node_labels))
}

/// Why no live node may take a `pending` run of `project` (`LiveNodes::placement`); None
/// when some node may, and always on SQLite.
pub async fn placement_problem(
    store: &crate::store::Store,
    project: &ProjectRow,
) -> Result<Option<String>, crate::store::StoreError> {
    Ok(LiveNodes::load(store).await?.and_then(|nodes| nodes.placement(project)))
}

/// The live nodes, as placement sees them: loaded once for a page of runs.
pub struct LiveNodes(Vec<LiveNode>);

/// A live node: its labels and the projects its heartbeat lists (those whose folder it has,
/// `projects_here`).
struct LiveNode {
    id: String,
    labels: Vec<String>,
    projects: Vec<String>,
}

impl LiveNodes {
    /// The nodes whose heartbeat is recent; None on SQLite, where the one engine drives
    /// every run.
    pub async fn load(store: &crate::store::Store) -> Result<Option<LiveNodes>, crate::store::StoreError> {
        if store.is_lite() {
            return Ok(None);
        }
        let nodes = crate::store::nodes::NodeRow::live_placement(store).await?;
        Ok(Some(LiveNodes(
            nodes
                .into_iter()
                .map(|(id, labels, projects)| LiveNode {
                    id,
                    labels: serde_json::from_str(&labels).unwrap_or_default(),
                    projects: serde_json::from_str(&projects).unwrap_or_default(),
                })
                .collect(),
        )))
    }

    /// Why none of them may take a `pending` run of `project`: none has both the project's
    /// folder and every label it requires. None when one may.
    pub fn placement(&self, project: &ProjectRow) -> Option<String> {
        let alive = &self.0;
        // A node's list can be a heartbeat old: labels the project requires since are checked
        // here too.
        if alive
            .iter()
            .any(|n| n.projects.contains(&project.id) && project.node_labels.met_by(&n.labels))
        {
            return None;
        }
        let labels = !project.node_labels.0.is_empty();
        let nodes: Vec<String> = alive
            .iter()
            .map(|n| match (labels, n.labels.is_empty()) {
                (false, _) => n.id.clone(),
                (true, true) => format!("{} (no labels)", n.id),
                (true, false) => format!("{} [{}]", n.id, n.labels.join(", ")),
            })
            .collect();
        let nodes = if nodes.is_empty() {
            "none".to_string()
        } else {
            nodes.join("; ")
        };
        let (name, path) = (&project.name, &project.path);
        Some(if labels {
            let required = project.node_labels.0.join(", ");
            format!("no live node has both the folder of project {name} ({path}) and every label it requires ({required}); live nodes: {nodes}")
        } else {
            format!("no live node has the folder of project {name} ({path}); live nodes: {nodes}")
        })
    }
}

/// Claims the oldest pending run this node may take, skipping `busy` (runs this node is
/// starting already); None when there is none (or the limits are reached). A later run of
/// a concurrency key never passes an earlier pending one: not one after a run of its key in
/// `busy` (whose claim may be about to take the key) or one that could not be claimed.
pub(super) async fn pull(engine: &Engine, projects: &mut LocalProjects, busy: &[String]) -> Option<RunRow> {
    let ids = projects.ids(engine).await?;
    if ids == "[]" {
        return None;
    }
    let store = engine.store();
    let candidates = match RunRow::claimable(store, &ids, CANDIDATES).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "cannot look for pending runs");
            return None;
        }
    };
    let until = engine.lease_until();
    let who = Claimer {
        owner: engine.owner(),
        node: engine.node_id(),
        lease_until: &until,
        cluster_max: engine.config().cluster_max_runs,
    };
    let mut passed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (id, key) in &candidates {
        let key = key.as_deref();
        if key.is_some_and(|k| passed.contains(k)) {
            continue;
        }
        if busy.contains(id) {
            passed.extend(key);
            continue;
        }
        match RunRow::claim_for(store, id, ClaimFrom::Queue, &who, None).await {
            Ok(Some(run)) => return Some(run),
            Ok(None) => passed.extend(key),
            Err(e) => {
                tracing::debug!(run = %id, error = %e, "cannot claim the run");
                return None;
            }
        }
    }
    None
}

/// Runs until the process ends: requeues runs whose lease ran out, as soon as it does.
pub async fn run_reaper(engine: Engine, kick: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        match RunRow::requeue_expired(engine.store(), 500).await {
            Ok(runs) => {
                for run in &runs {
                    tracing::info!(run = %run.id, node = run.node_id.as_deref().unwrap_or(""),
                        "lease ran out: requeued to be taken over");
                    engine.outbox().emit(
                        engine.events(),
                        Event::StatusChanged {
                            execution_id: run.id.clone(),
                            status: run.status,
                            project_id: run.project_id.clone(),
                            error_message: None,
                        },
                    );
                    engine.store().notify_wake(&run.id).await;
                }
                if !runs.is_empty() {
                    kick.notify_one();
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot look for runs whose lease ran out"),
        }
        let sleep = until_next_expiry(&engine).await;
        tokio::time::sleep(sleep).await;
    }
}

/// How long until the earliest lease of a running run ends (just after it), at most
/// `REAP_POLL`.
async fn until_next_expiry(engine: &Engine) -> Duration {
    let next = RunRow::next_lease_expiry(engine.store()).await.ok().flatten();
    let Some(at) = next.and_then(|n| chrono::DateTime::parse_from_rfc3339(&n).ok()) else {
        return REAP_POLL;
    };
    let left = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    // Just past it: the requeue compares with `<`, to the millisecond.
    (left.to_std().unwrap_or(Duration::ZERO) + Duration::from_millis(5)).min(REAP_POLL)
}

/// After this node claimed a run another node was driving (requeued when that node's lease
/// ran out): a system comment says so, so that the board shows why the run moved.
pub(super) async fn say_taken_over(engine: &Engine, run: &RunRow) -> Result<(), crate::store::StoreError> {
    if run.lapsed_node.is_none() {
        return Ok(());
    }
    let here = engine.node_id().to_string();
    let posted = crate::store::comments::CommentRow::post_takeover(engine.store(), &run.id, |node, at| {
        format!("Taken over by node {here}: node {node}'s lease ran out at {at}; the interrupted step runs again.")
    })
    .await?;
    if let Some(comment) = posted {
        tracing::info!(run = %run.id, "{}", comment.text);
        engine.outbox().emit_held(
            engine.events(),
            Event::CommentCreated {
                execution_id: run.id.clone(),
                comment_id: comment.id,
                step_id: None,
                project_id: run.project_id.clone(),
            },
            engine.store().fence(&run.id),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::projects::NodeLabels;

    fn project(labels: &[&str]) -> ProjectRow {
        ProjectRow {
            id: "p1".into(),
            name: "api".into(),
            path: "/srv/api".into(),
            owner_id: None,
            node_labels: NodeLabels(labels.iter().map(|l| l.to_string()).collect()),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    /// A live node; `has`: its heartbeat lists the project.
    fn node(id: &str, labels: &[&str], has: bool) -> LiveNode {
        LiveNode {
            id: id.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            projects: if has { vec!["p1".into()] } else { Vec::new() },
        }
    }

    fn placement<const N: usize>(project: &ProjectRow, nodes: [LiveNode; N]) -> Option<String> {
        LiveNodes(nodes.into()).placement(project)
    }

    #[test]
    fn a_run_is_placed_only_on_a_node_with_the_folder_and_every_label() {
        let plain = project(&[]);
        assert_eq!(
            placement(&plain, []).as_deref(),
            Some("no live node has the folder of project api (/srv/api); live nodes: none")
        );
        assert_eq!(
            placement(&plain, [node("a", &["gpu"], false), node("b", &[], false)]).as_deref(),
            Some("no live node has the folder of project api (/srv/api); live nodes: a; b")
        );
        assert_eq!(placement(&plain, [node("a", &[], false), node("b", &[], true)]), None);

        let gpu = project(&["gpu"]);
        // A node with the label but not the folder does not count.
        assert_eq!(
            placement(
                &gpu,
                [
                    node("a", &["gpu"], false),
                    node("b", &["eu"], false),
                    node("c", &[], false)
                ]
            )
            .as_deref(),
            Some(
                "no live node has both the folder of project api (/srv/api) and every label it \
                 requires (gpu); live nodes: a [gpu]; b [eu]; c (no labels)"
            )
        );
        assert_eq!(
            placement(&gpu, [node("a", &["gpu"], false), node("b", &["gpu"], true)]),
            None
        );
    }
}
