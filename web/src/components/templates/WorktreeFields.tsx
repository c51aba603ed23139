// The new-run form's "Run in a git worktree" toggle (on at first when the workflow asks for a
// worktree) and, when on, where the worktree starts (base), its branch and whether it is kept,
// the workflow's own settings as placeholders; sent as the run's `workspace` (lib/workspace.ts).

import type { WorkspaceSpec } from "../../api/types";
import type { WorktreeChoice } from "../../lib/workspace";

interface Props {
  value: WorktreeChoice;
  /** The workflow's own `workspace`, if it has one. */
  own: WorkspaceSpec | null | undefined;
  onChange: (v: WorktreeChoice) => void;
  error: { field: string; message: string } | null;
}

const KEEP_TEXT: Record<string, string> = { "on-failure": "when the run fails", always: "always", never: "never" };

export function WorktreeFields({ value: v, own, onChange, error }: Props) {
  const ownOn = own?.isolation === "worktree";
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
          ? `The run gets its own checkout on a new branch, so it does not touch yours or another run's; each step's changes are recorded.${ownOn ? " The workflow asks for this." : ""}`
          : ownOn
            ? "Off: this run works in the project's checkout, although the workflow asks for a worktree."
            : "Off: the steps run in the project's checkout."}
      </span>
      {err("isolation")}
      {v.on && (
        <div className="worktree-grid">
          <div className="field">
            <label className="field-label" htmlFor="worktree-base">
              Start from
            </label>
            <input id="worktree-base" data-testid="new-run-worktree-base" type="text" placeholder={own?.base ?? "HEAD"} value={v.base} onChange={(e) => set({ base: e.target.value })} spellCheck={false} />
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
              placeholder={own?.branch ?? "wf/{{ run.name }}-{{ run.shortId }}"}
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
              <option value="">As the workflow says ({KEEP_TEXT[own?.keep ?? "on-failure"]})</option>
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
