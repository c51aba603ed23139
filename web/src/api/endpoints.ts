// One function per API route the app uses.

export type { ControlAction } from "../lib/status";

import { fetchArtifactBlob } from "./artifactFiles";
import { request, requestRaw } from "./client";
import type { components } from "./schema";
import type { ControlAction } from "../lib/status";
import type {
  Artifact,
  BoardAnswer,
  Comment,
  CommentType,
  ControlResult,
  DecisionRequest,
  Definition,
  DefinitionDetail,
  Diff,
  EngineNode,
  LoginResult,
  LogType,
  PendingApproval,
  Project,
  Run,
  RunDetail,
  Secret,
  RunPage,
  RunStatus,
  RunSummary,
  SignalResult,
  Step,
  StepDetail,
  StepLog,
  WorkspaceSpec,
} from "./types";

type Sig = { signal?: AbortSignal };

export const login = (email: string, password: string) =>
  request<LoginResult>("/auth/login", { method: "POST", body: { email, password } });

export const listProjects = (o: Sig = {}) => request<Project[]>("/projects", o);

export const createProject = (name: string, path: string) =>
  request<Project>("/projects", { method: "POST", body: { name, path } });

/** The engine nodes on this database (admins only). */
export const listNodes = (o: Sig = {}) => request<EngineNode[]>("/nodes", o);

const secretsPath = (projectId: string) => `/projects/${encodeURIComponent(projectId)}/secrets`;

export const listSecrets = (projectId: string, o: Sig = {}) => request<Secret[]>(secretsPath(projectId), o);

/** Values go in and never come back: the answer is the name and dates. */
export const setSecret = (projectId: string, name: string, value: string) =>
  request<Secret>(`${secretsPath(projectId)}/${encodeURIComponent(name)}`, { method: "PUT", body: { value } });

export const deleteSecret = (projectId: string, name: string) =>
  requestRaw<null>(`${secretsPath(projectId)}/${encodeURIComponent(name)}`, { method: "DELETE" });

export const listDefinitions = (projectId: string, o: Sig = {}) =>
  request<Definition[]>("/workflow-definitions", { query: { project_id: projectId }, ...o });

export const getDefinition = (id: string, o: Sig = {}) =>
  request<DefinitionDetail>(`/workflow-definitions/${encodeURIComponent(id)}`, o);

export interface RunQuery {
  projectId: string;
  definitionId?: string;
  status?: RunStatus | "";
  /** Name, id, argument values, step names/keys, error text (server-side). */
  q?: string;
  /** RFC 3339 or a date. */
  createdAfter?: string | null;
  createdBefore?: string | null;
  /** One board column's runs (`__pending`, a phase, `__done`; a status in the all-workflows view). */
  column?: string;
  limit?: number;
  cursor?: string | null;
}

function runQuery(q: RunQuery) {
  return {
    project_id: q.projectId,
    workflow_definition_id: q.definitionId,
    status: q.status || undefined,
    q: q.q?.trim() || undefined,
    created_after: q.createdAfter || undefined,
    created_before: q.createdBefore || undefined,
    column: q.column,
    limit: q.limit ?? 100,
    cursor: q.cursor,
  };
}

export const listRuns = (q: RunQuery, o: Sig = {}) => requestRaw<RunPage>("/workflow-executions", { query: runQuery(q), ...o });

/** The board: each column's exact count and first page under the filters. */
export const getBoard = (q: RunQuery, o: Sig = {}) => requestRaw<BoardAnswer>("/board", { query: runQuery(q), ...o });

export const getRun = (id: string, o: Sig = {}) =>
  request<RunDetail>(`/workflow-executions/${encodeURIComponent(id)}`, o);

/** A run as the board lists it (the detail carries everything a summary does). */
export const getRunSummary = (id: string, o: Sig = {}) => getRun(id, o) as Promise<RunSummary>;

export const createRun = (body: {
  project_id: string;
  workflow_definition_id: string;
  name?: string;
  args: Record<string, unknown>;
  /** Merged over the definition's `workspace` (`isolation: "none"` turns it off). */
  workspace?: WorkspaceSpec;
}) => request<RunSummary>("/workflow-executions", { method: "POST", body });

/** What a step changed in its run's worktree (404 without a snapshot). */
export const getStepDiff = (id: string, maxBytes?: number, o: Sig = {}) =>
  request<Diff>(`/workflow-steps/${encodeURIComponent(id)}/diff`, { query: maxBytes ? { max_bytes: String(maxBytes) } : {}, ...o });

