// The run harness the Rust host drives inside a run's JS worker process. Importing this module
// installs `globalThis.console` (console.js, forwarded to `__wfHost.log`), `__wfDescribe(workflow)`
// (what the engine stores about a definition) and `__wfRun(workflow, init)` (one attempt of a run).
// Owns `ctx`: argument checks, memoized steps (the host answers "return" for a step that
// already completed) and running `type: "function"` steps, which only the isolate can do. A
// step's config checks are step-config.js; steps in flight, tries and fan-outs are steps.js.

import { StepFailedError, checkWorkflowDefinition, durationProblem, isPlainObject, isWorkflow } from "./workflow-engine.js";
import { toJsonSchema } from "./schema.js";
import { finished, newFlight, noteParked, runFunctionTries, stepsSettled } from "./steps.js";
import { flushLogs, runningFunctions, setOutOfMemoryMessage, thrownText } from "./console.js";
import { approvalConfigJson, stepConfigJson, stepIdProblem } from "./step-config.js";

// Still importable from the harness, as before they moved (the runtime's tests import them here).
export { formatLogArgs, inspect, thrownText } from "./console.js";
export { AGENT_OPTIONS, MAX_TURNS, ON_INTERRUPT, STEP_FIELDS, STEP_TYPES, stepIdProblem } from "./step-config.js";

// Looked up on every call rather than captured at import, so the host (or a test) may install
// it after this module loads.
function host() {
  const h = globalThis.__wfHost;
  if (h === undefined) throw new Error("globalThis.__wfHost is missing: harness.js runs only inside the engine");
  return h;
}

// ---- describe ------------------------------------------------------------------------------

const NOT_A_WORKFLOW =
  "the module's default export is not a workflow: write `export default defineWorkflow({ ... })`";

/** Accepts a `defineWorkflow` result or a plain object of the same shape; throws otherwise. */
function resolveWorkflow(value) {
  if (isWorkflow(value)) return value;
  const looksLikeOne =
    value !== null && typeof value === "object" && ["name", "phases", "execute"].some((k) => k in value);
  if (!looksLikeOne) throw new Error(NOT_A_WORKFLOW);
  checkWorkflowDefinition(value);
  return value;
}

globalThis.__wfDescribe = function __wfDescribe(workflow) {
  flushLogs();
  const wf = resolveWorkflow(workflow);
  return {
    name: wf.name,
    description: wf.description ?? null,
    phases: [...wf.phases],
    argsSchema: toJsonSchema(wf.argsSchema),
    timeout: wf.timeout ?? null,
    // Only when set: the engine checks its limits (`definition::budget`).
    ...(wf.budget != null ? { budget: wf.budget } : {}),
    ...(wf.concurrency != null ? { concurrency: wf.concurrency } : {}),
    ...(wf.workspace != null ? { workspace: wf.workspace } : {}),
    // A function cannot cross to the engine: it is called here, by __wfRunName.
    ...(wf.runName != null ? { runName: typeof wf.runName === "function" ? "[function]" : wf.runName } : {}),
  };
};

// ---- run -----------------------------------------------------------------------------------

/** zod's parse of `value` (`safeParseAsync`, so async refinements work); null for a JSON Schema. */
async function zodParse(schema, value) {
  if (schema == null || typeof schema.safeParseAsync !== "function") return null;
  return schema.safeParseAsync(value);
}

/** zod's issues as `where: message` lines, `where` being `root` followed by the issue's path. */
function issueLines(error, root) {
  const issues = Array.isArray(error?.issues) ? error.issues : [];
  if (issues.length === 0) return [`${root}: ${error?.message ?? error}`];
  return issues.map((i) => `${[root, ...(i.path ?? [])].join(".")}: ${i.message}`);
}

/** Applies a zod schema's parse (defaults, transforms) to the args the engine already checked. */
async function parseArgs(schema, args) {
  const parsed = await zodParse(schema, args);
  if (parsed === null) return args;
  if (parsed.success) return parsed.data;
  const text = issueLines(parsed.error, "args").join("; ");
  throw new Error(`the run's arguments do not match the workflow's argsSchema: ${text}`);
}

