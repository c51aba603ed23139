// Run again and rerun from a step in a real browser against a real server: the run page's
// "Run again" (arguments edited, bad ones refused with the server's words), a step panel's
// "Rerun from here" (the steps before it reused), and the links between a run and its reruns.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, runIdFromUrl, screenshot, signIn, startRun, startServer, testWithShots, tid, waitCount, waitFor, waitText } from "./harness.mjs";

const THREE = `name: Three steps
phases: [work]
argsSchema:
  type: object
  properties:
    who: { type: string }
  required: [who]
steps:
  - id: greet
    phase: work
    type: script
    command: echo hello {{ args.who }}
  - id: middle
    phase: work
    type: script
    command: echo middle
  - id: last
    phase: work
    type: script
    command: echo last {{ steps.greet.data.stdout }}
`;

describe("reruns", () => {
  let server, browser, page, parent;
  const test = testWithShots(nodeTest, () => [page], () => server);
  const runOf = (id) => server.api(server.token, "GET", `/workflow-executions/${id}`);
  const done = (id) => waitFor(async () => ["completed", "failed"].includes((await runOf(id)).status) && runOf(id), `run ${id} to end`);

  before(async () => {
    server = await startServer({ workflows: { "three.yaml": THREE } });
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
    parent = (await startRun(server, "Three steps", { who: "ann" })).id;
    assert.equal((await done(parent)).status, "completed");
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("Run again starts a new run with edited arguments, linked both ways", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/runs/${parent}`);
    await page.getByTestId("run-again").click();
    const form = page.getByTestId("run-again-form");
    const args = page.getByTestId("run-again-form-args");
    assert.match(await args.inputValue(), /"who": "ann"/, "the run's own arguments to start from");

    await args.fill("{ not json");
    await page.getByTestId("run-again-form-submit").click();
    await waitText(page.getByTestId("run-again-form-error"), "not JSON");
    await args.fill('{ "who": 3 }');
    await page.getByTestId("run-again-form-submit").click();
    await waitText(page.getByTestId("run-again-form-error"), "argsSchema", "the server's refusal is shown");
    assert.equal((await runOf(parent)).reruns.length, 0, "nothing was started");

    await args.fill('{ "who": "bob" }');
    await screenshot(page, "run-again-form");
    await page.getByTestId("run-again-form-submit").click();
    const child = await waitFor(() => {
      const id = runIdFromUrl(page.url());
      return id && id !== parent && id;
    }, "the new run's page");
    await form.waitFor({ state: "detached" });
    const ended = await done(child);
    assert.equal(ended.status, "completed");
    assert.deepEqual(ended.args, { who: "bob" });
    assert.equal(ended.parent_run_id, parent);
    assert.equal(ended.forked_from_step, null);
    await waitText(page.getByTestId("run-parent"), `Run again of ${parent}`);
    await waitText(page.locator(tid("step-row", { "data-step-key": "last" })), "last", "every step ran");

    await page.getByTestId("run-parent").getByRole("link").click();
    await waitFor(() => runIdFromUrl(page.url()) === parent, "back on the original");
    await waitCount(page.getByTestId("rerun-link"), 1);
    await waitText(page.getByTestId("run-reruns"), "from the start");
  });

  test("Rerun from here reuses the steps before the chosen one and runs the rest", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/runs/${parent}`);
    await page.locator(tid("step-row", { "data-step-key": "middle" })).click();
    await page.getByTestId("step-panel").waitFor();
    await page.getByTestId("step-rerun").click();
    const form = page.getByTestId("rerun-form");
    await waitText(form, "reuses the results of the 1 step recorded before middle");
    await screenshot(page, "rerun-from-here-form");
    await page.getByTestId("rerun-form-submit").click();
    const child = await waitFor(() => {
      const id = runIdFromUrl(page.url());
      return id && id !== parent && id;
    }, "the rerun's page");
    const ended = await done(child);
    assert.equal(ended.status, "completed");
    assert.equal(ended.forked_from_step, "middle");
    const original = await runOf(parent);
    const [g0, g1] = [original.steps[0], ended.steps[0]];
    assert.equal(g1.step_id, "greet");
    assert.equal(g1.started_at, g0.started_at, "greet was reused, not run");
    assert.notEqual(ended.steps[1].started_at, original.steps[1].started_at, "middle ran again");
    assert.match(JSON.stringify(ended.steps[2].result), /last hello ann/, "the reused result reached the step after");
    await waitText(page.getByTestId("run-parent"), "Rerun from step middle of");
    await waitCount(page.getByTestId("step-reused"), 1, "greet is marked reused, and only greet");
    assert.equal(await page.locator(tid("step-row", { "data-step-key": "greet" })).getByTestId("step-reused").count(), 1);
    await screenshot(page, "rerun-from-here-run");

    await page.goto(`${server.base}/p/${server.projectId}/runs/${parent}`);
    await waitCount(page.getByTestId("rerun-link"), 2);
    await waitText(page.getByTestId("run-reruns"), "from middle");
    await screenshot(page, "reruns-of-a-run");
  });

  test("a run again of a workflow edited since says so on the new run's page", async () => {
    writeFileSync(path.join(server.project, ".agent/workflows/definitions/three.yaml"), THREE.replace("echo middle", "echo MIDDLE"));
    await page.goto(`${server.base}/p/${server.projectId}/runs/${parent}`);
    await page.getByTestId("run-again").click();
    await page.getByTestId("run-again-form-submit").click();
    const child = await waitFor(() => {
      const id = runIdFromUrl(page.url());
      return id && id !== parent && id;
    }, "the new run's page");
    await waitText(page.getByTestId("run-warning"), `the workflow changed since run ${parent} ran it`);
    const ended = await done(child);
    assert.match(JSON.stringify(ended.steps[1].result), /MIDDLE/, "the current version ran");
    await screenshot(page, "run-again-changed-definition");
  });
});
