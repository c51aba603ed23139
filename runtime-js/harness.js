// The run harness the Rust host drives inside a run's JS worker process. Importing this module
// installs `globalThis.console` (forwarded to `__wfHost.log`), `__wfDescribe(workflow)` (what
// the engine stores about a definition) and `__wfRun(workflow, init)` (one attempt of a run).
// Owns `ctx`: argument checks, memoized steps (the host answers "return" for a step that
// already completed) and running `type: "function"` steps, which only the isolate can do.

import {
  StepFailedError,
  checkWorkflowDefinition,
  durationProblem,
  isPlainObject,
  kindOf,
  isWorkflow,
} from "./workflow-engine.js";
import { toJsonSchema } from "./schema.js";
import { finished, newFlight, noteParked, runFunctionTries, stepsSettled } from "./steps.js";

// Looked up on every call rather than captured at import, so the host (or a test) may install
// it after this module loads.
function host() {
  const h = globalThis.__wfHost;
  if (h === undefined) throw new Error("globalThis.__wfHost is missing: harness.js runs only inside the engine");
  return h;
}

// ---- console ------------------------------------------------------------------------------

/** Renders a value for a log line: JSON-like, safe against cycles, BigInt, functions, Errors. */
export function inspect(value) {
  if (typeof value === "string") return value;
  if (value instanceof Error) return errorText(value);
  if (typeof value !== "object" || value === null) return primitiveText(value);
  const ancestors = [];
  try {
    const text = JSON.stringify(value, function replacer(key, v) {
      if (typeof v !== "object" || v === null) {
        return typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null
          ? v
          : primitiveText(v);
      }
      // `this` is the object holding `v`; ancestors deeper than it are finished siblings.
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(v)) return "[Circular]";
      ancestors.push(v);
      if (v instanceof Error) return errorText(v);
      if (v instanceof Map) return { "[Map]": [...v.entries()] };
      if (v instanceof Set) return { "[Set]": [...v.values()] };
      return v;
    });
    // An object whose toJSON returns undefined has no JSON text at all.
    return text ?? Object.prototype.toString.call(value);
  } catch (error) {
    return `[unprintable ${Object.prototype.toString.call(value)}: ${error?.message ?? error}]`;
  }
}