/**
 * What zod's own checks (refinements, discriminated unions, transforms) find wrong with a
 * run's arguments, asked before the run is created; [] when nothing is.
 */
globalThis.__wfCheckArgs = async function __wfCheckArgs(workflow, args) {
  try {
    const parsed = await zodParse(resolveWorkflow(workflow).argsSchema, args);
    return parsed === null || parsed.success ? [] : issueLines(parsed.error, "args");
  } catch (error) {
    return [`args: the argsSchema threw while checking them: ${error?.message ?? error}`];
  }
};

/**
 * The name the workflow's `runName` function gives a run of `args` (parsed by a zod
 * `argsSchema` first, as `execute` would see them): `{ name }`, or `{ error }` when it throws
 * or returns something that is not a non-empty string.
 */
globalThis.__wfRunName = async function __wfRunName(workflow, args) {
  try {
    const wf = resolveWorkflow(workflow);
    if (typeof wf.runName !== "function") return { error: "the workflow's runName is not a function" };
    const parsed = await zodParse(wf.argsSchema, args);
    const name = await wf.runName(parsed?.success ? parsed.data : args);
    if (typeof name !== "string" || name.trim() === "") {
      return { error: `runName returned ${name === "" ? "an empty string" : typeof name}, not a name` };
    }
    return { name };
  } catch (error) {
    return { error: `runName threw: ${thrownText(error)}` };
  }
};

/**
 * An agent's answer as the step's zod `outputSchema` parses it (defaults and transforms
 * applied); the engine checked it against the JSON Schema form, which carries neither.
 */
async function parseAgentOutput(schema, result) {
  if (result.status !== "completed" || !isPlainObject(result.data) || !("output" in result.data)) return result;
  const parsed = await zodParse(schema, result.data.output);
  if (parsed === null) return result;
  if (parsed.success) return { ...result, data: { ...result.data, output: parsed.data } };
  const problems = issueLines(parsed.error, "output").join("; ");
  return {
    ...result,
    status: "failed",
    error: `the agent's answer does not match the step's outputSchema: ${problems}`,
    data: { ...result.data, errorKind: "invalid_output" },
  };
}

/** Runs a function step's `fn` and turns what happened into the outcome the host stores. */
async function runFunctionStep(id, fn, ctx) {
  let data;
  runningFunctions.add(id);
  try {
    data = await fn(ctx);
  } catch (error) {
    const outcome = { ok: false, error: thrownText(error) };
    if (typeof error?.stack === "string") outcome.stack = error.stack;
    if (error?.nonRetryable === true) outcome.nonRetryable = true;
    const after = error?.retryAfter;
    if ((typeof after === "number" && Number.isFinite(after)) || typeof after === "string") outcome.retryAfter = after;
    return outcome;
  } finally {
    runningFunctions.delete(id);
  }
  if (data === undefined) return { ok: true };
  try {
    const text = typeof data === "function" || typeof data === "symbol" ? undefined : JSON.stringify(data);
    if (text === undefined) throw new TypeError(`a ${typeof data} has no JSON form`);
    // Send the JSON form, so this attempt sees the same value a replay will get from the store.
    return { ok: true, data: JSON.parse(text) };
  } catch (error) {
    const reason = error?.message ?? String(error);
    return { ok: false, error: `the return value of step "${id}" is not JSON-serialisable: ${reason}` };
  }
}

function checkResult(id, result, from) {
  if (!isPlainObject(result) || typeof result.status !== "string") {
    throw new Error(`internal: __wfHost.${from} for step "${id}" gave no StepResult`);
  }
  return result;
}

// Waits the engine answered with `wait` (approval, sleep, signal): their promises stay pending
// in this worker. When nothing else can happen, the worker reports the run suspended
// (js/child.rs asks `__wfWaiting`) and exits; the run is driven again once a wait is resolved,
// and the replay returns the decision from the memo.
let waitingCount = 0;
globalThis.__wfWaiting = () => waitingCount;

/** A promise that never settles in this worker: the run continues in a later one. */
function waitForever() {
  waitingCount += 1;
  return new Promise(() => {});
}

