// Runs that wait for a person, end to end: a TypeScript workflow stops at an approval gate;
// its card says so in its phase column and the header's badge counts it; the run page's gate
// panel requests changes (the workflow plans again and asks at a second gate), then approves,
// and the run completes. A second browser on the same run sees each decision without a reload.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitCount, waitFor, waitText } from "./harness.mjs";
import { GATED_DEPLOY, REVIEWED_PLAN } from "./workflows.mjs";

describe("waits", () => {
  let server, browser, page, other;
  const test = testWithShots(nodeTest, () => [page, other], () => server);

  before(async () => {
    server = await startServer({
      workflows: { "reviewed.ts": REVIEWED_PLAN, "deploy.yaml": GATED_DEPLOY },
      users: [{ email: "ann@example.com" }, { email: "bob@example.com", admin: true }],
    });
    browser = await launchBrowser();
    page = await newPage(browser);
    other = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const defId = () => server.definitions["Reviewed plan"].id;
  const runUrl = (run) => `${server.base}/p/${server.projectId}/runs/${run}`;

  test("a gate: the card and the badge, request changes, a second gate, approve; a second browser follows", async () => {
    await signIn(page, server);
    await signIn(other, server, "bob@example.com");
    await page.goto(`${server.base}/p/${server.projectId}/board/${defId()}`);
    await waitAttr(page.getByTestId("ws-status"), "data-state", "open");
    const run = (await startRun(server, "Reviewed plan", {}, "Plan the waits")).id;

    // The card waits in its phase column, says what for, and the header counts the gate.
    const card = page.locator(`${tid("board-column", { "data-phase": "review" })} ${tid("run-card", { "data-run-id": run })}`);
    await waitAttr(card, "data-status", "waiting", "the card is waiting in the review column");
    await waitText(card.getByTestId("card-wait"), "Needs approval: Approve the plan (round 1)");
    await waitAttr(page.getByTestId("needs-you"), "data-count", "1", "the header's badge counts the gate");
    await waitFor(async () => (await page.title()).startsWith("(1) "), "the tab's title counts it too");
    await screenshot(page, "waits-live-board");

    await page.getByTestId("needs-you").click();
    const item = page.getByTestId("needs-you-list").locator(tid("needs-you-item", { "data-run-id": run }));
    await waitText(item, "Approve the plan (round 1)");
    await item.click();
    await waitFor(() => new URL(page.url()).pathname === `/p/${server.projectId}/runs/${run}`, "the list opens the run");
    await other.goto(runUrl(run));

    const panel = page.getByTestId("gate-panel");
    await waitAttr(panel, "data-step-key", "approve-plan");
    await waitAttr(panel, "data-can-decide", "true");
    await waitText(panel.getByTestId("gate-title"), "Approve the plan (round 1)");
    assert.equal(await panel.getByTestId("gate-description").locator("strong").textContent(), "three", "the description is Markdown");
    await waitText(panel.getByTestId("gate-previous-output"), "the plan, round 1", "the plan step's output is shown");
    await waitAttr(other.getByTestId("gate-panel"), "data-step-key", "approve-plan");
    await screenshot(page, "waits-live-gate");

    // Request changes: the comment is asked for first.
    await panel.getByTestId("gate-request-changes").click();
    await panel.getByTestId("gate-comment-error").waitFor();
    await panel.getByTestId("gate-comment").fill("Split it in two.");
    await panel.getByTestId("gate-request-changes").click();

    // Both browsers see the decision on the gate's step row; the workflow asks again.
    for (const p of [page, other]) {
      const row = p.locator(tid("step-row", { "data-step-key": "approve-plan" }));
      await waitText(row.getByTestId("decision-line"), "Changes requested", "the first gate's decision on its row");
      await waitText(row.getByTestId("decision-by"), "ann@example.com");
      await waitText(row.getByTestId("decision-comment"), "Split it in two.");
    }
    await waitAttr(page.getByTestId("gate-panel"), "data-step-key", "approve-plan-2", "the second round's gate");
    await waitAttr(other.getByTestId("gate-panel"), "data-step-key", "approve-plan-2", "the second browser sees the second gate without a reload");
    await waitText(page.getByTestId("gate-panel").getByTestId("gate-previous-output"), "the plan, round 2");
    await waitAttr(page.getByTestId("needs-you"), "data-count", "1", "the badge counts the new gate");

    await page.getByTestId("gate-panel").getByTestId("gate-comment").fill("Good now.");
    await page.getByTestId("gate-panel").getByTestId("gate-approve").click();
    await waitAttr(page.getByTestId("gate-decision"), "data-decision", "approved", "the panel shows the decision");
    await waitText(page.getByTestId("gate-decision").getByTestId("decision-by"), "ann@example.com");
    for (const p of [page, other]) {
      await waitAttr(p.getByTestId("run-status"), "data-status", "completed", "the run completes");
      const row = p.locator(tid("step-row", { "data-step-key": "approve-plan-2" }));
      await waitText(row.getByTestId("decision-line"), "Approved");
      await waitAttr(p.locator(tid("step-row", { "data-step-key": "build" })), "data-status", "completed");
    }
    await waitCount(other.getByTestId("gate-panel"), 0, "no gate is left open in the second browser");
    await waitAttr(page.getByTestId("needs-you"), "data-count", "0", "nothing needs Ann any more");
    assert.ok(!(await page.title()).startsWith("("), "nor in the tab's title");
    await waitAttr(other.getByTestId("needs-you"), "data-count", "0", "nor Bob");
    await screenshot(page, "waits-live-approved");

    const detail = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    assert.deepEqual(
      detail.steps.map((s) => `${s.step_id}:${s.status}`),
      ["plan-1:completed", "approve-plan:completed", "plan-2:completed", "approve-plan-2:completed", "build:completed"],
    );
    assert.equal(detail.steps[1].result.data.decision, "changes_requested");
    assert.equal(detail.steps[3].result.data.decision, "approved");
    assert.deepEqual(page.errors, [], "no errors in the first page");
    assert.deepEqual(other.errors, [], "no errors in the second page");
  });

  test("a 409: a gate decided elsewhere first says by whom, and the page follows", async () => {
    const run = (await startRun(server, "Reviewed plan", {}, "Decided elsewhere")).id;
    // A page whose live stream is cut (its socket answers nothing): it cannot know that Bob
    // decided, so Ann's click is the one that finds out.
    const stale = await newPage(browser);
    await stale.routeWebSocket(/\/api\/ws/, () => {});
    await signIn(stale, server);
    await stale.goto(runUrl(run));
    const panel = stale.getByTestId("gate-panel");
    await waitAttr(panel, "data-step-key", "approve-plan");
    const bob = await server.login("bob@example.com");
    await server.api(bob, "POST", `/workflow-executions/${run}/approvals/approve-plan`, { decision: "approve", comment: "Bob says yes." });
    await panel.getByTestId("gate-approve").click();
    await waitText(stale.getByTestId("gate-conflict"), "bob@example.com", "the 409 names who decided");
    await waitText(stale.getByTestId("gate-decision").getByTestId("decision-by"), "bob@example.com", "the page read the run again");
    await waitText(stale.getByTestId("gate-decision").getByTestId("decision-comment"), "Bob says yes.");
    await screenshot(stale, "waits-live-conflict");
    assert.deepEqual(stale.errors, [], "no errors in the page");
    await stale.context().close();
  });

  test("a YAML gate with approvers and a form, then a signal sent from the page, then a sleep", async () => {
    const run = (await startRun(server, "Gated deploy", {}, "Deploy v2")).id;
    // Bob may see the run but is not among the approvers.
    await other.goto(runUrl(run));
    const bobs = other.getByTestId("gate-panel");
    await waitAttr(bobs, "data-can-decide", "false");
    await waitText(bobs.getByTestId("gate-reason"), "Only ann@example.com may decide.");
    for (const b of ["gate-approve", "gate-request-changes", "gate-reject"]) assert.equal(await bobs.getByTestId(b).isEnabled(), false, `${b} is disabled for Bob`);
    await waitAttr(other.getByTestId("needs-you"), "data-count", "0", "nothing needs Bob");

    await page.goto(runUrl(run));
    await waitAttr(page.getByTestId("needs-you"), "data-count", "1");
    const panel = page.getByTestId("gate-panel");
    await waitAttr(panel, "data-can-decide", "true");
    await waitText(panel.getByTestId("gate-previous-output"), "all checks green");
    // The server checks the form: its 400 is shown by the field, and nothing is decided.
    await panel.getByTestId("gate-input-risk").fill("9");
    await panel.getByTestId("gate-approve").click();
    await waitText(panel.getByTestId("gate-input-error-risk"), "5", "the server's complaint about risk, by the field");
    await screenshot(page, "waits-live-form-error");
    await panel.getByTestId("gate-input-risk").fill("2");
    await panel.getByTestId("gate-input-notes").fill("after the standup");
    await panel.getByTestId("gate-approve").click();
    await waitAttr(page.getByTestId("gate-decision"), "data-decision", "approved");
    await waitText(page.getByTestId("gate-decision").getByTestId("decision-input"), "after the standup", "what Ann filled in");

    // The signal wait: sent from its panel, with a payload.
    const signal = page.getByTestId("signal-panel");
    await waitText(signal.getByTestId("signal-name"), "deploy");
    await waitAttr(page.getByTestId("run-status"), "data-status", "waiting", "the run waits for the signal");
    await signal.getByTestId("signal-payload").fill('{ "version": "2.0.0" }');
    await screenshot(page, "waits-live-signal");
    await signal.getByTestId("signal-send").click();
    // Then the sleep, with its countdown, and the end.
    await waitText(page.getByTestId("sleep-panel").getByTestId("sleep-countdown"), /^[1-4]s$|waking/, "the sleep counts down");
    await waitAttr(page.getByTestId("run-status"), "data-status", "completed", "the run completes after its sleep");
    await waitAttr(other.getByTestId("run-status"), "data-status", "completed", "Bob's page follows");

    const detail = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    const gate = detail.steps.find((s) => s.step_id === "approve-deploy");
    assert.deepEqual(gate.result.data.input, { risk: 2, notes: "after the standup" });
    assert.equal(gate.result.data.by, "ann@example.com");
    assert.match(JSON.stringify(detail.steps.find((s) => s.step_id === "deployed").result), /"version":"2\.0\.0"/, "the signal's payload");
    assert.deepEqual(page.errors, [], "no errors in Ann's page");
    assert.deepEqual(other.errors, [], "no errors in Bob's page");
  });
});
