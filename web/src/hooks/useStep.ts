// One step's detail and its logs, read again when an event says they changed.

import { getStep, getStepLog } from "../api/endpoints";
import type { LogType, StepDetail } from "../api/types";
import { useWsEvents } from "../ws/WsContext";
import { useAsync, useDebounced, type AsyncState } from "./useAsync";

export function useStep(stepRowId: string, runId: string): AsyncState<StepDetail> {
  const state = useAsync((signal) => getStep(stepRowId, { signal }), [stepRowId]);
  const refetch = useDebounced(() => state.reload(true), 150);
  useWsEvents((ev) => {
    if (ev.data.execution_id !== runId) return;
    switch (ev.type) {
      case "workflow.step.started":
      case "workflow.step.completed":
      case "workflow.artifact.created":
      case "workflow.comment.created":
      case "workflow.step.waiting":
      case "workflow.approval.decided":
        if (ev.data.step_id === stepRowId) refetch();
        return;
      case "workflow.artifact.attached":
        refetch();
        return;
      case "workflow.step.progress":
        // The session row appears with the session's first event.
        // A retry ends a try and starts the next (`attempts`).
        if (ev.data.step_id === stepRowId && (ev.data.stream === "session" || ev.data.stream === "retry")) refetch();
        return;
      default:
    }
  });
  return state;
}

/** A log file; read again each time `version` changes (the step finished). */
export function useStepLogFile(stepRowId: string, type: Exclude<LogType, "events">, version: string) {
  return useAsync((signal) => getStepLog(stepRowId, type, { signal }), [stepRowId, type, version]);
}
