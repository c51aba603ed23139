// workflow-engine.js: defineWorkflow's checks and result, and StepFailedError.

import { test } from "node:test";
import assert from "node:assert/strict";
import { defineWorkflow, StepFailedError, isWorkflow } from "../workflow-engine.js";
import { z } from "../zod.js";

const valid = { name: "Build", phases: ["build", "test"], async execute() {} };

test("defineWorkflow returns a frozen, branded copy", () => {
  const def = { ...valid, description: "d", argsSchema: z.object({}), timeout: "1h 30m" };
  const wf = defineWorkflow(def);
  assert.ok(Object.isFrozen(wf));
  assert.ok(Object.isFrozen(wf.phases));
  assert.equal(wf[Symbol.for("workflow-engine.workflow")], true);
  assert.ok(isWorkflow(wf));
  assert.ok(!isWorkflow(def));
  assert.deepEqual(Object.keys(wf), Object.keys(def), "the brand is not enumerable");
  assert.equal(wf.execute, def.execute);
  assert.equal(wf.argsSchema, def.argsSchema);
  def.phases.push("later");
  assert.deepEqual(wf.phases, ["build", "test"]);
});

test("defineWorkflow accepts timeouts as duration strings or seconds", () => {
  for (const timeout of ["30s", "10m", "1h 30m", "2h", "500ms", "1d", "90 minutes", 45, 0.5]) {
    assert.equal(defineWorkflow({ ...valid, timeout }).timeout, timeout);
  }
});

test("defineWorkflow names the bad field in a TypeError", () => {
  const cases = [
    [undefined, /defineWorkflow expects an object/],
    [{ ...valid, name: "" }, /`name` must be a non-empty string/],
    [{ ...valid, name: 5 }, /`name` must be a non-empty string, got a number/],
    [{ ...valid, description: 1 }, /workflow "Build": `description` must be a string/],
    [{ ...valid, phases: [] }, /`phases` must be a non-empty array/],
    [{ ...valid, phases: "build" }, /`phases` must be a non-empty array of phase names, got the string "build"/],
    [{ ...valid, phases: ["a", ""] }, /`phases\[1\]` must be a non-empty string/],
    [{ ...valid, phases: ["a", "b", "a"] }, /`phases` lists "a" twice/],
    [{ ...valid, execute: undefined }, /`execute` must be a function `async execute\(ctx\) \{ ... \}`, got undefined$/],
    [{ ...valid, name: {} }, /`name` must be a non-empty string, got an object$/],
    [{ ...valid, phases: [[]] }, /`phases\[0\]` must be a non-empty string, got an array$/],
    [{ ...valid, argsSchema: "object" }, /`argsSchema` must be a zod schema or a JSON Schema object/],
    [{ ...valid, timeout: "soon" }, /`timeout` "soon" is not a duration/],
    [{ ...valid, timeout: "10" }, /`timeout` "10" is not a duration/],
    [{ ...valid, timeout: -1 }, /`timeout` must be a positive number of seconds/],
    [{ ...valid, timeout: true }, /`timeout` must be a duration string/],
  ];
  for (const [def, message] of cases) {
    assert.throws(() => defineWorkflow(def), { name: "TypeError", message }, String(message));
  }
});

test("StepFailedError carries the step id and result", () => {
  const result = { stepId: "deploy", status: "failed", error: "exit code 2" };
  const error = new StepFailedError("deploy", result);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "StepFailedError");
  assert.equal(error.message, 'step "deploy" failed: exit code 2');
  assert.equal(error.stepId, "deploy");
  assert.equal(error.result, result);
  assert.equal(new StepFailedError("x", { status: "failed" }).message, 'step "x" failed: no error message was recorded');
});
