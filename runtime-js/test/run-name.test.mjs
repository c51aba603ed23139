// `runName`: described as a template string or a function marker, and the function called by
// __wfRunName with the arguments as zod parses them; throws and non-names reported.

import { test } from "node:test";
import assert from "node:assert/strict";
import "../harness.js";
import { defineWorkflow } from "../workflow-engine.js";
import { z } from "../zod.js";

const wf = (runName, extra = {}) => defineWorkflow({ name: "Fix", phases: ["a"], async execute() {}, runName, ...extra });

test("a template is described as written, a function as a marker, none not at all", () => {
  assert.equal(globalThis.__wfDescribe(wf("Fix #{{ args.issue }}")).runName, "Fix #{{ args.issue }}");
  assert.equal(globalThis.__wfDescribe(wf((a) => `Fix ${a.issue}`)).runName, "[function]");
  assert.equal("runName" in globalThis.__wfDescribe(wf(undefined)), false);
});

test("runName must be a string or a function", () => {
  assert.throws(() => wf(42), /runName.*must be a template string .* or a function of the arguments, got/);
});

test("the function gets the parsed arguments (zod defaults applied) and may be async", async () => {
  const argsSchema = z.object({ issue: z.number(), label: z.string().default("bug") });
  const named = await globalThis.__wfRunName(wf(async (a) => `Fix #${a.issue} (${a.label})`, { argsSchema }), { issue: 7 });
  assert.deepEqual(named, { name: "Fix #7 (bug)" });
});

test("a throw, an empty name or a non-string is an error, not a name", async () => {
  const thrown = await globalThis.__wfRunName(wf(() => { throw new Error("no issue"); }), {});
  assert.match(thrown.error, /^runName threw: .*no issue/);
  assert.match((await globalThis.__wfRunName(wf(() => ""), {})).error, /an empty string/);
  assert.match((await globalThis.__wfRunName(wf(() => 5), {})).error, /returned number, not a name/);
  assert.match((await globalThis.__wfRunName(wf("a template"), {})).error, /not a function/);
});
