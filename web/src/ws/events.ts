// The WebSocket's messages (`src/events.rs`): `{ seq, type, data }`, or `stream.lagged`.

import type { RunStatus, StepStatus, StepType } from "../api/types";

interface Base {
  execution_id: string;
  project_id: string;
}

export interface EventMap {
  "workflow.execution.created": Base & {
    name: string;
    status: RunStatus;
    workflow_definition_id: string;
    workflow_name: string;
    phases: string[];
    current_phase: string | null;
  };
  "workflow.execution.status_changed": Base & { status: RunStatus; error_message?: string };
  "workflow.execution.phase_changed": Base & { current_phase: string };
  "workflow.step.started": Base & {
    step_id: string;
    step_key: string;
    step_name: string;
    step_type: StepType;
    phase: string;
  };
  "workflow.step.completed": Base & {
    step_id: string;
    step_key: string;
    status: StepStatus;
    error?: string;
    duration_ms: number;
  };
  "workflow.step.progress": Base & {
    step_id: string;
    step_key: string;
    stream: string;
    output: string;
    detail?: Record<string, unknown>;
  };
  "workflow.comment.created": Base & { comment_id: string; step_id: string | null };
  "workflow.artifact.created": Base & { artifact_id: string; step_id: string };
  "workflow.artifact.attached": Base & { artifact_id: string; comment_id: string };
  "workflow.execution.log": Base & { level: string; message: string };
}

export type EventType = keyof EventMap;

/** One journal event; `type` narrows `data`. */
export type WsEvent = {
  [K in EventType]: { seq: number; type: K; data: EventMap[K] };
}[EventType];

export type ProgressData = EventMap["workflow.step.progress"];

export interface LaggedMessage {
  type: "stream.lagged";
  data: { missed: number };
}

export function isWsEvent(m: unknown): m is WsEvent {
  if (typeof m !== "object" || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o.seq === "number" && typeof o.type === "string" && typeof o.data === "object" && o.data !== null;
}