/** What a run changed: since its worktree's base, or since its last decided gate. */
export const getRunDiff = (id: string, since: "base" | "last_gate", maxBytes?: number, o: Sig = {}) =>
  request<Diff>(`/workflow-executions/${encodeURIComponent(id)}/diff`, {
    query: { since, ...(maxBytes ? { max_bytes: String(maxBytes) } : {}) },
    ...o,
  });

/** The name a run of `args` would get from the definition's `runName` (template or function). */
export type RunNamePreview = components["schemas"]["RunNamePreview"];
export const previewRunName = (definitionId: string, args: Record<string, unknown>, o: Sig = {}) =>
  request<RunNamePreview>(`/workflow-definitions/${encodeURIComponent(definitionId)}/run-name`, {
    method: "POST",
    body: { args },
    ...o,
  });

/** Pause (`{ now: true }` for pause now: the steps in flight are stopped), resume or cancel. */
export const controlRun = (id: string, action: ControlAction) => {
  const path = `/workflow-executions/${encodeURIComponent(id)}/${action === "pause_now" ? "pause" : action}`;
  return request<ControlResult>(path, { method: "POST", body: action === "pause_now" ? { now: true } : undefined });
};

/** Sets or raises a run's budget; a run a limit stopped continues. */
export const raiseBudget = (runId: string, body: Record<string, unknown>) =>
  request<Run>(`/workflow-executions/${encodeURIComponent(runId)}/budget`, { method: "POST", body });
/** Runs a run again (every step), or from a step (`from_step_id`: the steps before it reused). */
export const rerunRun = (id: string, body: { from_step_id?: string; args?: Record<string, unknown> }) =>
  request<RunSummary>(`/workflow-executions/${encodeURIComponent(id)}/rerun`, { method: "POST", body });

/** Decides an approval gate (`step`: its key, e.g. `approve-plan`, or its row id). */
export const decideApproval = (runId: string, step: string, body: { decision: DecisionRequest; comment?: string; input?: unknown; value?: unknown }) =>
  request<Step>(`/workflow-executions/${encodeURIComponent(runId)}/approvals/${encodeURIComponent(step)}`, { method: "POST", body });

export const sendSignal = (runId: string, name: string, body: { payload?: unknown; idempotency_key?: string } = {}) =>
  request<SignalResult>(`/workflow-executions/${encodeURIComponent(runId)}/signals/${encodeURIComponent(name)}`, { method: "POST", body });

/** The approval gates waiting now in every project the caller may see. */
export const listApprovals = (o: Sig = {}) => request<PendingApproval[]>("/approvals", o);

export const getStep = (id: string, o: Sig = {}) =>
  request<StepDetail>(`/workflow-steps/${encodeURIComponent(id)}`, o);

export const getStepLog = (id: string, type: LogType, o: Sig = {}, attempt?: number) =>
  request<StepLog>(`/workflow-steps/${encodeURIComponent(id)}/logs/${type}`, { ...o, query: { attempt } });

export const listComments = (runId: string, stepId?: string, o: Sig = {}) =>
  request<Comment[]>(`/workflow-executions/${encodeURIComponent(runId)}/comments`, {
    query: { step_id: stepId },
    ...o,
  });

// Users post `user` comments only; `system` and `agent` ones are the engine's.
export const createComment = (runId: string, text: string, stepId?: string | null, type?: Extract<CommentType, "user">) =>
  request<Comment>(`/workflow-executions/${encodeURIComponent(runId)}/comments`, {
    method: "POST",
    body: { text, step_id: stepId ?? undefined, comment_type: type },
  });

/** Revokes the current token on the server (signing out). */
export const logout = () => requestRaw<null>("/auth/logout", { method: "POST" });

export const attachArtifact = (artifactId: string, commentId: string) =>
  request<Artifact>(`/artifacts/${encodeURIComponent(artifactId)}/attach`, {
    method: "PATCH",
    body: { comment_id: commentId },
  });

export const detachArtifact = (artifactId: string) =>
  request<Artifact>(`/artifacts/${encodeURIComponent(artifactId)}/detach`, { method: "DELETE" });

/** The artifact's bytes as text (for previews of code and text files). */
export async function fetchArtifactText(id: string, signal?: AbortSignal): Promise<string> {
  return (await fetchArtifactBlob(id, signal)).text();
}