function makeContext(wf, init, args, flight = newFlight()) {
  const results = new Map(Object.entries(init.results ?? {}));
  // Steps an earlier attempt completed: the host returns their stored result.
  const memoized = new Set(results.keys());
  // Steps a retry wait holds (`retry.onExhausted: "wait"`): they ask before they run.
  const held = new Set(init.ask ?? []);
  const usedIds = new Set();
  const phases = [...wf.phases];

  // `Promise.all` fan-outs: once `execute` has failed, the steps already running finish and
  // are recorded (`__wfRun` waits for them); a step asked for after that does not start.
  const step = (id, config) => {
    if (flight.failing !== null) {
      return Promise.reject(new Error(`step "${id}" was not started: the run is failing (${flight.failing})`));
    }
    const running = runStep(id, config);
    flight.steps.set(running, id);
    const done = () => flight.steps.delete(running);
    running.then(done, done);
    return running;
  };

  const runStep = async (id, config) => {
    if (typeof id !== "string" || id.trim() === "") {
      throw new TypeError(`ctx.step: the step id must be a non-empty string, got ${JSON.stringify(id) ?? typeof id}`);
    }
    // The id keys the step's memo, so a repeat would silently return the first step's result.
    if (usedIds.has(id)) {
      throw new Error(`step id "${id}" is used twice in this run; give each step its own id, e.g. \`test-\${i}\` in a loop`);
    }
    usedIds.add(id);
    const problem = stepIdProblem(id);
    if (problem) throw new TypeError(`ctx.step: ${problem}`);
    const json = await stepConfigJson(id, config, ctx, phases);
    const h = host();
    let result;
    if (config.type === "function" && !memoized.has(id) && !held.has(id) && !h.pausing()) {
      // A new function step: the host records its start while `fn` runs, and answers once,
      // when it has recorded the end. Once the run is pausing, steps ask first (below).
      h.stepBegin(id, json);
      const outcome = await runFunctionTries(id, config, ctx, h, runFunctionStep);
      result = checkResult(id, await finished(h, id, outcome, flight, waitForever), "stepFinish");
    } else {
      const answer = await h.stepStart(id, json);
      if (answer?.action === "return") {
        result = checkResult(id, answer.result, "stepStart");
      } else if (answer?.action === "wait") {
        // Its tries ran out and it waits for a person (`retry.onExhausted: "wait"`).
        noteParked(flight, id);
        return waitForever();
      } else if (answer?.action === "run" && config.type === "function") {
        const outcome = await runFunctionTries(id, config, ctx, h, runFunctionStep);
        result = checkResult(id, await finished(h, id, outcome, flight, waitForever), "stepFinish");
      } else {
        throw new Error(`internal: __wfHost.stepStart for ${config.type} step "${id}" answered ${JSON.stringify(answer)}`);
      }
    }
    if (config.type === "agent") result = await parseAgentOutput(config.outputSchema, result);
    results.set(id, result);
    if (result.status === "failed" && config.continueOnError !== true) throw new StepFailedError(id, result);
    return result;
  };

  /** A wait step: its stored result, or a promise that stays pending while the run waits. */
  const wait = async (call, id, json) => {
    if (typeof id !== "string" || id.trim() === "") {
      throw new TypeError(`${call}: the step id must be a non-empty string, got ${JSON.stringify(id) ?? typeof id}`);
    }
    if (usedIds.has(id)) {
      throw new Error(`step id "${id}" is used twice in this run; give each step its own id, e.g. \`approve-plan-\${round}\` in a loop`);
    }
    usedIds.add(id);
    const problem = stepIdProblem(id);
    if (problem) throw new TypeError(`${call}: ${problem}`);
    if (json.phase !== undefined && !phases.includes(json.phase)) {
      throw new TypeError(`${call}("${id}"): \`phase\` "${json.phase}" is not one of the workflow's phases: ${phases.join(", ")}`);
    }
    const answer = await host().stepStart(id, json);
    if (answer?.action === "wait") return waitForever();
    if (answer?.action !== "return") {
      throw new Error(`internal: __wfHost.stepStart for ${json.type} step "${id}" answered ${JSON.stringify(answer)}`);
    }
    const result = checkResult(id, answer.result, "stepStart");
    results.set(id, result);
    if (result.status === "failed" && json.continueOnError !== true) throw new StepFailedError(id, result);
    return result;
  };

  const ctx = Object.freeze({
    runId: init.runId,
    projectPath: init.projectPath,
    repoPath: init.repoPath ?? init.projectPath,
    args,
    secrets: secretRefs(init.secretsTag),
    step,
    /** An approval gate: the run waits (holding no process) until a person decides. */
    approval(id, options) {
      return wait("ctx.approval", id, approvalConfigJson(id, options));
    },
    /** A durable timer: the run waits, holding no process, for `duration`. */
    async sleep(id, duration, options) {
      // Zero is a sleep too (until a time already past): it returns at once.
      const zero = duration === 0 || (typeof duration === "string" && /^[0\s]*0[a-z\s0]*$/.test(duration));
      if (!zero && durationProblem(duration)) throw new TypeError(`ctx.sleep("${id}"): ${durationProblem(duration)}`);
      const json = { type: "sleep", duration };
      if (isPlainObject(options)) Object.assign(json, JSON.parse(JSON.stringify(options)));
      await wait("ctx.sleep", id, json);
    },
    /** Waits for the signal `name` sent to the run; returns its payload. */
    async waitForSignal(id, options) {
      if (!isPlainObject(options) || typeof options.name !== "string") {
        throw new TypeError(`ctx.waitForSignal("${id}"): options must be { name: string, timeout? }`);
      }
      const { name, ...rest } = options;
      const json = { type: "signal", signal: name, ...JSON.parse(JSON.stringify(rest)) };
      const result = await wait("ctx.waitForSignal", id, json);
      return result.status === "completed" ? result.data?.payload : undefined;
    },
    async checkpoint() {
      await host().checkpoint();
    },
    async comment(text, stepId) {
      if (typeof text !== "string" || text.trim() === "") throw new TypeError("ctx.comment: text must be a non-empty string");
      if (stepId !== undefined && stepId !== null && typeof stepId !== "string") {
        throw new TypeError("ctx.comment: stepId must be a string when given");
      }
      await host().comment(text, stepId ?? null);
    },
    async exec(command, cwd) {
      if (typeof command !== "string" || command.trim() === "") throw new TypeError("ctx.exec: command must be a non-empty string");
      if (cwd !== undefined && cwd !== null && typeof cwd !== "string") throw new TypeError("ctx.exec: cwd must be a string when given");
      return host().exec(command, cwd ?? null);
    },
    getStepResult(id) {
      return results.get(id);
    },
  });
  return ctx;
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

// `ctx.secrets.NAME` is a reference, `{{ secrets.NAME@TAG }}`, not the value: the engine puts
// the value into the command, env or prompt of the step that uses it as its process starts, so
// the value never enters this worker (nor the step's recorded input). TAG is the run's, so that
// the same text arriving in data (an argument, an agent's answer) names no secret. A name that
// cannot be a secret's throws here; one the project lacks fails the step that uses it.
function secretRefs(tag) {
  const suffix = typeof tag === "string" && tag !== "" ? `@${tag}` : "";
  return new Proxy(Object.freeze({}), {
    get(_, name) {
      if (typeof name !== "string") return undefined;
      if (!SECRET_NAME.test(name)) {
        throw new TypeError(`ctx.secrets.${name}: a secret's name is letters, digits and _, not starting with a digit`);
      }
      return `{{ secrets.${name}${suffix} }}`;
    },
    set() {
      throw new TypeError("ctx.secrets is read-only: set secrets with `workflow-engine secret set` or the board");
    },
  });
}

globalThis.__wfRun = async function __wfRun(workflow, init) {
  flushLogs();
  const wf = resolveWorkflow(workflow);
  if (!isPlainObject(init)) throw new TypeError("internal: __wfRun needs { runId, projectPath, args, results }");
  if (typeof init.outOfMemory === "string") setOutOfMemoryMessage(init.outOfMemory);
  const flight = newFlight();
  const ctx = makeContext(wf, init, await parseArgs(wf.argsSchema, init.args ?? {}), flight);
  try {
    await wf.execute(ctx);
  } catch (error) {
    // The run fails with this error, once the steps already running have finished.
    flight.failing = String(error?.message ?? error).split("\n")[0];
    await stepsSettled(flight);
    throw error;
  }
};
