// The workspace pieces of a run and its steps as the UI words them: "no output for N min" on a
// running agent step, a step's warnings, a run's worktree line, the diff's `since` switch, and
// the new-run form's worktree choice as the request's `workspace`.

/** The silence after which a running agent step says "no output for N min". */
export const STALL_AFTER_MS = 2 * 60_000;

/**
 * "no output for 3 min" once a running agent step has printed nothing for `after` (2 min),
 * from its `last_output_at`; null before that, for a step that is not running, or without a time.
 */
export function stallText(lastOutputAt: string | null | undefined, now: number, running: boolean, after = STALL_AFTER_MS): string | null {
  if (!running || !lastOutputAt) return null;
  const t = Date.parse(lastOutputAt);
  if (Number.isNaN(t)) return null;
  const ms = now - t;
  if (ms < after) return null;
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `no output for ${min} min`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return `no output for ${h} h${m ? ` ${m} min` : ""}`;
}

/** A step's warnings (permission denials...), empty when it has none. */
export function warningsOf(step: { warnings?: string[] | null }): string[] {
  return (step.warnings ?? []).filter((w) => w.trim() !== "");
}

/** The title of a warning icon: "2 warnings: a; b" (at most three shown). */
export function warningTitle(warnings: string[]): string {
  if (warnings.length === 0) return "";
  const shown = warnings.slice(0, 3).join("; ");
  const more = warnings.length > 3 ? ` (+${warnings.length - 3} more)` : "";
  return `${warnings.length === 1 ? "1 warning" : `${warnings.length} warnings`}: ${shown}${more}`;
}

export type WorkspaceState = "creating" | "active" | "kept" | "removed" | "failed";

/** What a worktree's state means, for the run page's workspace line. */
export function workspaceStateText(state: WorkspaceState | string): string {
  switch (state) {
    case "creating":
      return "being created";
    case "active":
      return "active";
    case "kept":
      return "kept after the run";
    case "removed":
      return "removed (the branch stays)";
    case "failed":
      return "could not be created";
    default:
      return state;
  }
}

export type DiffSince = "base" | "last_gate";

/** `?since=` of the run page's changes view (`base` unless it says `last_gate`). */
export function diffSince(params: URLSearchParams): DiffSince {
  return params.get("since") === "last_gate" ? "last_gate" : "base";
}

/** A short commit id. */
export const shortCommit = (c: string | null | undefined): string => (c ? c.slice(0, 8) : "");

/** The new-run form's worktree choice: on or off, and what the person typed. */
export interface WorktreeChoice {
  on: boolean;
  base: string;
  branch: string;
  keep: "" | "always" | "on-failure" | "never";
}

/** The form's first choice: on when the workflow asks for a worktree. */
export function initialChoice(own: { isolation?: string | null } | null | undefined): WorktreeChoice {
  return { on: own?.isolation === "worktree", base: "", branch: "", keep: "" };
}

/** The run's `workspace` override (merged over the workflow's), or undefined to send none. */
export function workspaceBody(
  c: WorktreeChoice,
  own: { isolation?: string | null } | null | undefined,
): { isolation: "worktree" | "none"; base?: string; branch?: string; keep?: "always" | "on-failure" | "never" } | undefined {
  if (!c.on) return own?.isolation === "worktree" ? { isolation: "none" } : undefined;
  const out: { isolation: "worktree"; base?: string; branch?: string; keep?: "always" | "on-failure" | "never" } = { isolation: "worktree" };
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

/**
 * Whether a gate of the run was decided (approved or rejected: its wait is resolved), so that
 * the server's `since=last_gate` diff starts there rather than at the worktree's base
 * (`store::snapshots::at_last_gate`).
 */
export function hasDecidedGate(run: { steps: { wait?: { kind: string; resolved_at?: string | null } | null }[] }): boolean {
  return run.steps.some((s) => s.wait?.kind === "approval" && !!s.wait.resolved_at);
}

/** Whether editing the form from `prev` to `next` touched the field a server error names (it then goes). */
export function editedField(field: string, prev: WorktreeChoice, next: WorktreeChoice): boolean {
  const key = (field === "isolation" ? "on" : field) as keyof WorktreeChoice;
  return key in prev && prev[key] !== next[key];
}
