// Budgets for agent spend, end to end: a TypeScript agent loop with `budget: { usd: 0.1 }`
// runs three claude steps ($0.0421 each, the stand-in's cost) and stops before the fourth; its
// card shows the spend against the budget, the header's badge counts it, the run page says
// which limit stopped it; a raise still below the spend is refused with the server's words, a
// raise above it continues the run to its end, and the card follows.

import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitFor, waitText } from "./harness.mjs";

const LOOP = `import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Agent loop",
  phases: ["work"],
  budget: { usd: 0.1 },
  async execute(ctx) {
    for (let i = 1; i <= 5; i++) {
      await ctx.step(\`turn-\${i}\`, { type: "agent", agent: "claude", prompt: \`turn \${i}\` });
    }
  },
});
`;

describe("budgets", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "loop.ts": LOOP } });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("a loop stopped by its budget: spend on the card and the run page, raised from the page", async () => {
    await signIn(page, server);
    const defId = server.definitions["Agent loop"].id;
    await page.goto(`${server.base}/p/${server.projectId}/board/${defId}`);
    await waitAttr(page.getByTestId("ws-status"), "data-state", "open");
    const run = (await startRun(server, "Agent loop", {}, "Spend it")).id;

    const card = page.locator(tid("run-card", { "data-run-id": run }));
    await waitAttr(card, "data-status", "waiting", "the loop stops at its budget");
    await waitFor(async () => {
      await page.reload();
      return (await card.getByTestId("card-spend").textContent({ timeout: 1000 }))?.includes("$0.126 / $0.100");
    }, "the card shows the spend against the budget");
    await waitAttr(card.getByTestId("card-spend"), "class", "spend-line is-reached");
    await waitText(card.getByTestId("card-spend"), "Budget reached");
    await waitAttr(page.getByTestId("needs-you"), "data-count", "1", "the header's badge counts the stopped run");
    await screenshot(page, "budgets-board");

    await card.click();
    const panel = page.getByTestId("spend-panel");
    await waitText(panel.getByTestId("budget-stop"), "usd: $0.1263 spent of $0.1000 (the run's budget)");
    await waitText(panel.locator(tid("spend-meter", { "data-key": "usd" })), "$0.126 / $0.100");
    await screenshot(page, "budgets-run-stopped");

    // A raise still below what was spent: the server's refusal is shown, nothing continues.
    await panel.getByTestId("budget-usd").fill("0.11");
    await panel.getByTestId("budget-raise").click();
    await waitText(panel.getByTestId("budget-error"), "still reached");
    await waitAttr(page.getByTestId("run-status"), "data-status", "waiting");

    await panel.getByTestId("budget-usd").fill("1");
    await panel.getByTestId("budget-raise").click();
    await waitAttr(page.getByTestId("run-status"), "data-status", "completed", "the raise continues the run to its end");
    await waitText(page.getByTestId("spend-panel").locator(tid("spend-meter", { "data-key": "usd" })), /\$0\.21\d? \/ \$1\.00/);
    await waitFor(async () => !(await page.getByTestId("budget-stop").count()), "the stop is gone");
    await screenshot(page, "budgets-run-raised");

    await page.goto(`${server.base}/p/${server.projectId}/board/${defId}`);
    await waitText(page.locator(tid("run-card", { "data-run-id": run })).getByTestId("card-spend"), /\$0\.21\d? \/ \$1\.00/);
    await waitAttr(page.getByTestId("needs-you"), "data-count", "0");
  });
});
