// Types for `@repo/workflow-engine` (workflow-engine.js) and for the `ctx` harness.js builds.
// Map `@repo/workflow-engine` to this file with tsconfig `paths` (see tsconfig.example.json).
// `defineWorkflow` infers `ctx.args` from a zod `argsSchema` (the built-in subset or real
// zod, which both carry `_output`) and the allowed step `phase` names from `phases`.

import type { Infer, JSONSchema } from "./zod.js";

export type { JSONSchema };

/** "30s", "10m", "1h 30m", "500ms", "1d", or a number of seconds. */
export type Duration = string | number;

export type AgentName = "claude" | "codex" | "gemini";
export type PermissionMode = "default" | "plan" | "acceptEdits" | "bypassPermissions";

/** What the engine stores for a step; `ctx.step` resolves to it. */
export interface StepResult<T = any> {
  stepId: string;
  status: "completed" | "failed" | "skipped" | "waiting";
  data?: T;
  error?: string;
}

/**
 * What a step without `continueOnError` resolves to: a failure throws `StepFailedError`
 * instead, so the step completed and its `data` is there (`undefined` only when a function
 * step returned nothing).
 */
export interface CompletedStepResult<T = any> extends StepResult<T> {
  status: "completed";
  data: T;
}

/** A step config whose failure throws: `continueOnError` absent or false. */
export type Throwing = { continueOnError?: false };

