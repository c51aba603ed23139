// The API's JSON, as `src/http/openapi.rs` describes it.

export type RunStatus = "pending" | "running" | "paused" | "completed" | "failed" | "cancelled";
export type StepStatus = "running" | "completed" | "failed" | string;
export type StepType = "script" | "function" | "agent" | string;
export type CommentType = "user" | "system" | "agent";
export type FileType = "image" | "video" | "document" | "code" | "other";
export type AgentKind = "claude" | "codex" | "gemini" | string;

export interface User {
  id: string;
  email: string;
  name: string | null;
  is_admin: boolean;
  created_at: string;
  updated_at: string;
}

export interface LoginResult {
  token: string;
  user: User;
}

/** A project secret as the API lists it: never its value. */
export interface Secret {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface Project {
  id: string;
  name: string;
  path: string;
  owner_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface LoadError {
  message: string;
  errors: { message: string; location?: SourceLocation | null }[];
}

/** A JSON Schema, as far as the run form reads it. */
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

export interface Definition {
  id: string;
  project_id: string | null;
  name: string;
  description: string | null;
  type: "yaml" | "code" | string;
  path: string;
  phases: string[];
  args_schema: JsonSchema | null;
  load_error: LoadError | null;
  is_template: boolean;
  created_at: string;
  updated_at: string;
}

/** A YAML step as the definition declares it. */
export interface StepConfig {
  id: string;
  name?: string;
  phase?: string;
  type: StepType;
  command?: string;
  prompt?: string;
  agent?: AgentKind;
  cwd?: string;
  timeout?: string | number;
  continueOnError?: boolean;
  [key: string]: unknown;
}

export interface DefinitionDetail extends Definition {
  steps?: StepConfig[];
}

export interface AgentSession {
  id: string;
  agent: AgentKind;
  session_id: string | null;
  model: string | null;
  session_file_path: string | null;
  cost_usd: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_tokens: number | null;
  num_turns: number | null;
  status: string;
  resumable: boolean;
  error_kind: string | null;
  created_at: string;
  updated_at: string;
}

export interface Step {
  id: string;
  workflow_run_id: string;
  step_id: string;
  step_index: number;
  name: string;
  phase: string;
  type: StepType;
  status: StepStatus;
  result: unknown;
  continue_on_error: boolean;
  attempt: number;
  log_directory_path: string | null;
  agent_session_id: string | null;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
  session?: AgentSession | null;
}

export interface Artifact {
  id: string;
  workflow_run_step_id: string;
  workflow_comment_id: string | null;
  name: string;
  file_path: string;
  file_type: FileType | string;
  mime_type: string;
  size_bytes: number;
  created_at: string;
  updated_at?: string;
}

export interface Creator {
  id: string;
  email: string;
  name: string | null;
}

export interface Comment {
  id: string;
  workflow_run_id: string;
  workflow_run_step_id: string | null;
  text: string;
  comment_type: CommentType;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  creator: Creator | null;
  artifacts: Artifact[];
}

export interface StepDetail extends Step {
  session: AgentSession | null;
  artifacts: Artifact[];
  comments: Comment[];
}

export interface Run {
  id: string;
  project_id: string;
  user_id: string | null;
  workflow_definition_id: string;
  name: string;
  args: Record<string, unknown>;
  current_phase: string | null;
  current_step_index: number;
  status: RunStatus;
  error_message: string | null;
  timeout_ms: number | null;
  started_at: string | null;
  completed_at: string | null;
  paused_at: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
  /** Set while a pause waits for the steps in flight (when the server reports it). */
  pause_requested?: boolean;
}

export interface Counts {
  comments: number;
  artifacts: number;
}

export interface RunSummary extends Run {
  steps: Step[];
  workflow_definition: Definition | null;
  _count: Counts;
}

export interface RunDetail extends RunSummary {
  comments: Comment[];
  /** The definition as the run started it (`definition.json` in the run's folder). */
  definition_snapshot?: Record<string, unknown> | null;
}

export interface RunPage {
  data: RunSummary[];
  next_cursor: string | null;
}

export interface ControlResult {
  id: string;
  status: RunStatus;
  paused_at?: string | null;
  cancelled_at?: string | null;
  pause_requested?: boolean;
}

export type LogType = "input" | "output" | "events" | "summary";

export interface StepLog {
  type: LogType;
  step_id: string;
  content: string;
}
