// The new-run form's "Run in a git worktree" toggle and, when on, where the worktree starts
// (base), its branch and whether it is kept; sent as the run's `workspace` (merged over the
// workflow's own). Left off, the workflow's setting decides.

import type { WorkspaceSpec } from "../../api/types";

export interface WorktreeChoice {
  on: boolean;
  base: string;
  branch: string;
  keep: "" | "always" | "on-failure" | "never";
}

export const NO_WORKTREE: WorktreeChoice = { on: false, base: "", branch: "", keep: "" };

/** The `workspace` of the request body, or undefined to leave it to the workflow. */
export function workspaceBody(c: WorktreeChoice): WorkspaceSpec | undefined {
  if (!c.on) return undefined;
  const out: WorkspaceSpec = { isolation: "worktree" };
  if (c.base.trim()) out.base = c.base.trim();
  if (c.branch.trim()) out.branch = c.branch.trim();
  if (c.keep) out.keep = c.keep;
  return out;
}

/** The field a server's `workspace.<field>: ...` message is about. */
export function workspaceErrorField(message: string): "base" | "branch" | "keep" | "isolation" | null {
  const m = /^workspace\.(base|branch|keep|isolation)\b/.exec(message);
  return m ? (m[1] as "base" | "branch" | "keep" | "isolation") : null;
}

interface Props {
  value: WorktreeChoice;
  onChange: (v: WorktreeChoice) => void;
  error: { field: string; message: string } | null;
}

export function WorktreeFields({ value: v, onChange, error }: Props) {
  const set = (patch: Partial<WorktreeChoice>) => onChange({ ...v, ...patch });
  const err = (f: string) =>
    error?.field === f ? (
      <span className="field-error" data-testid={`new-run-worktree-error-${f}`} role="alert">
        {error.message}
      </span>
    ) : null;
  return (
    <fieldset className="args-fieldset worktree-fieldset">
      <legend className="section-title">Workspace</legend>
      <label className="check-field">
        <input type="checkbox" data-testid="new-run-worktree" checked={v.on} onChange={(e) => set({ on: e.target.checked })} aria-describedby="worktree-help" />
        <span>Run in a git worktree</span>
      </label>
      <span className="field-help" id="worktree-help">
        {v.on
          ? "The run gets its own checkout on a new branch, so it does not touch yours or another run's; each step's changes are recorded."
          : "Off: the workflow's own setting decides (its steps run in the project's checkout unless it asks for a worktree)."}
      </span>
      {err("isolation")}
      {v.on && (
        <div className="worktree-grid">
          <div className="field">
            <label className="field-label" htmlFor="worktree-base">
              Start from
            </label>
            <input id="worktree-base" data-testid="new-run-worktree-base" type="text" placeholder="HEAD" value={v.base} onChange={(e) => set({ base: e.target.value })} spellCheck={false} />
            {err("base")}
          </div>
          <div className="field">
            <label className="field-label" htmlFor="worktree-branch">
              Branch
            </label>
            <input
              id="worktree-branch"
              data-testid="new-run-worktree-branch"
              type="text"
              placeholder="wf/{{ run.name }}-{{ run.shortId }}"
              value={v.branch}
              onChange={(e) => set({ branch: e.target.value })}
              spellCheck={false}
            />
            {err("branch")}
          </div>
          <div className="field">
            <label className="field-label" htmlFor="worktree-keep">
              Keep the worktree
            </label>
            <select id="worktree-keep" data-testid="new-run-worktree-keep" value={v.keep} onChange={(e) => set({ keep: e.target.value as WorktreeChoice["keep"] })}>
              <option value="">As the workflow says</option>
              <option value="on-failure">When the run fails</option>
              <option value="always">Always</option>
              <option value="never">Never</option>
            </select>
            {err("keep")}
          </div>
        </div>
      )}
    </fieldset>
  );
}