function primitiveText(value) {
  if (typeof value === "function") return `[Function ${value.name || "(anonymous)"}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  return String(value);
}

function errorText(error) {
  const head = `${error.name ?? "Error"}: ${error.message ?? ""}`;
  // Engines differ: V8's stack starts with "Name: message", QuickJS's holds only the frames.
  const stack = typeof error.stack === "string" ? error.stack.trimEnd() : "";
  if (stack === "") return head;
  return stack.startsWith(head) ? stack : `${head}\n${stack}`;
}

/**
 * What was thrown, as a person reads it: an Error's message, a string as is, anything else in
 * its JSON (or String) form, so `throw { code: 1 }` is not reported as `[object Object]`. A
 * failed allocation past the worker's memory limit says so.
 */
export function thrownText(value) {
  if (outOfMemoryMessage !== null && isOutOfMemory(value)) return outOfMemoryMessage;
  if (value instanceof Error) return String(value.message);
  if (typeof value === "string") return value;
  return inspect(value);
}

/** The same for a run's failure: an Error with its stack. */
function failureText(value) {
  if (value instanceof Error && !(outOfMemoryMessage !== null && isOutOfMemory(value))) {
    return String(value.stack || value);
  }
  return value instanceof Error || typeof value === "string" ? thrownText(value) : `Uncaught ${thrownText(value)}`;
}
globalThis.__wfFailureText = failureText;
globalThis.__wfThrownText = thrownText;

// QuickJS reports an allocation over its limit as an InternalError, V8 as a RangeError.
function isOutOfMemory(value) {
  return value instanceof Error && (value.message === "out of memory" || value.message === "Array buffer allocation failed");
}

/** Set by the engine with the run (`init.outOfMemory`): what to say when the limit is hit. */
let outOfMemoryMessage = null;

/** Node-style `console.log(format, ...args)`: %s %d %i %f %j %o %O %c %% in a leading string. */
export function formatLogArgs(args) {
  if (args.length === 0) return "";
  let rest = args;
  let first = "";
  if (typeof args[0] === "string" && args[0].includes("%")) {
    let i = 1;
    first = args[0].replace(/%([sdifjoOc%])/g, (match, spec) => {
      if (spec === "%") return "%";
      if (i >= args.length) return match;
      const arg = args[i++];
      if (spec === "s") return typeof arg === "string" ? arg : inspect(arg);
      if (spec === "d" || spec === "i") {
        if (typeof arg === "bigint") return `${arg}n`;
        const n = Number(arg);
        return String(spec === "i" ? Math.trunc(n) : n);
      }
      if (spec === "f") return String(Number(arg));
      if (spec === "c") return ""; // CSS has no meaning in a log file
      return inspect(arg);
    });
    rest = args.slice(i);
  } else {
    first = inspect(args[0]);
    rest = args.slice(1);
  }
  return [first, ...rest.map(inspect)].join(" ");
}

// Lines logged before the host exists (module top-level code may run first) wait here and go
// out ahead of the next line, instead of crashing the module or vanishing.
const pendingLogs = [];
/** Function steps whose `fn` is running: what they print goes to their `events.jsonl` too. */
const runningFunctions = new Set();

function writeLog(level, text) {
  pendingLogs.push([level, text, [...runningFunctions]]);
  if (pendingLogs.length > 1000) pendingLogs.shift();
  flushLogs();
}

function flushLogs() {
  const h = globalThis.__wfHost;
  if (typeof h?.log !== "function") return;
  for (const [level, text, steps] of pendingLogs.splice(0)) h.log(level, text, steps);
}

function makeConsole() {
  const emit = (level) => (...args) => writeLog(level, formatLogArgs(args));
  const counts = new Map();
  return Object.freeze({
    log: emit("info"),
    info: emit("info"),
    debug: emit("debug"),
    warn: emit("warn"),
    error: emit("error"),
    dir: (value) => writeLog("info", inspect(value)),
    trace: (...args) => {
      const frames = (new Error().stack ?? "").split("\n").filter((l) => /^\s*at /.test(l)).slice(1);
      writeLog("debug", ["Trace: " + formatLogArgs(args), ...frames].join("\n"));
    },
    assert: (condition, ...args) => {
      if (!condition) writeLog("error", `Assertion failed${args.length ? ": " + formatLogArgs(args) : ""}`);
    },
    count: (label = "default") => {
      counts.set(label, (counts.get(label) ?? 0) + 1);
      writeLog("info", `${label}: ${counts.get(label)}`);
    },
  });
}

globalThis.console = makeConsole();

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
  };
};

// ---- run -----------------------------------------------------------------------------------

// The engine's step rules (src/definition/step_rules.rs), as far as they must be enforced here:
// a function step's `fn` runs before the engine sees its config. test/step-rules.test.mjs
// checks these lists against runtime-js/step-rules.json, which a Rust test keeps equal to the
// engine's table.
export const STEP_TYPES = ["agent", "script", "function"];
/** Every field a step config may have (the engine refuses others). */
export const STEP_FIELDS = [
  "type", "name", "phase", "command", "cwd", "prompt", "agent", "permission", "env", "timeout",
  "continueOnError", "retry", "model", "maxTurns", "outputSchema", "onInterrupt", "maxCostUsd", "maxTokens", "fn",
];
// Fields only agent steps take (besides `agent`, `prompt` and `permission`).
export const AGENT_OPTIONS = ["model", "maxTurns", "outputSchema", "onInterrupt", "maxCostUsd", "maxTokens"];
export const ON_INTERRUPT = ["restart", "resume"];
/** The most turns an agent step may be given; the engine and the YAML parser agree. */
export const MAX_TURNS = 10000;

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

/** Checks a step's config and returns the JSON the host receives (prompt resolved, `fn` dropped). */
async function stepConfigJson(id, config, ctx, phases) {
  const bad = (field, problem) => new TypeError(`step "${id}": \`${field}\` ${problem}`);
  if (!isPlainObject(config)) throw bad("config", "must be an object like { type: \"script\", command: \"...\" }");
  if (!STEP_TYPES.includes(config.type)) {
    throw bad("type", `must be one of ${STEP_TYPES.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(config.type)}`);
  }
  const optionalString = (field) => {
    if (config[field] !== undefined && typeof config[field] !== "string") throw bad(field, "must be a string");
  };
  ["name", "phase", "cwd", "model", "permission", "agent"].forEach(optionalString);
  if (config.phase !== undefined && !phases.includes(config.phase)) {
    throw bad("phase", `"${config.phase}" is not one of the workflow's phases: ${phases.join(", ")}`);
  }
  if (config.timeout !== undefined && durationProblem(config.timeout)) {
    throw bad("timeout", durationProblem(config.timeout));
  }
  if (config.continueOnError !== undefined && typeof config.continueOnError !== "boolean") {
    throw bad("continueOnError", "must be true or false");
  }
  if (config.retry !== undefined && !isPlainObject(config.retry)) {
    throw bad("retry", "must be an object like { attempts: 3, initialDelay: \"1s\" }");
  }
  if (config.env !== undefined) {
    if (!isPlainObject(config.env) || Object.values(config.env).some((v) => typeof v !== "string")) {
      throw bad("env", "must be an object of string values");
    }
  }
  const json = {};
  if (config.type === "function") {
    if (typeof config.fn !== "function") throw bad("fn", "must be a function `async (ctx) => { ... }`");
  } else if (config.type === "script") {
    if (typeof config.command !== "string" || config.command.trim() === "") {
      throw bad("command", "must be a non-empty string");
    }
  } else {
    if (typeof config.agent !== "string" || config.agent === "") throw bad("agent", "must name an agent, e.g. \"claude\"");
    let prompt = config.prompt;
    if (typeof prompt === "function") prompt = await prompt(ctx);
    if (typeof prompt !== "string" || prompt.trim() === "") {
      throw bad("prompt", "must be a non-empty string, or a function of ctx returning one");
    }
    json.prompt = prompt;
    Object.assign(json, agentOptionsJson(config, bad));
  }
  // Checked here, before a function step's `fn` runs (the engine records its start meanwhile).
  const unknown = Object.keys(config).find((field) => !STEP_FIELDS.includes(field) && config[field] !== undefined);
  if (unknown !== undefined) throw bad(unknown, `is not a step field (expected one of: ${STEP_FIELDS.join(", ")})`);
  const misplaced = AGENT_OPTIONS.find((field) => config.type !== "agent" && config[field] !== undefined);
  if (misplaced) throw bad(misplaced, `applies to agent steps, not ${config.type} steps`);
  for (const [field, value] of Object.entries(config)) {
    // `fn` stays in the isolate and `prompt` was resolved above; anywhere else they are misuse.
    if ((field === "fn" && config.type === "function") || (field === "prompt" && config.type === "agent")) continue;
    if (value === undefined || field in json) continue;
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw bad(field, `is a ${typeof value}, which cannot be sent to the engine (only JSON values can)`);
    }
    try {
      json[field] = JSON.parse(JSON.stringify(value));
    } catch (error) {
      throw bad(field, `is not JSON-serialisable: ${error?.message ?? error}`);
    }
  }
  return json;
}

