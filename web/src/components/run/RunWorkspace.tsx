// The run's git worktree, under its header: the branch (copied with a click), the folder, and
// where the worktree is in its life (being created, active, kept, removed, failed, with why).

import type { RunDetail } from "../../api/types";
import { shortCommit, workspaceStateText } from "../../lib/workspace";
import { CopyText } from "../CodeBlock";
import { IconBranch } from "../Icons";

export function RunWorkspace({ run }: { run: RunDetail }) {
  const ws = run.workspace;
  if (!ws) return null;
  return (
    <div className={`run-workspace is-${ws.state}`} data-testid="run-workspace" data-state={ws.state} data-branch={ws.branch} data-path={ws.path}>
      <span className="run-workspace-label">
        <IconBranch width={14} height={14} /> Worktree
      </span>
      <span className="run-workspace-branch" data-testid="run-workspace-branch" title="Copy the branch's name">
        <CopyText text={ws.branch} />
      </span>
      <code className="path run-workspace-path truncate" title={`${ws.path}\nmade from ${ws.repo_path}`}>
        {ws.path}
      </code>
      {ws.base_commit && (
        <span className="muted small" title={`${ws.base} = ${ws.base_commit}`}>
          from <code>{ws.base === ws.base_commit ? shortCommit(ws.base_commit) : `${ws.base} (${shortCommit(ws.base_commit)})`}</code>
        </span>
      )}
      <span className={`chip run-workspace-state chip-ws-${ws.state}`} data-testid="run-workspace-state">
        {workspaceStateText(ws.state)}
      </span>
      {ws.error && (
        <span className="run-workspace-error small" role="alert">
          {ws.error}
        </span>
      )}
    </div>
  );
}
