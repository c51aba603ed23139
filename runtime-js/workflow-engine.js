// `@repo/workflow-engine`: what a workflow file imports. Owns `defineWorkflow`, the shape
// checks every workflow definition goes through (also used by harness.js for un-wrapped
// default exports), and `StepFailedError`, the error `ctx.step` throws for a failed step.

/** Marks objects made by `defineWorkflow`; `Symbol.for` so a second copy of this module agrees. */
export const WORKFLOW_BRAND = Symbol.for("workflow-engine.workflow");

// The duration grammar we promise users ("10m", "1h 30m", "45s", "500ms"); the Rust side
// parses the same strings, so anything outside it is rejected here with a clear message.
const DURATION_UNIT =
  "ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?";
const DURATION = new RegExp(`^\\s*(?:\\d+\\s*(?:${DURATION_UNIT})\\s*)+$`);

/**
 * Checks a timeout given as a duration string or a number of seconds.
 * Returns an error message, or null when the value is acceptable.
 */
export function durationProblem(value) {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? null : "must be a positive number of seconds";
  }
  if (typeof value === "string") {
    return DURATION.test(value)
      ? null
      : `"${value}" is not a duration: write e.g. "30s", "10m", "1h 30m" or a number of seconds`;
  }
  return "must be a duration string (\"10m\") or a number of seconds";
}

export function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** What a value is, for messages: "undefined", "null", "an array", "an object", "a number". */
export function kindOf(value) {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value) {
  return typeof value === "string" ? `the string "${value}"` : kindOf(value);
}

/**
 * Validates a workflow definition (branded or not) and throws a TypeError naming the first
 * bad field. Shared by `defineWorkflow` and harness.js, which accepts un-wrapped objects too.
 */
export function checkWorkflowDefinition(def) {
  const fail = (field, problem) => {
    const named = typeof def?.name === "string" && def.name !== "" ? ` "${def.name}"` : "";
    throw new TypeError(`workflow${named}: \`${field}\` ${problem}`);
  };
  if (def === null || typeof def !== "object") {
    throw new TypeError(
      `defineWorkflow expects an object { name, phases, execute, ... }, got ${describeValue(def)}`,
    );
  }
  if (typeof def.name !== "string" || def.name.trim() === "") {
    fail("name", `must be a non-empty string, got ${describeValue(def.name)}`);
  }
  if (def.description !== undefined && typeof def.description !== "string") {
    fail("description", `must be a string when given, got ${describeValue(def.description)}`);
  }
  if (!Array.isArray(def.phases) || def.phases.length === 0) {
    fail("phases", `must be a non-empty array of phase names, got ${describeValue(def.phases)}`);
  }
  const seen = new Set();
  def.phases.forEach((phase, i) => {
    if (typeof phase !== "string" || phase.trim() === "") {
      fail(`phases[${i}]`, `must be a non-empty string, got ${describeValue(phase)}`);
    }
    if (seen.has(phase)) fail("phases", `lists "${phase}" twice; phase names must be unique`);
    seen.add(phase);
  });
  if (typeof def.execute !== "function") {
    fail("execute", `must be a function \`async execute(ctx) { ... }\`, got ${describeValue(def.execute)}`);
  }
  // A schema is a zod schema (an object with methods) or a JSON Schema object; schema.js
  // tells them apart later, when it converts it.
  if (def.argsSchema != null && typeof def.argsSchema !== "object") {
    fail("argsSchema", `must be a zod schema or a JSON Schema object, got ${describeValue(def.argsSchema)}`);
  }
  if (def.timeout != null) {
    const problem = durationProblem(def.timeout);
    if (problem) fail("timeout", problem);
  }
  if (def.runName != null && typeof def.runName !== "string" && typeof def.runName !== "function") {
    fail("runName", `must be a template string ("Fix #{{ args.issue }}") or a function of the arguments, got ${describeValue(def.runName)}`);
  }
  // Its limits are checked by the engine, which reads them from what the harness describes.
  if (def.budget != null && (typeof def.budget !== "object" || Array.isArray(def.budget))) {
    fail("budget", `must be an object { usd?, tokens?, duration? }, got ${describeValue(def.budget)}`);
  }
  // The key's template is checked by the engine (`definition::concurrency`), like runName's.
  if (def.concurrency != null) {
    const c = def.concurrency;
    if (typeof c !== "object" || Array.isArray(c)) {
      fail("concurrency", `must be an object { key, limit? }, got ${describeValue(c)}`);
    }
    if (typeof c.key !== "string" || c.key.trim() === "") {
      fail("concurrency.key", `must be a non-empty template string ("repo:{{ args.repo }}"), got ${describeValue(c.key)}`);
    }
    if (c.limit != null && !(Number.isInteger(c.limit) && c.limit >= 1)) {
      fail("concurrency.limit", `must be an integer >= 1, got ${typeof c.limit === "number" ? c.limit : describeValue(c.limit)}`);
    }
  }
  // Its fields are checked by the engine too (`definition::workspace`).
  if (def.workspace != null && (typeof def.workspace !== "object" || Array.isArray(def.workspace))) {
    fail("workspace", `must be an object { isolation?, base?, branch?, keep?, deleteBranch? }, got ${describeValue(def.workspace)}`);
  }
}

/** Is `value` a workflow made by `defineWorkflow` (by this or another copy of the module)? */
export function isWorkflow(value) {
  return value !== null && typeof value === "object" && value[WORKFLOW_BRAND] === true;
}

/**
 * Declares a workflow. The result is frozen so code between steps, which re-runs on every
 * resume, cannot change the definition the engine described when it loaded the file.
 */
export function defineWorkflow(def) {
  checkWorkflowDefinition(def);
  const workflow = { ...def, phases: Object.freeze([...def.phases]) };
  // Non-enumerable so spreading or logging a workflow shows only what the user wrote.
  Object.defineProperty(workflow, WORKFLOW_BRAND, { value: true });
  return Object.freeze(workflow);
}

/**
 * Thrown by `ctx.step` when a step ends with status "failed" and the step did not ask for
 * `continueOnError`. Carries the stored `StepResult` so a `catch` can inspect it.
 */
export class StepFailedError extends Error {
  constructor(stepId, result) {
    const reason = result?.error ? String(result.error) : "no error message was recorded";
    super(`step "${stepId}" failed: ${reason}`);
    this.name = "StepFailedError";
    this.stepId = stepId;
    this.result = result;
  }
}

/**
 * Thrown from a function step's `fn`: the step fails at once, whatever its `retry` policy.
 * (Any error with `nonRetryable: true` does the same; an error's `retryAfter`, milliseconds
 * or a duration like "2s", sets the wait before the next try.)
 */
export class NonRetryableError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "NonRetryableError";
    this.nonRetryable = true;
  }
}
