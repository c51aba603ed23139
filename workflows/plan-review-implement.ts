// .agent/workflows/definitions/plan-review-implement.ts
//
// An agent plans; a person reads the plan on the board (or in the terminal) and approves it,
// asks for changes, or rejects it. Changes requested: the agent plans again with the
// reviewer's comment, and the gate asks again (each round has its own step ids, so every
// round stays on the record). Approved: the agent implements the plan and the tests run.
// While the gate waits the run holds no process: it can wait for days, across restarts.
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";

export default defineWorkflow({
  name: "Plan, review, implement",
  description: "An agent plans, a person approves (or asks for changes), the agent implements",

  argsSchema: z.object({
    task: z.string().describe("What to build"),
    reviewer: z.string().optional().describe("Who may approve (an email); anyone if empty"),
    maxRounds: z.number().int().min(1).max(10).default(3),
  }),

  phases: ["plan", "review", "implement", "test"],

  async execute(ctx) {
    let feedback = "";
    let plan = "";
    for (let round = 1; ; round++) {
      const planned = await ctx.step(`plan-${round}`, {
        phase: "plan",
        type: "agent",
        agent: "claude",
        permission: "plan",
        prompt:
          `Write an implementation plan for: ${ctx.args.task}.` +
          (feedback ? `\n\nThe reviewer asked for these changes to the previous plan:\n${feedback}` : ""),
      });
      plan = planned.data.text;

      const gate = await ctx.approval(`approve-plan-${round}`, {
        phase: "review",
        title: `Approve the plan (round ${round})`,
        description: plan,
        approvers: ctx.args.reviewer ? [ctx.args.reviewer] : undefined,
        timeout: "7d",
        onTimeout: "reject",
      });
      if (gate.data.decision === "approved") break;
      if (round >= ctx.args.maxRounds) {
        throw new Error(`no plan approved after ${round} rounds`);
      }
      feedback = gate.data.comment ?? "";
    }

    await ctx.step("implement", {
      phase: "implement",
      type: "agent",
      agent: "claude",
      permission: "acceptEdits",
      prompt: `Implement this approved plan:\n\n${plan}`,
    });

    await ctx.step("run-tests", {
      phase: "test",
      type: "script",
      command: "echo 'run your test command here'",
    });
  },
});
