// The run page as a supervisor reads it, in Chromium against a real server with one run slot:
// cancel while a pause is pending, through the in-app dialog (focus kept in it, Escape backs
// out, Enter confirms); a resume at full capacity shown as queued, Resume disabled, a second
// resume refused by the API; the step's earlier try kept in its history; "not run" (never
// "waiting") for what a failed run did not run, no "so far" of an ended run; the waterfall
// of a parallel run, its state in the URL; cost and tokens; the tab title.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitFor, waitText } from "./harness.mjs";

const gate = (name) => `while [ ! -f gates/$WORKFLOW_RUN_ID.${name} ]; do sleep 0.05; done`;

/** One step held at its gate file: it keeps the only run slot busy. */
const HOLD = `name: Hold
phases: [work]
steps:
  - id: hold
    phase: work
    type: script
    command: echo holding; ${gate("hold")}; echo released
`;

/** Prepares, then fails (every try), and never gets to ship. */
const FAILS = `name: Fails midway
phases: [prepare, build, ship]
steps:
  - id: prep
    phase: prepare
    type: script
    command: echo prepared
  - id: flaky
    phase: build
    type: script
    command: 'echo try >> tries.txt; echo "broken build" >&2; exit 1'
  - id: ship
    phase: ship
    type: script
    command: echo shipped
`;

/** A step, two at once, an agent that reports its cost, a last step. */
const PARALLEL = `import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Fan out",
  phases: ["prep", "build", "report"],
  async execute(ctx) {
    await ctx.step("setup", { phase: "prep", type: "script", command: "sleep 0.3; echo ready" });
    await Promise.all([
      ctx.step("left", { phase: "build", type: "script", command: "sleep 1.5; echo left" }),
      ctx.step("right", { phase: "build", type: "script", command: "sleep 1.5; echo right" }),
    ]);
    await ctx.step("ask", { phase: "report", type: "agent", agent: "claude", prompt: "summarise the build" });
  },
});
`;

