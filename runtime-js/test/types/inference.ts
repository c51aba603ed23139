// What an editor should infer for a workflow: ctx.args from zod, step data from `fn`, zod helpers.
import {
  defineWorkflow,
  StepFailedError,
  type AgentErrorKind,
  type AgentStepData,
  type CompletedStepResult,
  type ExecResult,
  type ScriptStepData,
  type StepConfig,
  type StepResult,
  type WorkflowContext,
} from "@repo/workflow-engine";
import z, { z as named, ZodError } from "zod";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const Args = z.object({
  featureName: z.string().min(1).describe("what to build"),
  retries: z.number().int().nonnegative().default(2),
  notes: z.string().optional(),
  env: z.enum(["dev", "prod"]).nullable(),
  tags: z.array(z.string()).max(5),
  mode: z.union([z.literal("fast"), z.literal("safe")]),
  extra: z.record(z.string(), z.number()),
  anything: z.any(),
});
type Args = z.infer<typeof Args>;
assertType<Equal<Args, {
  featureName: string;
  retries: number;
  env: "dev" | "prod" | null;
  tags: string[];
  mode: "fast" | "safe";
  extra: Partial<Record<string, number>>;
  notes?: string | undefined;
  anything?: any;
}>>();
assertType<Equal<z.input<typeof Args>["retries"], number | undefined>>();
assertType<Equal<typeof named, typeof z>>();

const parsed = Args.safeParse({});
if (!parsed.success) {
  const error: ZodError = parsed.error;
  error.issues.map((i) => i.path.join("."));
} else {
  assertType<Equal<typeof parsed.data, Args>>();
}

export const typed = defineWorkflow({
  name: "Typed",
  argsSchema: Args,
  phases: ["build", "test"],
  timeout: "10m",
  async execute(ctx) {
    assertType<Equal<typeof ctx.args, Args>>();
    assertType<Equal<typeof ctx, WorkflowContext<Args, "build" | "test">>>();
    const computed = await ctx.step("compute", {
      phase: "build",
      type: "function",
      fn: async (c) => ({ n: c.args.retries, at: c.runId }),
    });
    // Without continueOnError a failure throws, so the result's data is there.
    assertType<Equal<typeof computed, CompletedStepResult<{ n: number; at: string }>>>();
    const sync = await ctx.step("sync", { type: "function", fn: () => 42 });
    assertType<Equal<typeof sync.data, number>>();
    const tolerated = await ctx.step("tolerated", { type: "function", continueOnError: true, fn: () => 42 });
    assertType<Equal<typeof tolerated.data, number | undefined>>();
    const maybe = Math.random() > 0.5;
    const either = await ctx.step("either", { type: "function", continueOnError: maybe, fn: () => 42 });
    assertType<Equal<typeof either.data, number | undefined>>();
    const script = await ctx.step("script", { type: "script", command: "ls" });
    assertType<Equal<typeof script, CompletedStepResult<ScriptStepData>>>();
    script.data.stdout.trim();
    assertType<Equal<typeof script.data.exitCode, number>>();
    const lenient = await ctx.step("lenient", { type: "script", command: "ls", continueOnError: true });
    assertType<Equal<typeof lenient.data, ScriptStepData | undefined>>();
    const asked = await ctx.step("ask", {
      phase: "test",
      type: "agent",
      agent: "gemini",
      prompt: async (c) => `Build ${c.args.featureName}`,
      model: "gemini-2.5-pro",
      maxTurns: 10,
      timeout: 600,
      env: { CI: "1" },
      continueOnError: true,
      onInterrupt: "resume",
      outputSchema: z.object({ ok: z.boolean() }),
      cwd: "packages/web",
    });
    // An agent step's data: the answer, and `output` typed by a zod outputSchema.
    assertType<Equal<typeof asked, StepResult<AgentStepData<{ ok: boolean }>>>>();
    if (asked.data?.output?.ok) console.log(asked.data.text, asked.data.usage?.inputTokens, asked.data.attempts);
    if (asked.status === "failed") assertType<Equal<typeof asked.data, AgentStepData<{ ok: boolean }> | undefined>>();
    assertType<Equal<NonNullable<typeof asked.data>["errorKind"], AgentErrorKind | undefined>>();
    const free = await ctx.step("free", { type: "agent", agent: "claude", prompt: "p", model: "opus" });
    assertType<Equal<typeof free, CompletedStepResult<AgentStepData<unknown>>>>();
    assertType<Equal<typeof free.data, AgentStepData>>();
    assertType<Equal<typeof free.data.resumed, boolean>>();
    assertType<Equal<typeof free.data.sessionFile, string | undefined>>();
    const strictAnswer = await ctx.step("strict-answer", {
      type: "agent",
      agent: "claude",
      prompt: "p",
      outputSchema: z.object({ ok: z.boolean(), count: z.number().default(0) }),
    });
    assertType<Equal<typeof strictAnswer.data.output, { ok: boolean; count: number }>>();
    const json = await ctx.step("json", {
      type: "agent",
      agent: "codex",
      prompt: "p",
      maxTurns: 3,
      onInterrupt: "restart",
      outputSchema: { type: "object", properties: { files: { type: "array", items: { type: "string" } } } },
    });
    assertType<Equal<typeof json.data, AgentStepData<unknown> & { output: unknown }>>();
    json.data.sessionId?.toUpperCase();
    json.data.costUsd?.toFixed();
    // A config built at run time still type-checks, with a loosely typed result.
    const dynamic: StepConfig<Args, "build" | "test"> = ctx.args.mode === "fast"
      ? { type: "script", command: "make" }
      : { type: "agent", agent: "claude", prompt: "make", maxTurns: 5 };
    await ctx.step("dynamic", dynamic);
    const exec: ExecResult = await ctx.exec("git status", ctx.projectPath);
    await ctx.comment(`exit ${exec.exitCode}`, "ask");
    const earlier = ctx.getStepResult<{ n: number }>("compute");
    if (earlier?.status === "completed") earlier.data?.n.toFixed();
    try {
      await ctx.step("deploy", { type: "script", command: "deploy" });
    } catch (error) {
      if (error instanceof StepFailedError) console.error(error.stepId, error.result.error);
    }
  },
});