/** An agent step's `model`, `maxTurns`, `onInterrupt` and `outputSchema` (as JSON Schema). */
function agentOptionsJson(config, bad) {
  const json = {};
  const { model, maxTurns, onInterrupt, outputSchema } = config;
  if (model !== undefined) {
    if (model.trim() === "") throw bad("model", "must not be empty: name a model, e.g. \"sonnet\", or leave it out");
    json.model = model;
  }
  if (maxTurns !== undefined) {
    if (!Number.isInteger(maxTurns) || maxTurns < 1 || maxTurns > MAX_TURNS) {
      throw bad("maxTurns", `must be a whole number from 1 to ${MAX_TURNS}, got ${describe(maxTurns)}`);
    }
    json.maxTurns = maxTurns;
  }
  if (onInterrupt !== undefined) {
    if (!ON_INTERRUPT.includes(onInterrupt)) {
      throw bad("onInterrupt", `must be "restart" or "resume", got ${describe(onInterrupt)}`);
    }
    json.onInterrupt = onInterrupt;
  }
  if (outputSchema != null) {
    let schema;
    try {
      schema = toJsonSchema(outputSchema);
    } catch (error) {
      throw bad("outputSchema", `must be a zod schema or a JSON Schema object: ${error?.message ?? error}`);
    }
    if (!isPlainObject(schema)) throw bad("outputSchema", "must be a zod schema or a JSON Schema object");
    json.outputSchema = schema;
  }
  return json;
}

function describe(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return kindOf(value);
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

/** The engine's rule for step ids (they name directories): why `id` breaks it, or null. */
export function stepIdProblem(id) {
  if (id.length > 200) return `step id '${id}' is longer than 200 characters`;
  if (id === "." || id === "..") return `step id '${id}' is not allowed`;
  const bad = [...id].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
  if (bad !== undefined) return `step id '${id}' contains '${bad}': use letters, digits, '-', '_', '.' and ':' only`;
  return null;
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

/** `ctx.approval`'s options as the step config the engine checks (src/definition/step_rules.rs). */
function approvalConfigJson(id, options) {
  const bad = (field, problem) => new TypeError(`ctx.approval("${id}"): \`${field}\` ${problem}`);
  if (!isPlainObject(options)) throw bad("options", "must be an object like { phase, title }");
  if (typeof options.title !== "string" || options.title.trim() === "") throw bad("title", "must be a non-empty string");
  const json = { type: "approval" };
  for (const [field, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (field === "form") {
      json.form = toJsonSchema(value);
      continue;
    }
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw bad(field, `is a ${typeof value}, which cannot be sent to the engine`);
    }
    json[field] = JSON.parse(JSON.stringify(value));
  }
  return json;
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
  if (typeof init.outOfMemory === "string") outOfMemoryMessage = init.outOfMemory;
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