describe("the run page: supervision at a glance", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);
  const runUrl = (id, q = "") => `${server.base}/p/${server.projectId}/runs/${id}${q}`;
  const row = (key) => page.locator(tid("step-row", { "data-step-key": key }));
  const status = () => page.getByTestId("run-status");

  before(async () => {
    // One run slot: a second run waits for it.
    process.env.WORKFLOW_ENGINE_MAX_RUNS = "1";
    try {
      server = await startServer({ workflows: { "hold.yaml": HOLD, "fails.yaml": FAILS, "fan-out.ts": PARALLEL } });
    } finally {
      delete process.env.WORKFLOW_ENGINE_MAX_RUNS;
    }
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("cancel while a pause is pending, through the in-app dialog", async () => {
    const run = (await startRun(server, "Hold", {}, "held run")).id;
    await page.goto(runUrl(run));
    await waitText(status(), "running");
    await waitFor(() => page.title().then((t) => t.startsWith("held run · Running")), "the tab names the run and its status");
    await waitAttr(row("hold"), "data-status", "running");
    const [pause, cancel] = [page.getByTestId("run-pause"), page.getByTestId("run-cancel")];
    await pause.click();
    await page.getByTestId("pause-pending").waitFor();
    await waitFor(async () => (await cancel.isEnabled()) && !(await pause.isEnabled()), "cancel enabled while the pause is pending");

    // The dialog: modal, named, focus on its confirming button and kept inside it.
    await cancel.click();
    const dialog = page.getByTestId("confirm-dialog");
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute("role"), "alertdialog");
    assert.equal(await dialog.getAttribute("aria-modal"), "true");
    const named = await dialog.evaluate((d) => document.getElementById(d.getAttribute("aria-labelledby"))?.textContent);
    assert.match(named, /Cancel “held run”\?/);
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
    assert.equal(await focused(), "confirm-ok", "the confirming button has the focus");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "confirm-cancel", "Tab cycles within the dialog");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "confirm-ok");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(), "confirm-cancel");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(), "confirm-ok", "Shift+Tab cycles too");
    await screenshot(page, "runpage-confirm-laptop");

    // Escape backs out: the run goes on, the focus is back on Cancel.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.equal(await focused(), "run-cancel", "the focus returns to the button that asked");
    assert.equal((await server.api(server.token, "GET", `/workflow-executions/${run}`)).status, "running");
    await page.getByTestId("pause-pending").waitFor();
    assert.equal(await cancel.isEnabled(), true, "still cancellable while pausing");

    // "Go back" backs out too.
    await cancel.click();
    await page.getByTestId("confirm-cancel").click();
    await dialog.waitFor({ state: "detached" });
    assert.equal((await server.api(server.token, "GET", `/workflow-executions/${run}`)).status, "running");

    // Enter confirms.
    await cancel.click();
    await dialog.waitFor();
    await page.keyboard.press("Enter");
    await waitText(status(), "cancelled");
    assert.equal((await server.api(server.token, "GET", `/workflow-executions/${run}`)).status, "cancelled");
    await waitFor(() => page.title().then((t) => t.startsWith("held run · Cancelled")), "the tab follows the status");
    assert.deepEqual(page.errors, [], "no errors and no browser dialog");
  });

  test("a failed run says 'not run' for what it did not run, and no 'so far'", async () => {
    const run = (await startRun(server, "Fails midway", {}, "fails midway")).id;
    await page.goto(runUrl(run));
    await waitText(status(), "failed");
    await waitAttr(row("flaky"), "data-status", "failed");
    const ship = page.locator(tid("step-planned", { "data-step-key": "ship" }));
    await waitText(ship, "not run");
    assert.doesNotMatch(await ship.textContent(), /not run yet|waiting/i);
    const timeline = await page.locator(".timeline").textContent();
    assert.doesNotMatch(timeline, /waiting/i, "nothing of a failed run is waiting");
    assert.doesNotMatch(await page.getByTestId("run-steps-done").textContent(), /so far/);
    await page.locator(tid("phase-group", { "data-phase": "build" })).getByText("failed here").waitFor();
    await screenshot(page, "runpage-failed-laptop");
    server.failedRun = run;
  });

  test("a resume at full capacity shows the run queued; a second resume is refused; the earlier try is kept", async () => {
    const run = server.failedRun;
    assert.ok(run, "needs the failed run of the test before");
    const blocker = (await startRun(server, "Hold", {}, "slot holder")).id;
    await waitFor(async () => (await server.api(server.token, "GET", `/workflow-executions/${blocker}`)).status === "running", "the blocker holds the slot");

    await page.goto(runUrl(run));
    await waitText(status(), "failed");
    const resume = page.getByTestId("run-resume");
    await waitFor(() => resume.isEnabled(), "a failed run may be resumed");
    await resume.click();
    await waitText(status(), "pending");
    await page.getByTestId("run-queued").waitFor();
    await page.getByTestId("run-queued-chip").waitFor();
    // Its place in the server's queue, from the run's `queue`.
    await waitFor(
      async () => /1st in queue · 1\/1 running/.test((await page.getByTestId("run-queue-place").textContent().catch(() => "")) ?? ""),
      "the queued run says its place in the queue",
    );
    assert.equal(await resume.isEnabled(), false, "a queued run cannot be resumed again");
    assert.equal(await page.getByTestId("run-cancel").isEnabled(), true, "a queued run may be cancelled");
    await waitFor(() => page.title().then((t) => t.startsWith("fails midway · Queued to resume")), "the tab says queued");
    await screenshot(page, "runpage-queued-laptop");

    // The API refuses a second resume of the queued run, saying why.
    const r = await fetch(`${server.base}/api/workflow-executions/${run}/resume`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
      body: "{}",
    });
    const body = await r.json();
    assert.equal(r.status, 409, JSON.stringify(body));
    assert.equal(body.error.current_status, "pending");
    assert.match(body.error.message, /already queued/);

    // The slot frees: the run goes on, fails again; both tries are in the step's history.
    server.open(`${blocker}.hold`);
    await waitText(status(), "failed");
    await page.locator(tid("step-try", { "data-attempt": "2" })).waitFor();
    const tries = await page.locator(`${tid("step-row", { "data-step-key": "flaky" })} ${tid("step-try")}`).evaluateAll((els) =>
      els.map((e) => `${e.getAttribute("data-attempt")}:${e.getAttribute("data-outcome")}`),
    );
    assert.deepEqual(tries, ["1:failed", "2:failed"]);
    assert.equal(await page.getByTestId("run-queued").count(), 0, "no longer queued");
    await waitFor(() => resume.isEnabled(), "resumable again");
    // The waterfall shows both tries, and the time between them.
    await page.getByTestId("view-waterfall").click();
    const flaky = page.locator(tid("waterfall-row", { "data-step-key": "flaky" }));
    await flaky.waitFor();
    const kinds = await flaky.getByTestId("waterfall-bar").evaluateAll((els) => els.map((e) => `${e.dataset.kind}:${e.dataset.outcome}`));
    assert.deepEqual(kinds, ["try:failed", "gap:gap", "try:failed"]);
    // A list of links, each described in words (no table roles around links).
    assert.equal(await page.getByTestId("waterfall").locator('[role="table"], [role="row"], [role="cell"]').count(), 0);
    assert.match(await flaky.getAttribute("aria-label"), /^flaky.*: Try 1: failed, .*; Between tries: .*; Try 2: failed/);
    assert.equal(await flaky.evaluate((e) => e.tagName + ":" + e.parentElement.tagName), "A:LI");
    await screenshot(page, "runpage-tries-waterfall-laptop");
    await page.getByTestId("view-list").click();
    await page.getByTestId("step-tries").waitFor();
    await screenshot(page, "runpage-tries-list-laptop");
    assert.deepEqual(page.errors, []);
  });

  test("the waterfall of a parallel run, its view in the URL; cost and tokens; no 'so far' once done", async () => {
    const run = (await startRun(server, "Fan out", {}, "fan out")).id;
    await page.goto(runUrl(run));
    await waitText(status(), "completed");
    assert.doesNotMatch(await page.getByTestId("run-steps-done").textContent(), /so far/, "a completed TypeScript run");
    assert.match(await page.getByTestId("run-steps-done").textContent(), /^4\/4/);
    const spend = page.getByTestId("run-spend");
    await waitText(spend, /\$\d.*tokens/);
    const detail = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    assert.ok(detail.spend.tokens > 0 && detail.spend.usd > 0, JSON.stringify(detail.spend));
    assert.equal(Number(await spend.getAttribute("data-tokens")), detail.spend.tokens, "the run's tokens, summed by the server");

    await page.getByTestId("view-waterfall").click();
    await waitFor(() => new URL(page.url()).searchParams.get("view") === "waterfall", "the view in the URL");
    await page.getByTestId("waterfall").waitFor();
    const span = async (key) => {
      const r = page.locator(tid("waterfall-row", { "data-step-key": key }));
      return [Number(await r.getAttribute("data-from")), Number(await r.getAttribute("data-to"))];
    };
    const [setup, left, right, ask] = [await span("setup"), await span("left"), await span("right"), await span("ask")];
    assert.ok(left[0] < right[1] && right[0] < left[1], `left and right ran at once: ${left} ${right}`);
    assert.ok(setup[1] <= Math.min(left[0], right[0]), "setup before both");
    assert.ok(ask[0] >= Math.max(left[1], right[1]) - 5, "the agent after both");
    // On screen, the parallel bars overlap horizontally.
    const box = async (key) => page.locator(tid("waterfall-row", { "data-step-key": key })).getByTestId("waterfall-bar").first().boundingBox();
    const [lb, rb] = [await box("left"), await box("right")];
    assert.ok(lb.x < rb.x + rb.width && rb.x < lb.x + lb.width, "the bars overlap on the axis");
    assert.ok(lb.width > 50, `a 1.5 s step is a visible bar (${lb.width}px)`);
    await screenshot(page, "runpage-waterfall-laptop");

    // A reload keeps the view; a row opens the step, the view stays under the panel.
    await page.reload();
    await page.getByTestId("waterfall").waitFor();
    assert.equal(await page.getByTestId("view-waterfall").getAttribute("aria-pressed"), "true");
    await page.locator(tid("waterfall-row", { "data-step-key": "left" })).click();
    await page.getByTestId("step-panel").waitFor();
    assert.equal(new URL(page.url()).searchParams.get("view"), "waterfall");
    await waitFor(() => page.title().then((t) => t.startsWith("left · fan out · Completed")), "the tab names the open step");
    await page.keyboard.press("Escape");
    await waitFor(() => !/\/steps\//.test(page.url()), "the panel closes");
    assert.equal(new URL(page.url()).searchParams.get("view"), "waterfall", "closing the panel keeps the view");

    // Back to the list: the URL says so.
    await page.getByTestId("view-list").click();
    await waitFor(() => new URL(page.url()).searchParams.get("view") === null, "the list is the default");
    await page.locator(".timeline").waitFor();

    // Phone and dark: the waterfall and the dialog.
    const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    try {
      await signIn(phone, server);
      await phone.goto(runUrl(run, "?view=waterfall"));
      await phone.getByTestId("waterfall").waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no sideways scroll on a phone (${width}px)`);
      await screenshot(phone, "runpage-waterfall-phone-dark");
      const held = (await startRun(server, "Hold", {}, "held on a phone")).id;
      await phone.goto(runUrl(held));
      await waitText(phone.getByTestId("run-status"), "running");
      await phone.getByTestId("run-cancel").click();
      await phone.getByTestId("confirm-dialog").waitFor();
      await screenshot(phone, "runpage-confirm-phone-dark");
      await phone.getByTestId("confirm-ok").click();
      await waitText(phone.getByTestId("run-status"), "cancelled");
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context().close();
    }
    assert.deepEqual(page.errors, []);
  });
});
