// The run page's steps: the list by phase or the waterfall on a time axis, switched with a
// pressed-button pair; the choice is in the URL (`?view=waterfall`), so a link or a reload
// keeps it.

import { useSearchParams } from "react-router-dom";
import type { RunDetail, StepConfig } from "../../api/types";
import { StepTimeline } from "./StepTimeline";
import { Waterfall } from "./Waterfall";

export type StepsView = "list" | "waterfall";

export function stepsView(params: URLSearchParams): StepsView {
  return params.get("view") === "waterfall" ? "waterfall" : "list";
}

interface Props {
  run: RunDetail;
  projectId: string;
  planned: StepConfig[];
  selectedStepId?: string;
  now: number;
}

export function RunSteps({ run, projectId, planned, selectedStepId, now }: Props) {
  const [params, setParams] = useSearchParams();
  const view = stepsView(params);
  const choose = (v: StepsView) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (v === "list") next.delete("view");
        else next.set("view", v);
        return next;
      },
      { replace: true },
    );
  return (
    <>
      <div className="timeline-head">
        <h2 id="timeline-title" className="section-title">
          {view === "waterfall" ? "Waterfall" : "Timeline"}
        </h2>
        <div className="seg-toggle" role="group" aria-label="Show the steps as">
          <button type="button" data-testid="view-list" aria-pressed={view === "list"} onClick={() => choose("list")}>
            List
          </button>
          <button type="button" data-testid="view-waterfall" aria-pressed={view === "waterfall"} onClick={() => choose("waterfall")}>
            Waterfall
          </button>
        </div>
      </div>
      {view === "waterfall" ? (
        <Waterfall run={run} projectId={projectId} selectedStepId={selectedStepId} now={now} />
      ) : (
        <StepTimeline run={run} projectId={projectId} planned={planned} selectedStepId={selectedStepId} now={now} />
      )}
    </>
  );
}
