// A retried step's tries in the step panel, in a real browser against a real server: each try
// with its outcome and error, and each try's own log opened from the list; a step whose
// retries ran out waits for a person, who skips it with a value from the run's page.

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

const PARKED = `name: Parked deploy
phases: [deploy]
steps:
  - id: push
    phase: deploy
    type: script
    command: 'echo "registry down" >&2; exit 3'
    retry: { attempts: 2, initialDelay: 10ms, onExhausted: wait }
  - id: announce
    phase: deploy
    type: script
    command: echo announced {{ steps.push.data.url }}
`;

describe("retries in the step panel", () => {
  let server, browser, page, run;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "flaky.yaml": FLAKY, "parked.yaml": PARKED } });
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
    // The step's Log tab reads every try's file in order, each line once: on a page that saw
    // the tries live and on one opened afterwards.
    const logLines = async () => (await panel().getByTestId("step-log").innerText()).split("\n").filter((l) => /^try \d$|Retry/.test(l.trim()));
    const expectOnce = async (when) => {
      await waitText(panel().getByTestId("step-log"), "try 3", `the third try's output in the step log (${when})`);
      const lines = await logLines();
      assert.deepEqual(lines.filter((l) => /^try \d$/.test(l.trim())).map((l) => l.trim()), ["try 1", "try 2", "try 3"], `${when}: ${lines.join(" | ")}`);
      assert.equal(lines.filter((l) => l.includes("Retry")).length, 2, `${when}: ${lines.join(" | ")}`);
    };
    await expectOnce("seen live");
    await screenshot(page, "step-attempts");
    await page.reload();
    await row("flaky").click();
    await expectOnce("opened afterwards");
  });

  test("a step whose retries ran out is skipped with a value from the run's page", async () => {
    const parked = (await startRun(server, "Parked deploy", {}, "parked deploy")).id;
    await page.goto(`${server.base}/p/${server.projectId}/runs/${parked}`);
    const retry = page.getByTestId("retry-panel");
    await retry.waitFor();
    await waitText(retry.getByTestId("retry-title"), /"push" failed after 2 tries/, "the panel says what failed");
    await waitText(retry.getByTestId("retry-error"), "registry down", "the last error");
    await screenshot(page, "retry-panel");
    await retry.getByTestId("retry-value").fill("{nope");
    await retry.getByTestId("retry-skip").click();
    await waitText(retry.getByTestId("retry-decision-error"), "not valid JSON", "a bad value is refused here");
    await retry.getByTestId("retry-value").fill('{ "url": "https://example.test/v2" }');
    await retry.getByTestId("retry-skip").click();
    await waitAttr(row("announce"), "data-status", "completed");
    const run = await server.api(server.token, "GET", `/workflow-executions/${parked}`);
    assert.equal(run.status, "completed");
    const announce = run.steps.find((s) => s.step_id === "announce");
    assert.match(announce.result.data.stdout, /announced https:\/\/example.test\/v2/);
    assert.equal(await page.getByTestId("retry-panel").count(), 0);
  });
});
