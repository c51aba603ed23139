// A step that fails without failing the run: `continueOnError` hands back the failed result,
// and the workflow decides what to do with it.
import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Continue on error",
  description: "A flaky check that is allowed to fail",
  phases: ["check", "report"],

  async execute(ctx) {
    const flaky = await ctx.step("flaky-check", {
      phase: "check",
      type: "script",
      command: "echo 'checking...'; echo 'service unreachable' >&2; exit 3",
      continueOnError: true,
    });
    await ctx.step("report", {
      phase: "report",
      type: "function",
      fn: async () => ({ flakyStatus: flaky.status, flakyError: flaky.error ?? null }),
    });
    if (flaky.status === "failed") {
      await ctx.comment(`flaky-check failed and was tolerated: ${flaky.error}`);
    }
  },
});
