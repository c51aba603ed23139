// The run page's steps: the list by phase or the waterfall on a time axis, and for a run in a
// git worktree what the whole run changed, switched with pressed buttons; the choice is in the
// URL (`?view=waterfall`, `?view=changes`), so a link or a reload keeps it.

import { useSearchParams } from "react-router-dom";
import type { RunDetail, StepConfig } from "../../api/types";
import { StepTimeline } from "./StepTimeline";
import { Waterfall } from "./Waterfall";
import { RunChanges } from "../changes/Changes";

export type StepsView = "list" | "waterfall" | "changes";

export function stepsView(params: URLSearchParams): StepsView {
  const v = params.get("view");
  return v === "waterfall" || v === "changes" ? v : "list";
}

const TITLE: Record<StepsView, string> = { list: "Timeline", waterfall: "Waterfall", changes: "Changes" };

interface Props {
  run: RunDetail;
  projectId: string;
  planned: StepConfig[];
  selectedStepId?: string;
  now: number;
}

export function RunSteps({ run, projectId, planned, selectedStepId, now }: Props) {
  const [params, setParams] = useSearchParams();
  const asked = stepsView(params);
  // A run without a worktree has no changes to show.
  const view = asked === "changes" && !run.workspace ? "list" : asked;
  const choose = (v: StepsView) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (v === "list") next.delete("view");
        else next.set("view", v);
        if (v !== "changes") next.delete("since");
        return next;
      },
      { replace: true },
    );
  return (
    <>
      <div className="timeline-head">
        <h2 id="timeline-title" className="section-title">
          {TITLE[view]}
        </h2>
        <div className="seg-toggle" role="group" aria-label="Show the steps as">
          <button type="button" data-testid="view-list" aria-pressed={view === "list"} onClick={() => choose("list")}>
            List
          </button>
          <button type="button" data-testid="view-waterfall" aria-pressed={view === "waterfall"} onClick={() => choose("waterfall")}>
            Waterfall
          </button>
          {run.workspace && (
            <button type="button" data-testid="view-changes" aria-pressed={view === "changes"} onClick={() => choose("changes")}>
              Changes
            </button>
          )}
        </div>
      </div>
      {view === "changes" ? (
        <RunChanges run={run} />
      ) : view === "waterfall" ? (
        <Waterfall run={run} projectId={projectId} selectedStepId={selectedStepId} now={now} />
      ) : (
        <StepTimeline run={run} projectId={projectId} planned={planned} selectedStepId={selectedStepId} now={now} />
      )}
    </>
  );
}
