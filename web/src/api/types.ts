// The API's JSON, as the UI uses it: aliases of the types generated from the server's OpenAPI
// document (`schema.d.ts`, `npm run gen:api`), refined only where the document says less than
// the UI knows (a JSON Schema's fields, what a control answer may carry).

import type { components } from "./schema";

/** The generated schemas. */
type Schemas = components["schemas"];

/**
 * A body as the server sends it. The document lists a field that may be null as not required
 * (utoipa does so for every `Option`), so the generated type makes it optional; but the server
 * always sends it, null when unset. The fields that may be absent are never null
 * (`DefinitionDetail.steps`, `PauseResult.pause_requested`, ...): so a nullable field is present.
 */
export type Sent<T> = T extends readonly (infer U)[]
  ? Sent<U>[]
  : T extends object
    ? { [K in keyof T as null extends T[K] ? never : K]: Sent<T[K]> } & {
        [K in keyof T as null extends T[K] ? K : never]-?: Sent<Exclude<T[K], undefined>>;
      }
    : T;

export type RunStatus = Schemas["RunStatus"];
export type StepStatus = Schemas["Step"]["status"];
export type StepType = Schemas["StepKind"];
export type CommentType = Schemas["CommentType"];
export type FileType = Schemas["FileType"];
export type AgentKind = Schemas["AgentSession"]["agent"];
export type LogType = Schemas["LogType"];

export type User = Sent<Schemas["User"]>;
export type LoginResult = Sent<Schemas["Login"]>;
/** A project secret as the API lists it: never its value. */
export type Secret = Schemas["SecretInfo"];
export type Project = Sent<Schemas["Project"]>;
/** An engine node (`workflow-engine serve` process) on the database. */
export type EngineNode = Sent<Schemas["NodeView"]>;
export type SourceLocation = Schemas["Location"];
export type LoadError = Sent<Schemas["LoadError"]>;

/** A JSON Schema, as far as the run form reads it (the document says only "an object"). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export type Definition = Omit<Sent<Schemas["Definition"]>, "args_schema"> & {
  args_schema: JsonSchema | null;
};

/** A YAML step as the definition declares it (fields that do not apply are absent). */
export type StepConfig = Schemas["StepConfig"];

export type DefinitionDetail = Definition & { steps?: StepConfig[] };

export type AgentSession = Sent<Schemas["AgentSession"]>;

/** What a waiting step waits for. */
export type WaitKind = Schemas["WaitKind"];

/** A run's open wait (`waiting_for[]`): the step, what it waits for, since when. */
export type WaitInfo = Sent<Schemas["WaitInfo"]>;

/** An approval, sleep or signal step's wait (`step.wait`), its form as a JSON Schema. */
export type WaitView = Omit<Sent<Schemas["WaitView"]>, "form" | "on_timeout"> & {
  /** The JSON Schema of what the person fills in, if anything. */
  form: JsonSchema | null;
  on_timeout: "reject" | "approve" | "fail" | null;
};

/** A decided gate's outcome, as its step's `result.data` holds it (`ApprovalData` in runtime-js). */
export type Decision = "approved" | "rejected" | "changes_requested";
export interface DecisionData {
  decision: Decision;
  by: string;
  at: string | null;
  comment?: string | null;
  input?: unknown;
}

/** What the person asks of the gate (`POST .../approvals/{step}`). */
export type DecisionRequest = Schemas["Decision"];

/** An approval gate waiting now, in any project the caller may see (`GET /api/approvals`). */
export type PendingApproval = Sent<Schemas["PendingApproval"]> & {
  /** The contract names the workflow; the server may not send it. */
  workflow_name?: string;
};

/** What `POST .../signals/{name}` answers. */
export type SignalResult = Sent<Schemas["SignalSent"]>;

/** A step; with its agent session in a run's detail, and its wait on approval/sleep/signal steps. */
/** A step's tries (`attempts`): in a run's and a step's detail, not in the run list. */
export type StepAttempt = Sent<Schemas["StepAttempt"]>;
export type Step = Omit<Sent<Schemas["Step"]>, "wait" | "attempts"> & {
  session?: AgentSession | null;
  wait?: WaitView | null;
  attempts?: StepAttempt[] | null;
};

/** How a file changed (`files[]` of a diff, `snapshot.files_changed[]`). */
export type FileChange = Sent<Schemas["FileChange"]>;
/** A step's snapshot commit in a worktree run, and what changed since the one before. */
export type StepSnapshot = Sent<Schemas["StepSnapshot"]>;
/** A unified diff between two commits of a run's worktree (`GET .../diff`). */
export type Diff = Sent<Schemas["Diff"]>;
/** A run's git worktree (`Run.workspace`). */
export type RunWorkspace = Sent<Schemas["RunWorkspaceView"]>;
/** The per-run override of the definition's workspace (`POST /api/workflow-executions`). */
export type WorkspaceSpec = Schemas["WorkspaceSpec"];

export type Artifact = Sent<Schemas["Artifact"]>;
export type Creator = Sent<Schemas["Creator"]>;
export type Comment = Sent<Schemas["Comment"]>;
export type StepDetail = Omit<Sent<Schemas["StepDetail"]>, "wait" | "attempts"> & {
  wait?: WaitView | null;
  attempts?: StepAttempt[] | null;
};

export type Run = Sent<Schemas["Run"]> & {
  /** Set while a pause waits for the steps in flight (when the server reports it). */
  pause_requested?: boolean;
};

export type Counts = Schemas["Counts"];

export type RunSummary = Omit<Sent<Schemas["RunSummary"]>, "workflow_definition" | "steps"> & {
  steps: Step[];
  workflow_definition: Definition | null;
  /** Set while a pause waits for the steps in flight (when the server reports it). */
  pause_requested?: boolean;
};

export type RunDetail = Omit<Sent<Schemas["RunDetail"]>, "workflow_definition" | "steps"> & {
  steps: Step[];
  workflow_definition: Definition | null;
};

export type RunPage = Omit<Sent<Schemas["RunPage"]>, "data"> & { data: RunSummary[] };

/** A board column as `GET /api/board` sends it. */
export type BoardColumnAnswer = Omit<Sent<Schemas["BoardColumn"]>, "runs"> & { runs: RunSummary[] };
/** `GET /api/board`. */
export type BoardAnswer = Omit<Sent<Schemas["Board"]>, "columns"> & { columns: BoardColumnAnswer[] };

/** What pause, resume and cancel answer: the run's id and status, and what each adds. */
export type ControlResult = Omit<Sent<Schemas["ResumeResult"]>, "notes"> &
  Partial<Pick<Sent<Schemas["ResumeResult"]>, "notes"> & Sent<Schemas["PauseResult"]> & Sent<Schemas["CancelResult"]>>;

/** A run started from another (run again, rerun from a step), as its parent lists it. */
export type RerunLink = Sent<Schemas["RerunLink"]>;

export type StepLog = Schemas["StepLog"];
