// harness.js: an agent step's options (model, maxTurns, onInterrupt, cwd, outputSchema) are
// checked before the host sees them, and outputSchema always reaches it as JSON Schema.

import { test } from "node:test";
import assert from "node:assert/strict";
import { z as z3 } from "zod3";
import { z as z4 } from "zod4";
import * as zm from "zod4/mini";
import "../harness.js";
import { MAX_TURNS } from "../harness.js";
import { defineWorkflow } from "../workflow-engine.js";
import { z as subset } from "../zod.js";
import { installHost, init } from "../test-support/fake-host.mjs";

const agent = { type: "agent", agent: "claude", prompt: "p" };

/** The config the host receives for one step, or the error `ctx.step` throws. */
async function sent(config, id = "ask") {
  const host = installHost();
  const wf = defineWorkflow({ name: "T", phases: ["build"], execute: (ctx) => ctx.step(id, config) });
  await globalThis.__wfRun(wf, init());
  return host.calls[0][2];
}

test("good agent options are sent as given", async () => {
  const options = { model: "claude-sonnet-4-5", maxTurns: 25, onInterrupt: "resume", cwd: "packages/web" };
  assert.deepEqual(await sent({ ...agent, ...options }), { ...agent, ...options });
  const edges = { maxTurns: 1, onInterrupt: "restart" };
  assert.deepEqual(await sent({ ...agent, ...edges }), { ...agent, ...edges });
  assert.deepEqual(await sent({ ...agent, maxTurns: MAX_TURNS }), { ...agent, maxTurns: 10000 });
});

test("absent options stay absent", async () => {
  const config = { ...agent, model: undefined, maxTurns: undefined, outputSchema: undefined, onInterrupt: undefined };
  assert.deepEqual(await sent(config), agent);
});

test("a JSON Schema outputSchema is sent unchanged", async () => {
  const outputSchema = {
    type: "object",
    properties: { approved: { type: "boolean" }, notes: { type: "array", items: { type: "string" } } },
    required: ["approved"],
  };
  const config = { ...agent, outputSchema };
  assert.deepEqual((await sent(config)).outputSchema, outputSchema);
  assert.deepEqual(await sent({ ...agent, outputSchema: {} }), { ...agent, outputSchema: {} });
});

test("a zod outputSchema (subset, zod v3, zod v4, zod v4 mini) is sent as JSON Schema", async () => {
  const expected = {
    type: "object",
    properties: { ok: { type: "boolean" }, files: { type: "array", items: { type: "string" } } },
    required: ["ok"],
    additionalProperties: false,
  };
  for (const [flavour, z] of Object.entries({ subset, "zod v3": z3, "zod v4": z4 })) {
    const outputSchema = z.object({ ok: z.boolean(), files: z.array(z.string()).optional() });
    assert.deepEqual((await sent({ ...agent, outputSchema })).outputSchema, expected, flavour);
  }
  const mini = zm.object({ ok: zm.boolean(), files: zm.optional(zm.array(zm.string())) });
  assert.deepEqual((await sent({ ...agent, outputSchema: mini })).outputSchema, expected, "zod v4 mini");
  const described = z4.object({ n: z4.number().int().describe("how many") });
  assert.deepEqual((await sent({ ...agent, outputSchema: described })).outputSchema, {
    type: "object",
    properties: { n: { type: "integer", description: "how many" } },
    required: ["n"],
    additionalProperties: false,
  });
});

test("bad agent options throw a TypeError naming the step and the field, before reaching the host", async () => {
  const turns = "must be a whole number from 1 to 10000, got";
  const schema = "`outputSchema` must be a zod schema or a JSON Schema object";
  const cases = [
    [{ model: 4 }, "`model` must be a string"],
    [{ model: "" }, '`model` must not be empty: name a model, e.g. "sonnet", or leave it out'],
    [{ model: "  " }, "`model` must not be empty"],
    [{ maxTurns: 0 }, `\`maxTurns\` ${turns} 0`],
    [{ maxTurns: -2 }, `\`maxTurns\` ${turns} -2`],
    [{ maxTurns: 2.5 }, `\`maxTurns\` ${turns} 2.5`],
    [{ maxTurns: 10001 }, `\`maxTurns\` ${turns} 10001`],
    [{ maxTurns: NaN }, `\`maxTurns\` ${turns} NaN`],
    [{ maxTurns: "5" }, `\`maxTurns\` ${turns} "5"`],
    [{ maxTurns: [5] }, `\`maxTurns\` ${turns} an array`],
    [{ onInterrupt: "later" }, '`onInterrupt` must be "restart" or "resume", got "later"'],
    [{ onInterrupt: true }, '`onInterrupt` must be "restart" or "resume", got true'],
    [{ outputSchema: "json" }, `${schema}: a schema must be a zod schema or a JSON Schema object, got a string`],
    [{ outputSchema: [{ type: "string" }] }, `${schema}: a schema must be a zod schema or a JSON Schema object (with`],
    [{ outputSchema: { ok: { type: "boolean" } } }, `${schema}: the schema looks like an object's fields (ok)`],
    [{ outputSchema: z4.object({ when: z4.date() }) }, `${schema}: cannot convert the schema to JSON Schema: zod type "date" at "when"`],
    [{ cwd: 1 }, "`cwd` must be a string"],
  ];
  for (const [options, message] of cases) {
    const host = installHost();
    const wf = defineWorkflow({ name: "T", phases: ["build"], execute: (ctx) => ctx.step("ask", { ...agent, ...options }) });
    await assert.rejects(globalThis.__wfRun(wf, init()), (error) => {
      assert.equal(error.name, "TypeError");
      assert.ok(error.message.startsWith(`step "ask": ${message}`), `${error.message}\n  lacks ${message}`);
      return true;
    });
    assert.deepEqual(host.calls, [], message);
  }
});

test("agent options on script and function steps are an error", async () => {
  const steps = { script: { type: "script", command: "make" }, function: { type: "function", fn: () => 1 } };
  const options = { model: "opus", maxTurns: 3, outputSchema: {}, onInterrupt: "resume" };
  for (const [type, config] of Object.entries(steps)) {
    for (const [field, value] of Object.entries(options)) {
      const host = installHost();
      const wf = defineWorkflow({ name: "T", phases: ["build"], execute: (ctx) => ctx.step("s", { ...config, [field]: value }) });
      const message = `step "s": \`${field}\` applies to agent steps, not ${type} steps`;
      await assert.rejects(globalThis.__wfRun(wf, init()), { name: "TypeError", message });
      assert.deepEqual(host.calls, []);
    }
  }
  // cwd belongs to script and agent steps alike.
  assert.equal((await sent({ ...steps.script, cwd: "sub" })).cwd, "sub");
});
