// A run's detail, kept current: status, phase and step changes apply at once from events;
// what events do not carry (a step's result, a new comment's text) is refetched once.

import { useCallback } from "react";
import { getRun } from "../api/endpoints";
import type { RunDetail } from "../api/types";
import { applyRunEvent, noteOutput } from "../lib/runEvents";
import { useWsEvents, useWsOpen } from "../ws/WsContext";
import { useAsync, useDebounced, type AsyncState } from "./useAsync";

export function useRun(runId: string): AsyncState<RunDetail> {
  const state = useAsync((signal) => getRun(runId, { signal }), [runId]);
  const { setData, reload } = state;
  const refetch = useDebounced(() => reload(true), 150);

  useWsEvents((ev) => {
    if (ev.data.execution_id !== runId) return;
    if (ev.type === "workflow.step.progress") {
      // Output: the step is not silent ("no output for N min" goes away).
      const { step_id: stepId, stream } = ev.data;
      setData((prev) => (prev ? (noteOutput(prev, stepId, Date.now(), stream) ?? prev) : prev));
      return;
    }
    if (ev.type === "workflow.execution.log") return;
    // Still loading: the answer may predate this event, so ask again once it is in.
    if (state.data === undefined) {
      refetch();
      return;
    }
    switch (ev.type) {
      case "workflow.execution.status_changed":
      case "workflow.execution.phase_changed":
      case "workflow.step.started":
        setData((prev) => (prev ? (applyRunEvent(prev, ev) ?? prev) : prev));
        // Exact timestamps once the run stops.
        if (ev.type === "workflow.execution.status_changed" && ev.data.status !== "running") refetch();
        return;
      case "workflow.step.completed":
      case "workflow.step.waiting":
      case "workflow.approval.decided":
        // Applied at once (a second browser sees a decision without delay), then read again
        // for what the event does not carry: the gate's description, form and outcome.
        setData((prev) => (prev ? (applyRunEvent(prev, ev) ?? prev) : prev));
        refetch();
        return;
      default:
        // Comments and artifacts: the event names them only.
        refetch();
    }
  });

  useWsOpen(
    useCallback(
      ({ resumed }: { resumed: boolean }) => {
        if (!resumed) reload(true);
      },
      [reload],
    ),
  );

  return state;
}
