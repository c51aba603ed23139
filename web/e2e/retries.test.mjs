// A retried step's tries in the step panel, in a real browser against a real server: each try
// with its outcome and error, and each try's own log opened from the list.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitText } from "./harness.mjs";

const FLAKY = `name: Flaky build
phases: [build]
steps:
  - id: flaky
    phase: build
    type: script
    command: 'c=$(cat count 2>/dev/null || echo 0); c=$((c+1)); echo $c > count; echo "try $c"; [ $c -ge 3 ]'
    retry: { attempts: 4, initialDelay: 100ms }
`;

describe("retries in the step panel", () => {
  let server, browser, page, run;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "flaky.yaml": FLAKY } });
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
    run = (await startRun(server, "Flaky build", {}, "flaky build")).id;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const row = (key) => page.locator(tid("step-row", { "data-step-key": key }));
  const panel = () => page.getByTestId("step-panel");

  test("each try is listed with its outcome, error and own log", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/runs/${run}`);
    await waitAttr(row("flaky"), "data-status", "completed");
    await row("flaky").click();
    const list = panel().getByTestId("step-attempts");
    await list.waitFor();
    await waitText(list, /Tries \(3\)/, "three tries");
    const attempt = (n) => list.getByTestId(`step-attempt-${n}`);
    assert.equal(await attempt(1).locator("[data-status]").getAttribute("data-status"), "failed");
    assert.equal(await attempt(3).locator("[data-status]").getAttribute("data-status"), "completed");
    await waitText(attempt(1), "command exited with code 1", "the first try's error");
    await list.getByTestId("step-attempt-toggle-2").click();
    await waitText(list.getByTestId("step-attempt-log-2"), "try 2", "the second try's own log");
    assert.doesNotMatch(await list.getByTestId("step-attempt-log-2").innerText(), /try 1/);
    await screenshot(page, "step-attempts");
  });
});
