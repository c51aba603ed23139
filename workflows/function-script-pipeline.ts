// A function step computes a plan, script steps act on it, a last function reads the results.
// Runs anywhere: no AI agent needed.
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";

export default defineWorkflow({
  name: "Function and script pipeline",
  description: "Plan in code, act in the shell, report in code",
  argsSchema: z.object({
    topic: z.string().describe("What the report is about"),
    lines: z.number().int().min(1).max(100).default(3),
  }),
  phases: ["plan", "build", "report"],

  async execute(ctx) {
    const plan = await ctx.step("plan", {
      phase: "plan",
      type: "function",
      fn: async () => ({ file: `report-${ctx.runId}.txt`, lines: ctx.args.lines }),
    });

    await ctx.step("write-report", {
      phase: "build",
      type: "script",
      command: `for i in $(seq 1 ${plan.data.lines}); do echo "${ctx.args.topic} line $i"; done > ${plan.data.file}`,
    });

    const count = await ctx.step("count-lines", {
      phase: "build",
      type: "script",
      command: `wc -l < ${plan.data.file}`,
    });

    const summary = await ctx.step("summarise", {
      phase: "report",
      type: "function",
      fn: async () => ({ topic: ctx.args.topic, lines: Number(count.data.stdout.trim()) }),
    });
    console.log(`report has ${summary.data.lines} lines`);
    await ctx.comment(`Report on ${ctx.args.topic} written to ${plan.data.file}`);
  },
});
