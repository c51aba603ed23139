// harness.js applies zod's own parse where its JSON Schema form cannot: the run's arguments are
// checked by it before a run exists (__wfCheckArgs), and an agent's answer becomes zod's
// parse of it (defaults, transforms) or a failed step.

import { test } from "node:test";
import assert from "node:assert/strict";
import { z as z4 } from "zod4";
import { z as z3 } from "zod3";
import "../harness.js";
import { defineWorkflow, StepFailedError } from "../workflow-engine.js";
import { z as subset } from "../zod.js";
import { installHost, init } from "../test-support/fake-host.mjs";

const workflow = (extra, execute = () => {}) => defineWorkflow({ name: "T", phases: ["p"], execute, ...extra });

test("__wfCheckArgs reports zod's own messages: refinements and discriminated unions", async () => {
  const refined = z4.object({ from: z4.number(), to: z4.number() }).refine((a) => a.from < a.to, "from must be below to");
  const check = (schema, args) => globalThis.__wfCheckArgs(workflow({ argsSchema: schema }), args);
  assert.deepEqual(await check(refined, { from: 1, to: 2 }), []);
  assert.deepEqual(await check(refined, { from: 3, to: 2 }), ["args: from must be below to"]);
  const union = z4.discriminatedUnion("kind", [
    z4.object({ kind: z4.literal("file"), path: z4.string() }),
    z4.object({ kind: z4.literal("url"), url: z4.string() }),
  ]);
  assert.deepEqual(await check(union, { kind: "ftp" }), ["args.kind: Invalid discriminator value. Expected 'file' | 'url'"]);
  const v3 = z3.object({ n: z3.number() }).refine(() => false, { message: "never", path: ["n"] });
  assert.deepEqual(await check(v3, { n: 1 }), ["args.n: never"]);
  assert.deepEqual(await check(subset.object({ n: subset.number() }), { n: "x" }), ["args.n: Expected number, received string"]);
});

test("__wfCheckArgs passes JSON Schema and absent schemas, and reports a schema that throws", async () => {
  assert.deepEqual(await globalThis.__wfCheckArgs(workflow({}), { a: 1 }), []);
  assert.deepEqual(await globalThis.__wfCheckArgs(workflow({ argsSchema: { type: "object" } }), 7), []);
  const throwing = z4.object({}).refine(() => { throw new Error("boom"); });
  assert.deepEqual(await globalThis.__wfCheckArgs(workflow({ argsSchema: throwing }), {}), [
    "args: the argsSchema threw while checking them: boom",
  ]);
});

/** Runs one agent step whose host answer carries `output`; returns what ctx.step gave or threw. */
async function agentStep(outputSchema, output, extra = {}) {
  installHost({ memo: { ask: { stepId: "ask", status: "completed", data: { agent: "claude", text: "", output } } } });
  let got;
  const execute = async (ctx) => {
    got = await ctx.step("ask", { type: "agent", agent: "claude", prompt: "p", outputSchema, ...extra });
  };
  await globalThis.__wfRun(workflow({}, execute), init());
  return got;
}

test("an agent's answer is zod's parse of it: defaults and transforms applied", async () => {
  const schema = z4.object({ done: z4.boolean().default(false), title: z4.string().transform((t) => t.toUpperCase()) });
  const result = await agentStep(schema, { title: "fix" });
  assert.deepEqual(result.data.output, { done: false, title: "FIX" });
  assert.equal(result.data.agent, "claude");
  const plain = await agentStep({ type: "object" }, { title: "fix" });
  assert.deepEqual(plain.data.output, { title: "fix" });
});

test("an answer zod refuses fails the step as invalid_output", async () => {
  const schema = z4.object({ n: z4.number().refine((n) => n > 10, "n must exceed 10") });
  await assert.rejects(agentStep(schema, { n: 1 }), (e) => {
    assert.ok(e instanceof StepFailedError);
    assert.equal(e.result.data.errorKind, "invalid_output");
    assert.match(e.message, /does not match the step's outputSchema: output.n: n must exceed 10/);
    return true;
  });
  const kept = await agentStep(schema, { n: 1 }, { continueOnError: true });
  assert.equal(kept.status, "failed");
});