// A JSON Schema argsSchema (or none) gives loosely typed args.
export const loose = defineWorkflow({
  name: "Loose",
  phases: ["only"],
  argsSchema: { type: "object", properties: { environment: { type: "string" } } },
  execute(ctx) {
    assertType<Equal<typeof ctx.args, Record<string, any>>>();
    console.log(ctx.args.environment);
  },
});
export const none = defineWorkflow({
  name: "None",
  phases: ["only"],
  async execute(ctx) {
    assertType<Equal<typeof ctx.args, Record<string, any>>>();
  },
});

// Object helpers keep their keys' types.
const Base = z.object({ a: z.string(), b: z.number() });
assertType<Equal<z.infer<ReturnType<typeof Base.partial>>, { a?: string | undefined; b?: number | undefined }>>();
const Extended = Base.extend({ b: z.boolean(), c: z.array(z.string()).default([]) }).strict();
assertType<Equal<z.infer<typeof Extended>, { a: string; b: boolean; c: string[] }>>();
assertType<Equal<z.infer<ReturnType<typeof Base.pick<{ a: true }>>>, { a: string }>>();
assertType<Equal<z.infer<ReturnType<typeof Base.omit<{ a: true }>>>, { b: number }>>();
assertType<Equal<z.infer<ReturnType<typeof Base.keyof>>, "a" | "b">>();
assertType<Equal<z.infer<typeof Base.shape.a>, string>>();
const scores = z.record(z.number());
assertType<Equal<z.infer<typeof scores>, Partial<Record<string, number>>>>();
const maybe = z.string().nullish();
assertType<Equal<z.infer<typeof maybe>, string | null | undefined>>();
const json = z.toJSONSchema(Base);
json.type;
