// The test workflows. Every step that must stay running waits for a gate file
// (`gates/<run id>.<name>` in the project, made by `server.open(...)`), so a test decides
// when each phase ends: no sleeping and hoping.

const gate = (name) => `while [ ! -f gates/$WORKFLOW_RUN_ID.${name} ]; do sleep 0.05; done`;

/** Three phases, one gated script step in each; a validated title and an enum. */
export const GATED = `name: Gated pipeline
description: Three phases, each step waits for its gate file
argsSchema:
  type: object
  properties:
    title: { type: string, minLength: 3, description: What to build }
    level: { type: string, enum: [low, high], default: low }
  required: [title]
phases: [build, test, ship]
steps:
  - id: compile
    phase: build
    type: script
    command: echo building {{ args.title }}; ${gate("build")}; echo built
  - id: check
    phase: test
    type: script
    command: ${gate("test")}; echo checked
  - id: release
    phase: ship
    type: script
    command: ${gate("ship")}; echo shipped
`;

/** A script that prints (stdout and stderr) and then waits, then an agent step held at its gate. */
export const LOGS = `name: Log stream
description: Output that streams while the step runs, then an agent at work
phases: [work, review]
steps:
  - id: talk
    phase: work
    type: script
    command: echo line-one; echo line-two >&2; ${gate("talk")}; echo line-three
  - id: ask
    phase: review
    type: agent
    agent: claude
    prompt: "[scenario:gate] review the talk"
`;

/**
 * A plan that prints and ends, then a step held at its gate file: the waits' UI test
 * (waits-ui.test.mjs) presents the held step as an approval gate, a sleep or a signal.
 */
export const PLAN_THEN_HOLD = `name: Plan then hold
description: A plan, then a held step
phases: [plan, review, build]
steps:
  - id: plan
    phase: plan
    type: script
    command: "echo 'the plan: three changes'"
  - id: hold
    phase: review
    type: script
    command: ${gate("hold")}
  - id: build
    phase: build
    type: script
    command: echo built
`;

/**
 * A plan reviewed at an approval gate: "changes requested" plans again and asks again at a
 * new gate (`approve-plan-2`, ...); approved, it builds.
 */
export const REVIEWED_PLAN = `import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Reviewed plan",
  description: "Plan, have a person approve the plan, build",
  phases: ["plan", "review", "build"],
  async execute(ctx) {
    for (let round = 1; ; round++) {
      await ctx.step(\`plan-\${round}\`, { phase: "plan", type: "script", command: \`echo 'the plan, round \${round}'\` });
      const gate = await ctx.approval(round === 1 ? "approve-plan" : \`approve-plan-\${round}\`, {
        phase: "review",
        title: \`Approve the plan (round \${round})\`,
        description: "The planner proposes **three** changes:\\n\\n1. Split the engine\\n2. Add the waits table\\n3. A board panel",
      });
      if (gate.data.decision === "approved") break;
    }
    await ctx.step("build", { phase: "build", type: "script", command: "echo built" });
  },
});
`;

/** A YAML gate only Ann may decide, with a form; then a signal, then a short sleep. */
export const GATED_DEPLOY = `name: Gated deploy
description: Checks, a person's go-ahead with a risk score, the deploy's signal, a cool-down
phases: [check, approve, deploy]
steps:
  - id: check
    phase: check
    type: script
    command: "echo 'all checks green'"
  - id: approve-deploy
    phase: approve
    type: approval
    title: Deploy to production
    description: "The checks are **green**."
    approvers: [ann@example.com]
    form: { type: object, required: [risk], properties: { risk: { type: integer, minimum: 1, maximum: 5, title: Risk }, notes: { type: string } } }
  - id: deployed
    phase: deploy
    type: signal
    signal: deploy
  - id: cool-down
    phase: deploy
    type: sleep
    duration: 4s
`;
