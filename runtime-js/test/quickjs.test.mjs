// Runs the runtime inside QuickJS-ng (the engine behind deno_core's quickjs backend), with the
// module mapping the Rust loader uses, to prove it needs nothing beyond ECMAScript built-ins
// and `__wfHost`. The fake host is JavaScript inside the VM, so nothing crosses the boundary
// but the final JSON.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-ng-wasmfile-release-sync";

const RUNTIME = new URL("../", import.meta.url);
const QuickJS = await newQuickJSWASMModuleFromVariant(variant);

// A workflow as a user writes it (already transpiled: the Rust side strips TypeScript).
const WORKFLOW = `
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";
export default defineWorkflow({
  name: "Implement Feature",
  argsSchema: z.object({ featureName: z.string(), retries: z.number().int().default(2) }),
  phases: ["research", "test"],
  timeout: "10m",
  async execute(ctx) {
    const r = await ctx.step("research", { phase: "research", type: "agent", agent: "claude",
      prompt: async (c) => "Research " + c.args.featureName, permission: "plan" });
    await ctx.checkpoint();
    const f = await ctx.step("compute", { phase: "test", type: "function",
      fn: async (c) => ({ n: c.args.retries, prior: c.getStepResult("research").data }) });
    const bad = await ctx.step("bad", { type: "function", continueOnError: true, fn: () => 10n });
    try {
      await ctx.step("boom", { type: "function", fn: () => { throw new RangeError("kaput"); } });
    } catch (e) {
      console.warn("caught", e.name, e.message, { stepId: e.stepId });
    }
    const out = await ctx.exec("git status");
    await ctx.comment("done: " + f.data.n + " " + bad.status + " " + out.exitCode);
    console.log(new TypeError("logged"));
  },
});
`;

// Drives describe + run with a JavaScript fake host and leaves JSON in globalThis.__out.
const MAIN = `
import "workflow-engine:///harness.js";
import wf from "workflow:///implement-feature.js";
const calls = [];
const logs = [];
globalThis.__wfHost = {
  stepBegin(id, config) { calls.push(["stepBegin", id, config]); },
  pausing() { return false; },
  async stepStart(id, config) {
    calls.push(["stepStart", id, config]);
    if (config.type === "function") return { action: "run" };
    return { action: "return", result: { stepId: id, status: "completed", data: "found" } };
  },
  async stepFinish(id, outcome) {
    calls.push(["stepFinish", id, { ok: outcome.ok, data: outcome.data, error: outcome.error }]);
    return outcome.ok ? { stepId: id, status: "completed", data: outcome.data }
                      : { stepId: id, status: "failed", error: outcome.error };
  },
  async checkpoint() { calls.push(["checkpoint"]); },
  async comment(text, stepId) { calls.push(["comment", text, stepId]); },
  async exec(command, cwd) { calls.push(["exec", command, cwd]); return { stdout: "", stderr: "", exitCode: 0 }; },
  log(level, text) { logs.push([level, text]); },
};
const globals = ["process", "Buffer", "require", "setTimeout", "URL", "structuredClone"].filter((g) => g in globalThis);
const describe = globalThis.__wfDescribe(wf);
globalThis.__wfRun(wf, { runId: "r1", projectPath: "/p", args: { featureName: "login" }, results: {} }).then(
  () => { globalThis.__out = { describe, calls, logs, globals }; },
  (e) => { globalThis.__out = { error: String(e && e.stack || e) }; },
);
`;

function resolveSpecifier(base, name) {
  if (name === "@repo/workflow-engine") return "workflow-engine:///workflow-engine.js";
  if (name === "zod") return "workflow-engine:///zod.js";
  return new URL(name, base).href;
}

function load(name) {
  if (name === "workflow:///implement-feature.js") return WORKFLOW;
  if (name.startsWith("workflow-engine:///")) {
    return readFileSync(new URL(name.slice("workflow-engine:///".length), RUNTIME), "utf8");
  }
  throw new Error(`no module ${name}`);
}

function runInQuickJs() {
  const runtime = QuickJS.newRuntime();
  runtime.setModuleLoader(load, resolveSpecifier);
  const vm = runtime.newContext();
  try {
    vm.unwrapResult(vm.evalCode(MAIN, "workflow:///main.js", { type: "module" })).dispose();
    for (let i = 0; i < 1000; i++) {
      const jobs = runtime.executePendingJobs();
      if (jobs.error) throw new Error(vm.dump(jobs.error));
      if (jobs.value === 0) break;
    }
    const out = vm.getProp(vm.global, "__out");
    try {
      return vm.dump(out);
    } finally {
      out.dispose();
    }
  } finally {
    vm.dispose();
    runtime.dispose();
  }
}

test("describe and run a workflow inside QuickJS-ng", () => {
  const out = runInQuickJs();
  assert.equal(out.error, undefined, out.error);
  assert.deepEqual(out.globals, []);
  assert.deepEqual(out.describe, {
    name: "Implement Feature",
    description: null,
    phases: ["research", "test"],
    argsSchema: {
      type: "object",
      properties: { featureName: { type: "string" }, retries: { type: "integer", default: 2 } },
      required: ["featureName"],
      additionalProperties: false,
    },
    timeout: "10m",
  });
  assert.deepEqual(out.calls, [
    ["stepStart", "research", { phase: "research", type: "agent", agent: "claude", prompt: "Research login", permission: "plan" }],
    ["checkpoint"],
    ["stepBegin", "compute", { phase: "test", type: "function" }],
    ["stepFinish", "compute", { ok: true, data: { n: 2, prior: "found" } }],
    ["stepBegin", "bad", { type: "function", continueOnError: true }],
    ["stepFinish", "bad", { ok: false, error: out.calls[5][2].error }],
    ["stepBegin", "boom", { type: "function" }],
    ["stepFinish", "boom", { ok: false, error: "kaput" }],
    ["exec", "git status", null],
    ["comment", "done: 2 failed 0", null],
  ]);
  assert.match(out.calls[5][2].error, /^the return value of step "bad" is not JSON-serialisable: .*BigInt/);
  assert.deepEqual(out.logs[0], ["warn", 'caught StepFailedError step "boom" failed: kaput {"stepId":"boom"}']);
  assert.equal(out.logs[1][0], "info");
  // QuickJS's stack holds only the frames; the name and message are put in front.
  assert.match(out.logs[1][1], /^TypeError: logged\n\s+at execute \(workflow:\/\/\/implement-feature\.js:\d+:\d+\)$/);
});
