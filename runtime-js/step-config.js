// A step's config as the harness (harness.js) checks it before the engine sees it, by the
// engine's step rules (src/definition/step_rules.rs): `ctx.step` configs (a function step's `fn`
// runs before the engine records its config), `ctx.approval` options, and step ids.

import { durationProblem, isPlainObject, kindOf } from "./workflow-engine.js";
import { toJsonSchema } from "./schema.js";

// The engine's step rules (src/definition/step_rules.rs), as far as they must be enforced here:
// a function step's `fn` runs before the engine sees its config. test/step-rules.test.mjs
// checks these lists against runtime-js/step-rules.json, which a Rust test keeps equal to the
// engine's table.
export const STEP_TYPES = ["agent", "script", "function"];
/** Every field a step config may have (the engine refuses others). */
export const STEP_FIELDS = [
  "type", "name", "phase", "command", "cwd", "prompt", "agent", "permission", "env", "timeout",
  "continueOnError", "retry", "model", "maxTurns", "outputSchema", "onInterrupt", "maxCostUsd", "maxTokens",
  "allowedTools", "disallowedTools", "appendSystemPrompt", "mcpConfig", "addDirs", "extraArgs", "stallTimeout", "fn",
];
// Fields only agent steps take (besides `agent`, `prompt` and `permission`).
export const AGENT_OPTIONS = ["model", "maxTurns", "outputSchema", "onInterrupt", "maxCostUsd", "maxTokens",
  "allowedTools", "disallowedTools", "appendSystemPrompt", "mcpConfig", "addDirs", "extraArgs", "stallTimeout"];
export const ON_INTERRUPT = ["restart", "resume"];
/** The most turns an agent step may be given; the engine and the YAML parser agree. */
export const MAX_TURNS = 10000;

/** Checks a step's config and returns the JSON the host receives (prompt resolved, `fn` dropped). */
export async function stepConfigJson(id, config, ctx, phases) {
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

/** The engine's rule for step ids (they name directories): why `id` breaks it, or null. */
export function stepIdProblem(id) {
  if (id.length > 200) return `step id '${id}' is longer than 200 characters`;
  if (id === "." || id === "..") return `step id '${id}' is not allowed`;
  const bad = [...id].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
  if (bad !== undefined) return `step id '${id}' contains '${bad}': use letters, digits, '-', '_', '.' and ':' only`;
  return null;
}

/** `ctx.approval`'s options as the step config the engine checks (src/definition/step_rules.rs). */
export function approvalConfigJson(id, options) {
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
