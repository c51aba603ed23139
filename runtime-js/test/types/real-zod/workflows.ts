// With real zod installed (v3 or v4), defineWorkflow infers ctx.args from zod's own types.
import { defineWorkflow, type AgentStepData, type StepResult } from "@repo/workflow-engine";
import { z as z3 } from "zod3";
import { z as z4 } from "zod4";
import * as zm from "zod4/mini";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

export const v3 = defineWorkflow({
  name: "v3",
  argsSchema: z3.object({ featureName: z3.string(), retries: z3.number().default(1), notes: z3.string().optional() }),
  phases: ["a"],
  async execute(ctx) {
    assertType<Equal<typeof ctx.args.featureName, string>>();
    assertType<Equal<typeof ctx.args.retries, number>>();
    assertType<Equal<typeof ctx.args.notes, string | undefined>>();
    // @ts-expect-error: not an argument
    ctx.args.other;
  },
});

export const v4 = defineWorkflow({
  name: "v4",
  argsSchema: z4.object({ featureName: z4.string(), retries: z4.number().default(1), notes: z4.string().optional() }),
  phases: ["a"],
  async execute(ctx) {
    assertType<Equal<typeof ctx.args.featureName, string>>();
    assertType<Equal<typeof ctx.args.retries, number>>();
    assertType<Equal<typeof ctx.args.notes, string | undefined>>();
    // @ts-expect-error: not an argument
    ctx.args.other;
    const x = await ctx.step("x", { type: "agent", agent: "claude", prompt: "p", outputSchema: z4.object({ ok: z4.boolean() }) });
    assertType<Equal<typeof x.data.output, { ok: boolean }>>();
    const tolerant = await ctx.step("t", { type: "agent", agent: "claude", prompt: "p", continueOnError: true, outputSchema: z4.object({ ok: z4.boolean() }) });
    assertType<Equal<typeof tolerant, StepResult<AgentStepData<{ ok: boolean }>>>>();
    const y = await ctx.step("y", { type: "agent", agent: "codex", prompt: "p", outputSchema: z3.object({ n: z3.number() }) });
    assertType<Equal<typeof y.data.output, { n: number }>>();
    const m = await ctx.step("m", { type: "agent", agent: "gemini", prompt: "p", outputSchema: zm.object({ s: zm.string() }) });
    assertType<Equal<typeof m.data.output, { s: string }>>();
  },
});
