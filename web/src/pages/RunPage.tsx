import { useCallback } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { getDefinition } from "../api/endpoints";
import type { ControlResult } from "../api/types";
import { CommentThread } from "../components/comments/CommentThread";
import { RunHeader } from "../components/run/RunHeader";
import { RunInfo } from "../components/run/RunInfo";
import { RunLineage } from "../components/run/Reruns";
import { StepTimeline } from "../components/run/StepTimeline";
import { WaitPanels } from "../components/run/WaitPanels";
import { ErrorState, Loading } from "../components/States";
import { StepPanel } from "../components/step/StepPanel";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { useRun } from "../hooks/useRun";

export function RunPage() {
  const { projectId = "", runId = "", stepRowId } = useParams();
  const navigate = useNavigate();
  const run = useRun(runId);
  const defId = run.data?.workflow_definition_id;
  const def = useAsync((signal) => (defId ? getDefinition(defId, { signal }) : Promise.resolve(undefined)), [defId]);
  // Clocks tick while the run runs or waits (a sleep's countdown, a gate's timeout).
  const now = useNow(run.data?.status === "running" || run.data?.status === "waiting");
  const { setData } = run;

  const onControlled = useCallback(
    (r: ControlResult) => setData((prev) => (prev ? { ...prev, status: r.status } : prev)),
    [setData],
  );
  const closePanel = useCallback(() => navigate(`/p/${projectId}/runs/${runId}`), [navigate, projectId, runId]);

  if (run.error && !run.data) {
    return (
      <div className="page">
        <ErrorState error={run.error} onRetry={() => run.reload()} title="Cannot load the run" />
      </div>
    );
  }
  if (!run.data) return <Loading label="Loading the run…" />;
  const r = run.data;
  const runComments = r.comments;

  return (
    <div className={`page page-run${stepRowId ? " has-panel" : ""}`}>
      <RunHeader run={r} projectId={projectId} now={now} onControlled={onControlled} />
      <RunLineage run={r} projectId={projectId} />
      <WaitPanels run={r} now={now} reload={() => run.reload(true)} />
      <div className="run-layout">
        <section className="run-main" aria-labelledby="timeline-title">
          <h2 id="timeline-title" className="section-title">
            Timeline
          </h2>
          <StepTimeline run={r} projectId={projectId} planned={def.data?.steps ?? []} selectedStepId={stepRowId} now={now} />
          <CommentThread runId={r.id} projectId={projectId} comments={runComments} steps={r.steps} stepId={null} onChanged={() => run.reload(true)} title="Comments" />
        </section>
        <aside className="run-side" aria-label="Run details">
          <RunInfo run={r} projectId={projectId} definition={def.data} />
        </aside>
      </div>
      {stepRowId && <StepPanel key={stepRowId} run={r} projectId={projectId} stepRowId={stepRowId} onClose={closePanel} />}
    </div>
  );
}
