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

/** A step; with its agent session in a run's detail. */
export type Step = Sent<Schemas["Step"]> & { session?: AgentSession | null };

export type Artifact = Sent<Schemas["Artifact"]>;
export type Creator = Sent<Schemas["Creator"]>;
export type Comment = Sent<Schemas["Comment"]>;
export type StepDetail = Sent<Schemas["StepDetail"]>;

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

export type RunDetail = Omit<Sent<Schemas["RunDetail"]>, "workflow_definition"> & {
  workflow_definition: Definition | null;
};

export type RunPage = Omit<Sent<Schemas["RunPage"]>, "data"> & { data: RunSummary[] };

/** What pause, resume and cancel answer: the run's id and status, and what each adds. */
export type ControlResult = Sent<Schemas["ResumeResult"]> &
  Partial<Sent<Schemas["PauseResult"]> & Sent<Schemas["CancelResult"]>>;

export type StepLog = Schemas["StepLog"];
