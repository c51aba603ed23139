// The workspace pieces of a run and its steps as the UI words them: "no output for N min" on a
// running agent step, a step's warnings, a run's worktree line and the diff's `since` switch.

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
