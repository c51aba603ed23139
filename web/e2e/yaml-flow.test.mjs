// A YAML step whose `if:` is false, in a real browser against a real server: the run page
// shows it muted as "skipped: <reason>" (not as an error), its panel says so, and the board's
// card marks the step it shows as skipped.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitFor, waitText } from "./harness.mjs";

const SKIP_FLOW = `name: Skip flow
argsSchema:
  type: object
  properties:
    env: { type: string, default: dev }
phases: [build, ship]
steps:
  - id: build
    phase: build
    type: script
    command: echo built for {{ args.env }}
  - id: deploy
    phase: ship
    if: args.env == 'prod' && steps.build.status == 'completed'
    type: script
    command: echo deployed
`;

const REASON = "skipped: the condition `args.env == 'prod' && steps.build.status == 'completed'` was false";

describe("skipped steps", () => {
  let server, browser, page, run, prod;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "skip.yaml": SKIP_FLOW } });
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
    run = (await startRun(server, "Skip flow", { env: "dev" }, "dev run")).id;
    prod = (await startRun(server, "Skip flow", { env: "prod" }, "prod run")).id;
    for (const id of [run, prod]) {
      await waitFor(async () => (await server.api(server.token, "GET", `/workflow-executions/${id}`)).status === "completed", `run ${id} completes`);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const row = (key) => page.locator(tid("step-row", { "data-step-key": key }));

  test("the run page shows a skipped step muted with its reason, not as an error", async () => {
    const detail = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    const deploy = detail.steps.find((s) => s.step_id === "deploy");
    assert.equal(deploy.status, "skipped");
    assert.equal(`skipped: ${deploy.error_message}`, REASON);

    await page.goto(`${server.base}/p/${server.projectId}/runs/${run}`);
    await waitAttr(row("deploy"), "data-status", "skipped");
    await waitText(row("deploy").getByTestId("step-skipped"), REASON);
    assert.equal(await row("deploy").locator(".step-error").count(), 0, "no error line for a skipped step");
    assert.equal(await row("deploy").locator(".step-icon-skipped").count(), 1);
    const color = await row("deploy").locator(".step-name").evaluate((e) => getComputedStyle(e).color);
    const built = await row("build").locator(".step-name").evaluate((e) => getComputedStyle(e).color);
    assert.notEqual(color, built, "the skipped step's name is muted");
    await waitText(page.locator("dd").filter({ hasText: "skipped" }), "1/2 · 1 skipped");
    await screenshot(page, "yaml-skipped-run");

    await row("deploy").click();
    const panel = page.getByTestId("step-panel");
    await waitText(panel.getByTestId("step-skipped"), REASON);
    assert.equal(await panel.locator('[role="alert"]').count(), 0, "the panel shows no error");
    await waitText(panel.locator(".badge-skipped"), "skipped");
    await screenshot(page, "yaml-skipped-panel");

    // The prod run deployed: nothing skipped there.
    await page.goto(`${server.base}/p/${server.projectId}/runs/${prod}`);
    await waitAttr(row("deploy"), "data-status", "completed");
    assert.equal(await page.getByTestId("step-skipped").count(), 0);
    assert.deepEqual(page.errors, []);
  });

  test("the board's card marks the step it shows as skipped", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/board/${server.definitions["Skip flow"].id}`);
    const card = (id) => page.locator(tid("run-card", { "data-run-id": id }));
    await card(run).waitFor();
    await waitText(card(run).getByTestId("card-step"), "deploy");
    await waitText(card(run).getByTestId("card-step-skipped"), "skipped");
    await card(prod).waitFor();
    assert.equal(await card(prod).getByTestId("card-step-skipped").count(), 0);
    await screenshot(page, "yaml-skipped-board");
    assert.deepEqual(page.errors, []);
  });
});
