// `concurrency: { key, limit? }`: described as written for the engine (which checks the key's
// template), its shape refused here with the field path.

import { test } from "node:test";
import assert from "node:assert/strict";
import "../harness.js";
import { defineWorkflow } from "../workflow-engine.js";

const wf = (concurrency) => defineWorkflow({ name: "Fix", phases: ["a"], async execute() {}, concurrency });

test("concurrency is described as written, and not at all when left out", () => {
  const c = { key: "repo:{{ args.repo }}", limit: 2 };
  assert.deepEqual(globalThis.__wfDescribe(wf(c)).concurrency, c);
  assert.equal("concurrency" in globalThis.__wfDescribe(wf(undefined)), false);
});

test("a bad shape names the field", () => {
  assert.throws(() => wf("repo"), /`concurrency` must be an object \{ key, limit\? \}, got/);
  assert.throws(() => wf({ limit: 1 }), /`concurrency\.key` must be a non-empty template string/);
  assert.throws(() => wf({ key: "k", limit: 0 }), /`concurrency\.limit` must be an integer >= 1, got 0/);
  assert.throws(() => wf({ key: "k", limit: 1.5 }), /`concurrency\.limit` must be an integer >= 1/);
});
