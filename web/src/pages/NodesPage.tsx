// The engine nodes (admins): every `workflow-engine serve` process on this database, whether
// it is alive, what it may take (its labels, the projects whose folder it has) and how many
// runs it drives. One server on SQLite is one node.

import { listNodes } from "../api/endpoints";
import type { EngineNode } from "../api/types";
import { ErrorState, Loading } from "../components/States";
import { useAsync } from "../hooks/useAsync";
import { useDocumentTitle } from "../hooks/useDocumentTitle";
import { useProjects } from "../hooks/useProjects";
import { formatRelative } from "../lib/format";

export function NodesPage() {
  useDocumentTitle("Nodes");
  const nodes = useAsync((signal) => listNodes({ signal }), []);
  const { data: projects } = useProjects();
  const projectName = (id: string) => projects?.find((p) => p.id === id)?.name ?? id;
  const alive = nodes.data?.filter((n) => n.alive).length ?? 0;

  return (
    <div className="page page-narrow">
      <header className="page-header">
        <h1>Nodes</h1>
        <p className="muted">
          Every <code>workflow-engine serve</code> process on this database. A node takes runs of the projects whose folder it has and
          whose labels it carries; a node that stops cleanly leaves the list, one that died stays for a day and its runs are taken over.
        </p>
      </header>
      {nodes.error ? (
        <ErrorState error={nodes.error} onRetry={() => nodes.reload()} title="Cannot list the nodes" />
      ) : !nodes.data ? (
        <Loading label="Loading nodes…" />
      ) : (
        <>
          <p className="muted small" data-testid="nodes-summary">
            {alive} of {nodes.data.length} {nodes.data.length === 1 ? "node" : "nodes"} alive ·{" "}
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => nodes.reload()} data-testid="nodes-refresh">
              Refresh
            </button>
          </p>
          <ul className="node-list" aria-label="Nodes" data-testid="node-list">
            {nodes.data.map((n) => (
              <NodeItem key={n.id} node={n} projectName={projectName} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function NodeItem({ node, projectName }: { node: EngineNode; projectName: (id: string) => string }) {
  return (
    <li className={`node-item card ${node.alive ? "is-alive" : "is-dead"}`} data-testid="node-item" data-node-id={node.id} data-alive={node.alive}>
      <div className="node-top">
        <code className="node-id">{node.id}</code>
        <span className={`chip ${node.alive ? "chip-node-alive" : "chip-node-dead"}`} data-testid="node-state">
          {node.alive ? "alive" : "not answering"}
        </span>
        {node.this_node && (
          <span className="chip" data-testid="node-this" title="The node that answered this page">
            this node
          </span>
        )}
      </div>
      <dl className="node-facts">
        <div>
          <dt>Host</dt>
          <dd>{node.hostname ?? "—"}</dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>{node.address ? <code>{node.address}</code> : "—"}</dd>
        </div>
        <div>
          <dt>Runs driven</dt>
          <dd data-testid="node-runs">{node.runs_driven}</dd>
        </div>
        <div>
          <dt>Last heartbeat</dt>
          <dd title={node.heartbeat_at} data-testid="node-heartbeat">
            {secondsAgo(node.heartbeat_at)}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd title={node.started_at}>{formatRelative(node.started_at)}</dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd data-testid="node-labels">
            {node.labels.length === 0 ? <span className="muted">none</span> : node.labels.map((l) => <span key={l} className="chip">{l}</span>)}
          </dd>
        </div>
        <div className="node-projects">
          <dt>Projects it may take</dt>
          <dd data-testid="node-projects">
            {node.projects.length === 0 ? <span className="muted">none</span> : node.projects.map(projectName).join(", ")}
          </dd>
        </div>
      </dl>
    </li>
  );
}

/** "12 s ago" under a minute (a node is taken for dead 15 s after its last heartbeat, so
 * "just now" would hide that), else the usual relative time. */
function secondsAgo(ts: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 1000));
  return s < 60 ? `${s} s ago` : formatRelative(ts);
}
