// Mistakes an editor must flag: each line after `@ts-expect-error` has to be a type error.
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";

export default defineWorkflow({
  name: "Wrong",
  argsSchema: z.object({ featureName: z.string(), count: z.number().optional() }),
  phases: ["research", "test"],
  async execute(ctx) {
    // @ts-expect-error: not an argument of this workflow
    ctx.args.featureNmae;
    // @ts-expect-error: count may be undefined
    ctx.args.count.toFixed();
    // @ts-expect-error: featureName is a string
    const n: number = ctx.args.featureName;

    // @ts-expect-error: "deploy" is not one of the phases
    await ctx.step("a", { phase: "deploy", type: "script", command: "x" });
    // @ts-expect-error: unknown step type
    await ctx.step("b", { type: "shell", command: "x" });
    // @ts-expect-error: a script step needs a command
    await ctx.step("c", { type: "script" });
    // @ts-expect-error: a function step needs fn
    await ctx.step("d", { type: "function" });
    // @ts-expect-error: unknown agent
    await ctx.step("e", { type: "agent", agent: "gpt", prompt: "x" });
    // @ts-expect-error: unknown permission mode
    await ctx.step("f", { type: "agent", agent: "claude", prompt: "x", permission: "yolo" });
    // @ts-expect-error: a prompt function must return a string
    await ctx.step("g", { type: "agent", agent: "claude", prompt: () => 42 });
    // @ts-expect-error: maxTurns is a number
    await ctx.step("g2", { type: "agent", agent: "claude", prompt: "x", maxTurns: "5" });
    // @ts-expect-error: onInterrupt is restart or resume
    await ctx.step("g3", { type: "agent", agent: "claude", prompt: "x", onInterrupt: "later" });
    // @ts-expect-error: outputSchema is a schema, not a string
    await ctx.step("g4", { type: "agent", agent: "claude", prompt: "x", outputSchema: "json" });
    // @ts-expect-error: model is a string
    await ctx.step("g5", { type: "agent", agent: "claude", prompt: "x", model: 4 });
    // @ts-expect-error: agent options do not apply to script steps
    await ctx.step("g6", { type: "script", command: "x", model: "opus" });
    // @ts-expect-error: output is unknown without a zod outputSchema
    (await ctx.step("g7", { type: "agent", agent: "claude", prompt: "x" })).data?.output.ok;
    // @ts-expect-error: the zod outputSchema has no field "nope"
    (await ctx.step("g8", { type: "agent", agent: "claude", prompt: "x", outputSchema: z.object({ ok: z.boolean() }) })).data?.output?.nope;
    // @ts-expect-error: the step id comes first
    await ctx.step({ type: "script", command: "x" });
    // @ts-expect-error: timeouts are strings or seconds
    await ctx.step("h", { type: "script", command: "x", timeout: true });
    // @ts-expect-error: env values are strings
    await ctx.step("i", { type: "script", command: "x", env: { N: 1 } });
    // @ts-expect-error: comments are text
    await ctx.comment(42);

    const r = await ctx.step("j", { type: "function", continueOnError: true, fn: () => ({ ok: true }) });
    // @ts-expect-error: data may be undefined when a failure is let through
    r.data.ok;
    // @ts-expect-error: a script step's data has no field "code"
    (await ctx.step("j2", { type: "script", command: "x" })).data.code;
    // @ts-expect-error: an agent step's output is unknown without an outputSchema
    (await ctx.step("j3", { type: "agent", agent: "claude", prompt: "x" })).data.output.ok;
    // @ts-expect-error: no such status
    if (r.status === "done") return;
  },
});

// @ts-expect-error: phases are required
defineWorkflow({ name: "NoPhases", async execute() {} });
// @ts-expect-error: execute is required
defineWorkflow({ name: "NoExecute", phases: ["a"] });
// @ts-expect-error: name is required
defineWorkflow({ phases: ["a"], async execute() {} });
// @ts-expect-error: timeout is a duration
defineWorkflow({ name: "T", phases: ["a"], timeout: {}, async execute() {} });
// @ts-expect-error: a concurrency key is a string template
defineWorkflow({ name: "C", phases: ["a"], concurrency: { key: 5 }, async execute() {} });
// @ts-expect-error: concurrency needs its key
defineWorkflow({ name: "C", phases: ["a"], concurrency: { limit: 2 }, async execute() {} });
defineWorkflow({ name: "C", phases: ["a"], concurrency: { key: "repo:{{ args.repo }}", limit: 2 }, async execute() {} });

// @ts-expect-error: z.enum needs strings
z.enum([1, 2]);
// @ts-expect-error: z.object needs schemas
z.object({ a: "string" });
// @ts-expect-error: a default must match the schema
z.string().default(3);
// @ts-expect-error: not in the subset's string API
z.string().ipv4();
