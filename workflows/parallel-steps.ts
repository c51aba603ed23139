// Steps started together with Promise.all run at the same time; each is still its own
// durable step (a resume re-runs only the ones that had not finished).
import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Parallel steps",
  description: "Three checks at once, then one verdict",
  phases: ["check", "verdict"],

  async execute(ctx) {
    const checks = ["lint", "unit", "types"];
    const results = await Promise.all(
      checks.map((name) =>
        ctx.step(`check-${name}`, {
          phase: "check",
          type: "script",
          command: `sleep 1; echo "${name} ok"`,
        }),
      ),
    );
    await ctx.step("verdict", {
      phase: "verdict",
      type: "function",
      fn: async () => ({ passed: results.every((r) => r.status === "completed"), checks }),
    });
  },
});