/** A script step's `data`: its exit code and the last 64 KiB of each output stream. */
export interface ScriptStepData {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * How a failed step is tried again (script, function and agent steps). The step's `timeout`
 * bounds all its tries and the waits between them.
 */
export interface RetryPolicy {
  /** Tries in all, the first included (1 to 100). */
  attempts: number;
  /** The wait before the second try (default "1s"). */
  initialDelay?: Duration;
  /** Each wait is the one before times this: a number from 1 to 10, "exponential" (2, the default) or "fixed" (1). */
  backoff?: number | "exponential" | "fixed";
  /** The longest wait between tries (default "5m"). */
  maxDelay?: Duration;
  /** When the tries are used up: "fail" the step (default), or "wait" for a person to retry, skip or fail it. */
  onExhausted?: "fail" | "wait";
}

/** How an agent step's try failed (`retryOn` of an agent step). */
export type AgentFailureKind =
  | "auth"
  | "rate_limit"
  | "overloaded"
  | "max_turns"
  | "crashed"
  | "timed_out"
  | "stalled"
  | "invalid_output"
  | "error";

/** Fields every kind of step accepts. */
export interface CommonStepConfig<Phase extends string = string> {
  /** Shown in the UI; defaults to the step id. */
  name?: string;
  /** One of the workflow's `phases`; the kanban column the step shows in. */
  phase?: Phase;
  timeout?: Duration;
  env?: Record<string, string>;
  /** Return a failed result instead of throwing `StepFailedError`. */
  continueOnError?: boolean;
}

/**
 * A schema for an agent's answer: a zod schema (the built-in subset or real zod v3/v4) or a
 * JSON Schema object. zod is converted to JSON Schema before the engine sees it.
 */
export type OutputSchema = { readonly _output: unknown } | { readonly _zod: unknown } | JSONSchema;

/** A completed agent step's data: `output` is there when the step has an `outputSchema`. */
export type CompletedAgentData<S> = [S] extends [undefined]
  ? AgentStepData<unknown>
  : AgentStepData<OutputOf<S>> & { output: OutputOf<S> };

/** What an answer matching `S` parses to: zod's output type, or `unknown` for JSON Schema. */
export type OutputOf<S> = [S] extends [{ readonly _output: infer O }]
  ? O
  : [S] extends [{ readonly _zod: { readonly output: infer O } }]
    ? O
    : unknown;

export interface AgentStepConfig<
  Args = Record<string, any>,
  Phase extends string = string,
  S extends OutputSchema | undefined = OutputSchema | undefined,
> extends CommonStepConfig<Phase> {
  type: "agent";
  agent: AgentName;
  /**
   * Retry a failed try; `retryOn`: the failure classes retried (default ["rate_limit",
   * "overloaded", "stalled"], with the configuration's `agentRetry` tries and delays).
   */
  retry?: RetryPolicy & { retryOn?: AgentFailureKind[] };
  prompt: string | ((ctx: WorkflowContext<Args, Phase>) => string | Promise<string>);
  permission?: PermissionMode;
  /** The model to ask for, passed to the agent CLI as `--model`; the CLI's default if absent. */
  model?: string;
  /**
   * The most turns the agent may take (1 to 10000). Passed to Claude as `--max-turns`; Codex and
   * Gemini have no such limit and ignore it, with a warning in the step's log.
   */
  maxTurns?: number;
  /**
   * The agent's final answer must be JSON matching this schema; it is parsed into
   * `result.data.output`. Claude gets it as `--json-schema`.
   */
  outputSchema?: S;
  /** Where the agent runs: a directory relative to the project (default: the project). */
  cwd?: string;
  /**
   * When a run resumes after a crash interrupted this step: `"restart"` (the default) runs the
   * agent again from the prompt; `"resume"` continues the agent's own session.
   */
  onInterrupt?: "restart" | "resume";
  /**
   * The most US dollars one go of this step may spend (as the CLI reports it). Reached, the
   * agent is stopped like a pause-now and the run waits for a person to continue it (the step
   * gets the same allowance again, its agent resuming its session) or cancel it.
   */
  maxCostUsd?: number;
  /** The most tokens (input + output) one go of this step may use; reached, as `maxCostUsd`. */
  maxTokens?: number;
  /**
   * Tool rules the agent may use without asking, e.g. `["Read", "Bash(git diff:*)"]`: claude
   * `--allowedTools`, gemini `--allowed-tools`. Codex has no such flag: the step is refused.
   */
  allowedTools?: string[];
  /** Tool rules the agent may not use: claude `--disallowedTools` (the step is refused for the others). */
  disallowedTools?: string[];
  /** Text added to the agent's system prompt: claude `--append-system-prompt` (refused for the others). */
  appendSystemPrompt?: string;
  /**
   * MCP servers for the agent: a file relative to the workdir, or the configuration itself
   * (`{ mcpServers: { ... } }`, written to a file in the step's folder): claude `--mcp-config`
   * (refused for the others).
   */
  mcpConfig?: string | { mcpServers: Record<string, unknown>; [key: string]: unknown };
  /**
   * More directories the agent may work in, relative to the workdir: claude and codex
   * `--add-dir`, gemini `--include-directories`.
   */
  addDirs?: string[];
  /** Arguments passed to the CLI as written, each one word (never split on spaces). */
  extraArgs?: string[];
  /**
   * How long the agent may print nothing before it is stopped and the step fails as
   * `stalled` (retried by default, like a rate limit). Default: the configuration's
   * `agentStallTimeout`, 15 minutes.
   */
  stallTimeout?: Duration;
}

/** Why an agent step failed (`data.errorKind` of a failed step). */
export type AgentErrorKind =
  | "auth"
  | "rate_limit"
  | "overloaded"
  | "max_turns"
  | "crashed"
  | "timed_out"
  | "stalled"
  | "cancelled"
  | "invalid_output"
  | "error";

/** An agent step's `result.data`. */
export interface AgentStepData<Output = unknown> {
  /** The agent's final answer as text. */
  text: string;
  /**
   * The final answer parsed as JSON, when the step has an `outputSchema`; for a zod schema,
   * zod's parse of it (defaults and transforms applied).
   */
  output?: Output;
  /** The agent CLI's session id, which `onInterrupt: "resume"` continues. */
  sessionId?: string;
  /** The CLI's own transcript of the session, when it keeps one. */
  sessionFile?: string;
  /** True when this attempt continued an interrupted session (`onInterrupt: "resume"`). */
  resumed: boolean;
  /** Why the step failed; only on a failed step's data. */
  errorKind?: AgentErrorKind;
  agent: string;
  /** The model that answered, when the CLI reports it. */
  model?: string;
  usage?: { inputTokens?: number; outputTokens?: number; cachedTokens?: number };
  costUsd?: number;
  numTurns?: number;
  /** How many times the agent was started (retries included). */
  attempts: number;
  /** Tool uses the permission mode refused, as the CLI reported them. */
  permissionDenials?: unknown[];
}

export interface ScriptStepConfig<Phase extends string = string> extends CommonStepConfig<Phase> {
  type: "script";
  command: string;
  cwd?: string;
  /** Retry a failed run of the command; `retryOn`: the exit codes retried (default: any failure). */
  retry?: RetryPolicy & { retryOn?: number[] };
}

export interface FunctionStepConfig<T = unknown, Args = Record<string, any>, Phase extends string = string>
  extends CommonStepConfig<Phase> {
  type: "function";
  /** Runs inside the workflow; its return value must be JSON-serialisable. */
  fn: (ctx: WorkflowContext<Args, Phase>) => T | Promise<T>;
  /** Call `fn` again after it throws, unless it threw a `NonRetryableError`. */
  retry?: RetryPolicy;
}

export type StepConfig<Args = Record<string, any>, Phase extends string = string> =
  | AgentStepConfig<Args, Phase>
  | ScriptStepConfig<Phase>
  | FunctionStepConfig<any, Args, Phase>;

/** What a person decided at an approval gate: `result.data` of an approval step. */
export interface ApprovalData<Input = unknown> {
  decision: "approved" | "rejected" | "changes_requested";
  /** Who decided: their email, `cli:<user>` from a terminal, or `timeout`. */
  by: string;
  /** When (RFC 3339). */
  at: string;
  comment?: string;
  /** What they filled in, when the gate has a `form`. */
  input?: Input;
}

/** The options of `ctx.approval`. */
export interface ApprovalOptions<Phase extends string = string, F = undefined> {
  /** The kanban column the gate shows in (default: the run's current phase). */
  phase?: Phase;
  /** What the person decides, e.g. "Approve the plan". */
  title: string;
  /** Markdown shown beside the buttons: the plan, links, what to check. */
  description?: string;
  /** Who may decide (emails); default: anyone who may see the project. */
  approvers?: string[];
  /** How long to wait before `onTimeout` decides; default: forever. */
  timeout?: Duration;
  /** What a timeout decides: `"reject"` (default), `"approve"` or `"fail"`. */
  onTimeout?: "reject" | "approve" | "fail";
  /** A zod or JSON Schema object the person fills in when deciding; its answer is `data.input`. */
  form?: F;
  /** Shown in the UI; defaults to the step id. */
  name?: string;
  /** Return a rejection instead of throwing `StepFailedError`. */
  continueOnError?: boolean;
}

export interface WorkflowContext<Args = Record<string, any>, Phase extends string = string> {
  readonly runId: string;
  /**
   * Where the run's steps work: its git worktree when the workflow (or the run) asks for
   * one (`workspace: { isolation: "worktree" }`), else the project checkout.
   */
  readonly projectPath: string;
  /** The project checkout the run was started in (the same as `projectPath` without a worktree). */
  readonly repoPath: string;
  readonly args: Args;
  /**
   * The project's secrets, by name. Each is a reference (`"{{ secrets.NAME@TAG }}"`, TAG
   * being the run's, so that the same text arriving in an argument or a step's output names
   * nothing), not the value: put it in a step's `command`, `env` value or `prompt`, or a `ctx.exec` command, and
   * the engine gives that process the value as it starts (in a command, as the quoted
   * expansion of `$WORKFLOW_SECRET_NAME`). The value is masked (`***`) in everything the run
   * records. An unknown name fails the step that uses it.
   */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Runs a step once per run: on a resumed run a completed step returns its stored result.
   * Throws `StepFailedError` for a failed step unless `continueOnError` is set, so without it
   * the result is a `CompletedStepResult`, whose `data` is there.
   */
  step<T>(
    stepId: string,
    config: FunctionStepConfig<T, Args, Phase> & Throwing,
  ): Promise<CompletedStepResult<Awaited<T>>>;
  step<T>(stepId: string, config: FunctionStepConfig<T, Args, Phase>): Promise<StepResult<Awaited<T>>>;
  step<S extends OutputSchema | undefined = undefined>(
    stepId: string,
    config: AgentStepConfig<Args, Phase, S> & Throwing,
  ): Promise<CompletedStepResult<CompletedAgentData<S>>>;
  step<S extends OutputSchema | undefined = undefined>(
    stepId: string,
    config: AgentStepConfig<Args, Phase, S>,
  ): Promise<StepResult<AgentStepData<OutputOf<S>>>>;
  step(stepId: string, config: ScriptStepConfig<Phase> & Throwing): Promise<CompletedStepResult<ScriptStepData>>;
  step(stepId: string, config: ScriptStepConfig<Phase>): Promise<StepResult<ScriptStepData>>;
  /** A config whose kind is only known at run time. */
  step(stepId: string, config: StepConfig<Args, Phase>): Promise<StepResult>;
  /**
   * An approval gate: the run waits (status `waiting`, no process held) until a person
   * approves, requests changes or rejects it on the board, the API or the CLI. A rejection
   * throws `StepFailedError` unless `continueOnError`; "changes requested" returns, so a
   * workflow can loop (give each round's gate its own id). Memoized: once decided, a resumed
   * run gets the same decision.
   */
  approval<F = undefined>(
    stepId: string,
    options: ApprovalOptions<Phase, F> & Throwing,
  ): Promise<CompletedStepResult<ApprovalData<F extends undefined ? undefined : ArgsOf<F>>>>;
  approval<F = undefined>(
    stepId: string,
    options: ApprovalOptions<Phase, F>,
  ): Promise<StepResult<ApprovalData<F extends undefined ? undefined : ArgsOf<F>>>>;
  /** A durable timer: the run waits `duration` holding no process, across restarts. */
  sleep(stepId: string, duration: Duration, options?: { phase?: Phase; name?: string }): Promise<void>;
  /**
   * Waits for the signal `name` sent to the run (API `POST .../signals/{name}`, CLI
   * `workflow-engine signal`) and returns its payload; a signal sent earlier is kept for it.
   * Past `timeout` it throws `StepFailedError` (with `continueOnError`, returns undefined).
   */
  waitForSignal<T = unknown>(
    stepId: string,
    options: { name: string; timeout?: Duration; phase?: Phase; continueOnError?: boolean },
  ): Promise<T>;
  /** A durable pause point: a paused run stops here. */
  checkpoint(): Promise<void>;
  comment(text: string, stepId?: string): Promise<void>;
  exec(command: string, cwd?: string): Promise<ExecResult>;
  getStepResult<T = any>(stepId: string): StepResult<T> | undefined;
}

/** `ctx.args` for a schema: zod's parsed type, or any JSON object for a JSON Schema. */
export type ArgsOf<S> = [S] extends [{ readonly _output: unknown }] ? Infer<S> : Record<string, any>;

/** `concurrency`: how many runs with the same key run at once. */
export interface Concurrency {
  key: string;
  limit?: number;
}

/** A run's spending limits; a limit left out is no limit. */
export interface Budget {
  usd?: number;
  tokens?: number;
  duration?: Duration;
}

/**
 * Where a run's steps work. `isolation: "worktree"` gives each run a git worktree of its own,
 * outside the project's working tree, on a new branch; its script and agent steps run there
 * (`ctx.projectPath`), the checkout stays `ctx.repoPath`.
 */
export interface Workspace {
  /** `"worktree"`: a git worktree per run; `"none"` (default): the project checkout. */
  isolation?: "worktree" | "none";
  /** The ref or commit the worktree starts from; default `HEAD` of the checkout. */
  base?: string;
  /**
   * The branch's name: a template over `{{ run.name }}` (slugged), `{{ run.shortId }}` and
   * `{{ run.id }}`; default `"wf/{{ run.name }}-{{ run.shortId }}"`.
   */
  branch?: string;
  /** When the run ends: keep the worktree `"always"`, `"on-failure"` (default), or `"never"`. */
  keep?: "always" | "on-failure" | "never";
  /** Delete the branch too when the worktree is removed (default false: the branch stays). */
  deleteBranch?: boolean;
}

export interface WorkflowDefinition<S = JSONSchema, Phase extends string = string> {
  name: string;
  description?: string;
  /** A zod schema (built-in subset or real zod) or a JSON Schema object. */
  argsSchema?: S;
  phases: readonly Phase[];
  /**
   * The name a run gets when none is given: a template over the arguments in the YAML
   * language (`"Fix #{{ args.issue }}"`, filters included) or a function of the parsed
   * arguments returning the name. A function that throws refuses the run (400) with its
   * message; a name given explicitly wins and the function is not called.
   */
  runName?: string | ((args: ArgsOf<S>) => string);
  /** The whole run's time limit. */
  timeout?: Duration;
  /**
   * Spending limits of the run's agents: dollars and tokens (input + output) summed from
   * their sessions, and wall time since the run first started. A limit reached stops the
   * agent like a pause-now and the run waits for a person to raise the budget or cancel it.
   * `POST /api/workflow-executions` (`budget`) and `run --budget` override it.
   */
  budget?: Budget;
  /**
   * Runs with the same `key` (a template over the arguments in the `runName` language,
   * `"repo:{{ args.repo }}"`) run at most `limit` (default 1) at a time, counted across the
   * server and `workflow-engine run`; the others wait as `pending`, the reason on their card.
   * A key that renders empty puts no limit on the run.
   */
  concurrency?: Concurrency;
  /**
   * A git worktree per run (`{ isolation: "worktree" }`). `POST /api/workflow-executions`
   * (`workspace`) and `run --worktree`/`--no-worktree` override it per run.
   */
  workspace?: Workspace;
  execute(ctx: WorkflowContext<ArgsOf<S>, Phase>): Promise<void> | void;
}

/** What `defineWorkflow` returns; the module's default export. */
export type Workflow<S = JSONSchema, Phase extends string = string> = Readonly<WorkflowDefinition<S, Phase>>;

export declare function defineWorkflow<const Phase extends string, S = JSONSchema>(
  definition: WorkflowDefinition<S, Phase>,
): Workflow<S, Phase>;

/**
 * Thrown from a function step's `fn`: the step fails at once, whatever its `retry` policy.
 * Any error with `nonRetryable: true` does the same; an error's `retryAfter` (milliseconds,
 * or a duration like "2s") sets the wait before the next try.
 */
export declare class NonRetryableError extends Error {
  constructor(message?: string, options?: { cause?: unknown });
  readonly nonRetryable: true;
}

export declare class StepFailedError extends Error {
  constructor(stepId: string, result: StepResult);
  readonly stepId: string;
  readonly result: StepResult;
}

// The isolate has a `console` (forwarded to the run's log) but no DOM or Node globals, so a
// project compiled with `lib: ["ES2023"]` alone still gets console typed. Identical to the DOM
// and @types/node declarations, so it merges with them when those are present.
declare global {
  interface Console {
    log(...data: any[]): void;
    info(...data: any[]): void;
    debug(...data: any[]): void;
    warn(...data: any[]): void;
    error(...data: any[]): void;
    trace(...data: any[]): void;
    dir(item?: any, options?: any): void;
    assert(condition?: boolean, ...data: any[]): void;
    count(label?: string): void;
  }
  var console: Console;
}
