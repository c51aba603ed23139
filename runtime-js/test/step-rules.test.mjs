// The worker's own step checks follow the engine's rules: runtime-js/step-rules.json is written
// from src/definition/step_rules.rs (a Rust test fails when it is out of date), and this test
// fails when worker.js's lists disagree with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  AGENT_OPTIONS,
  MAX_TURNS,
  ON_INTERRUPT,
  STEP_FIELDS,
  STEP_TYPES,
  stepIdProblem,
} from "../worker.js";

const rules = JSON.parse(readFileSync(new URL("../step-rules.json", import.meta.url), "utf8"));
const sorted = (list) => [...list].sort();

test("the worker's step types and fields are the engine's", () => {
  assert.deepEqual(sorted(STEP_TYPES), sorted(rules.stepTypes));
  assert.deepEqual(sorted(STEP_FIELDS), sorted(rules.typescriptFields));
});

test("the worker refuses the agent options on other steps, as the engine does", () => {
  assert.deepEqual(sorted(AGENT_OPTIONS), sorted(rules.agentOnly));
  assert.deepEqual(ON_INTERRUPT, rules.onInterrupt);
  assert.equal(MAX_TURNS, rules.maxTurns);
});

test("the worker judges step ids as the engine does", () => {
  for (const { id, problem } of rules.stepIds) assert.equal(stepIdProblem(id), problem, id);
});
