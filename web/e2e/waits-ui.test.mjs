// The board's side of runs that wait (issue 14) against the waits contract, with the waits'
// answers written here (playwright's `page.route`): a real server runs real runs, and their
// JSON is rewritten into runs waiting at an approval gate, a sleep and a signal. This pins
// what the UI does with every answer the contract allows (a 400 naming a form field, a 409,
// a user who may not decide) whatever the engine does; waits.test.mjs drives the real thing.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitCount, waitFor, waitText } from "./harness.mjs";
import { PLAN_THEN_HOLD } from "./workflows.mjs";

const MIN = 60_000;
const iso = (ms) => new Date(ms).toISOString();

describe("waits (UI against the contract)", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);
  /** run id → how it waits: "gate" | "gate-others" | "sleep" | "signal" | "decided" */
  const mode = new Map();
  const posts = [];
  let answer = () => ({ status: 500, body: { error: { code: "unset", message: "no answer set" } } });

  const gateWait = (since, deadline, canDecide) => ({
    kind: "approval",
    title: "Approve the plan",
    description:
      "The planner proposes **three** changes:\n\n1. Split `engine/run.rs`\n2. Add the waits table\n3. A board panel\n\nSee the plan's output below; request changes with what to redo.",
    approvers: canDecide ? ["ann@example.com", "bob@example.com"] : ["carol@example.com", "dave@example.com"],
    form: {
      type: "object",
      properties: {
        risk: { type: "integer", minimum: 1, maximum: 5, title: "Risk (1–5)", description: "How risky the plan is" },
        notes: { type: "string", title: "Notes for the builder" },
      },
      required: ["risk"],
    },
    on_timeout: "reject",
    signal_name: null,
    deadline,
    since,
    resolved_at: null,
    can_decide: canDecide,
  });

  /** The run as the contract says a waiting one looks: its `hold` step becomes the wait. */
  function rewrite(run) {
    const m = mode.get(run.id);
    if (!m || !Array.isArray(run.steps)) return run;
    const hold = run.steps.find((s) => s.step_id === "hold");
    if (!hold) return run;
    const since = iso(Date.now() - 3 * MIN);
    const waits = {
      gate: { step_id: "approve-plan", name: "Approve the plan", type: "approval", wait: gateWait(since, iso(Date.now() + 2 * 60 * MIN), true) },
      "gate-others": { step_id: "approve-plan", name: "Approve the plan", type: "approval", wait: gateWait(since, null, false) },
      sleep: {
        step_id: "cool-down",
        name: "Cool down",
        type: "sleep",
        wait: { kind: "sleep", title: null, description: null, approvers: [], form: null, on_timeout: null, signal_name: null, deadline: iso(Date.now() + 25 * MIN), since, resolved_at: null, can_decide: false },
      },
      signal: {
        step_id: "wait-deploy",
        name: "Wait for the deploy",
        type: "signal",
        wait: { kind: "signal", title: null, description: null, approvers: [], form: null, on_timeout: "fail", signal_name: "deploy", deadline: null, since, resolved_at: null, can_decide: false },
      },
    };
    if (m === "decided") {
      const gate = {
        ...hold,
        step_id: "approve-plan",
        name: "Approve the plan",
        type: "approval",
        status: "completed",
        completed_at: iso(Date.now() - MIN),
        result: { success: true, data: { decision: "approved", by: "bob@example.com", at: iso(Date.now() - MIN), comment: "Looks right; ship it." } },
        wait: { ...gateWait(since, null, false), resolved_at: iso(Date.now() - MIN) },
      };
      return { ...run, status: "running", steps: run.steps.map((s) => (s.id === hold.id ? gate : s)), waiting_for: [] };
    }
    const w = waits[m];
    const step = { ...hold, ...w, status: "waiting", result: null, completed_at: null };
    const info = {
      step_id: hold.id,
      step_key: w.step_id,
      kind: w.wait.kind,
      title: w.wait.title,
      signal_name: w.wait.signal_name,
      deadline: w.wait.deadline,
      since,
    };
    return { ...run, status: "waiting", current_phase: "review", steps: run.steps.map((s) => (s.id === hold.id ? step : s)), waiting_for: [info] };
  }

  async function mock(p) {
    await p.route(
      (url) => url.pathname.startsWith("/api/workflow-executions") && !url.pathname.includes("/comments"),
      async (route) => {
        const req = route.request();
        const path = new URL(req.url()).pathname;
        if (req.method() === "POST" && /\/approvals\//.test(path)) {
          posts.push({ path, body: req.postDataJSON() });
          const a = answer(req.postDataJSON());
          return route.fulfill({ status: a.status, contentType: "application/json", body: JSON.stringify(a.body) });
        }
        if (req.method() === "POST" && /\/signals\//.test(path)) {
          posts.push({ path, body: req.postDataJSON() });
          return route.fulfill({ status: 202, contentType: "application/json", body: JSON.stringify({ data: { id: "sig1", name: "deploy", duplicate: false, delivered_to: "x" } }) });
        }
        if (req.method() !== "GET") return route.continue();
        const res = await route.fetch();
        const json = await res.json();
        if (Array.isArray(json.data)) json.data = json.data.map(rewrite);
        else if (json.data) json.data = rewrite(json.data);
        return route.fulfill({ response: res, json });
      },
    );
    // The board's answer: its runs rewritten the same way; in the status view a run goes to
    // its rewritten status's column, and the counts follow.
    await p.route(
      (url) => url.pathname === "/api/board",
      async (route) => {
        const res = await route.fetch();
        const board = await res.json();
        const byStatus = !new URL(route.request().url()).searchParams.get("workflow_definition_id");
        const runs = board.columns.flatMap((c) => c.runs.map(rewrite));
        for (const c of board.columns) {
          const mine = byStatus ? runs.filter((r) => r.status === c.key) : c.runs.map(rewrite);
          if (byStatus) c.count += mine.length - c.runs.length;
          c.runs = mine;
        }
        board.running = runs.filter((r) => r.status === "running").length;
        board.waiting = runs.filter((r) => r.status === "waiting").length;
        return route.fulfill({ response: res, json: board });
      },
    );
    await p.route(
      (url) => url.pathname === "/api/approvals",
      (route) => {
        const list = [...mode.entries()]
          .filter(([, m]) => m === "gate" || m === "gate-others")
          .map(([id, m]) => ({
            execution_id: id,
            execution_name: m === "gate" ? "Plan the waits" : "Plan the billing",
            project_id: server.projectId,
            project_name: "e2e",
            workflow_name: "Plan then hold",
            step_id: `${id}-gate`,
            step_key: "approve-plan",
            title: "Approve the plan",
            phase: "review",
            since: iso(Date.now() - 3 * MIN),
            deadline: null,
            can_decide: m === "gate",
          }));
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ data: list }) });
      },
    );
  }

  let gateRun, othersRun, sleepRun, signalRun;

  before(async () => {
    server = await startServer({ workflows: { "plan.yaml": PLAN_THEN_HOLD } });
    browser = await launchBrowser();
    gateRun = (await startRun(server, "Plan then hold", {}, "Plan the waits")).id;
    othersRun = (await startRun(server, "Plan then hold", {}, "Plan the billing")).id;
    sleepRun = (await startRun(server, "Plan then hold", {}, "Cool down after deploy")).id;
    signalRun = (await startRun(server, "Plan then hold", {}, "Deploy the site")).id;
    // Each reaches its held step (the plan's output is real).
    await waitFor(async () => {
      const runs = await server.api(server.token, "GET", `/workflow-executions?project_id=${server.projectId}`);
      return runs.length === 4 && runs.every((r) => r.steps.some((s) => s.step_id === "hold" && s.status === "running"));
    }, "the four runs at their held step");
    mode.set(gateRun, "gate").set(othersRun, "gate-others").set(sleepRun, "sleep").set(signalRun, "signal");
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const defId = () => server.definitions["Plan then hold"].id;
  const boardUrl = () => `${server.base}/p/${server.projectId}/board/${defId()}`;
  const runUrl = (run) => `${server.base}/p/${server.projectId}/runs/${run}`;

  for (const [name, options] of [
    ["laptop-light", {}],
    ["laptop-dark", { colorScheme: "dark" }],
    ["phone-light", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
    ["phone-dark", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: "dark" }],
  ]) {
    test(`${name}: waiting cards in their phase, the header badge and its list, the gate panel`, async () => {
      page = await newPage(browser, options);
      await mock(page);
      await signIn(page, server);
      await page.goto(boardUrl());
      const col = page.locator(tid("board-column", { "data-phase": "review" }));
      await waitCount(col.getByTestId("run-card"), 4, "the four waiting runs stand in their phase column, review");
      const card = (run) => col.locator(tid("run-card", { "data-run-id": run }));
      await waitAttr(card(gateRun), "data-status", "waiting");
      await waitText(card(gateRun).getByTestId("card-wait"), "Needs approval: Approve the plan");
      await waitText(card(sleepRun).getByTestId("card-wait"), /Sleeping until (\w{3} \d{1,2}, )?\d/);
      await waitText(card(sleepRun).getByTestId("card-wait"), /2\dm \d\ds/, "the sleep's countdown");
      await waitText(card(signalRun).getByTestId("card-wait"), "Waiting for signal deploy");
      await waitText(card(gateRun).getByTestId("card-status"), "waiting");

      const badge = page.getByTestId("needs-you");
      await waitAttr(badge, "data-count", "1", "the badge counts the one gate Ann may decide");
      await screenshot(page, `waits-board-${name}`);
      await badge.click();
      const items = page.getByTestId("needs-you-list").getByTestId("needs-you-item");
      await waitCount(items, 2, "the list has both gates");
      assert.equal(await items.first().getAttribute("data-can-decide"), "true", "Ann's gate first");
      await screenshot(page, `waits-badge-${name}`);
      await items.first().click();
      await waitFor(() => new URL(page.url()).pathname.endsWith(`/runs/${gateRun}`), "the list's link opens the run");

      const panel = page.getByTestId("gate-panel");
      await waitText(panel.getByTestId("gate-title"), "Approve the plan");
      await waitText(panel.getByTestId("gate-description"), "Split engine/run.rs", "the description as Markdown");
      assert.equal(await panel.getByTestId("gate-description").locator("strong").first().textContent(), "three");
      await waitText(panel.getByTestId("gate-previous-output"), "the plan: three changes", "the plan step's output");
      await waitText(panel.getByTestId("gate-timeout"), /times out in 1h 5\dm, then it is rejected/);
      await waitAttr(page.getByTestId("run-status"), "data-status", "waiting");
      await waitAttr(page.locator(tid("step-row", { "data-step-key": "approve-plan" })), "data-status", "waiting");
      assert.equal(await page.getByTestId("run-cancel").isEnabled(), true, "a waiting run may be cancelled");
      await screenshot(page, `waits-gate-${name}`);
      assert.deepEqual(page.errors, [], "no errors in the page");
      await page.context().close();
    });
  }

  test("deciding: a comment is required to request changes; a 400 shows by its field; a 409 says who decided and the page updates", async () => {
    page = await newPage(browser);
    await mock(page);
    await signIn(page, server);
    await page.goto(runUrl(gateRun));
    const panel = page.getByTestId("gate-panel");
    await panel.waitFor();

    await panel.getByTestId("gate-request-changes").click();
    await waitText(panel.getByTestId("gate-comment-error"), "comment is required");
    assert.equal(posts.length, 0, "nothing is sent without the comment");

    await panel.getByTestId("gate-input-risk").fill("9");
    await panel.getByTestId("gate-comment").fill("Split it in two.");
    answer = () => ({ status: 400, body: { error: { code: "invalid_input", message: "the input does not match the form", details: ["input.risk: 9 is greater than the maximum of 5"] } } });
    await panel.getByTestId("gate-request-changes").click();
    await waitText(panel.getByTestId("gate-input-error-risk"), "9 is greater than the maximum of 5", "the field error sits by the field");
    assert.deepEqual(posts[0].body, { decision: "request_changes", comment: "Split it in two.", input: { risk: 9 } });
    assert.match(posts[0].path, new RegExp(`/workflow-executions/${gateRun}/approvals/approve-plan$`));
    await screenshot(page, "waits-gate-field-error");

    // Bob decided meanwhile: the 409 says so and the page reads the run again.
    await panel.getByTestId("gate-input-risk").fill("2");
    answer = () => {
      mode.set(gateRun, "decided");
      return { status: 409, body: { error: { code: "conflict", message: "approve-plan is not waiting: approved by bob@example.com" } } };
    };
    await panel.getByTestId("gate-approve").click();
    await waitText(page.getByTestId("gate-conflict"), "approved by bob@example.com");
    await waitAttr(page.getByTestId("gate-decision"), "data-decision", "approved");
    await waitCount(page.getByTestId("gate-panel"), 0, "the gate's panel gives way to its decision");
    const row = page.locator(tid("step-row", { "data-step-key": "approve-plan" }));
    await waitText(row.getByTestId("decision-line"), "bob@example.com", "the step list shows who decided");
    await waitText(row.getByTestId("decision-comment"), "Looks right; ship it.");
    await waitAttr(page.getByTestId("needs-you"), "data-count", "0", "the badge no longer counts it");
    await screenshot(page, "waits-gate-decided");
    assert.deepEqual(page.errors, [], "no errors in the page");
    await page.context().close();
  });

  test("a user who may not decide sees who may, with the buttons disabled; a signal can be sent", async () => {
    page = await newPage(browser);
    await mock(page);
    await signIn(page, server);
    await page.goto(runUrl(othersRun));
    const panel = page.getByTestId("gate-panel");
    await waitText(panel.getByTestId("gate-reason"), "Only carol@example.com or dave@example.com may decide.");
    for (const b of ["gate-approve", "gate-request-changes", "gate-reject"]) assert.equal(await panel.getByTestId(b).isEnabled(), false, `${b} is disabled`);
    await screenshot(page, "waits-gate-others");

    await page.goto(runUrl(sleepRun));
    await waitText(page.getByTestId("sleep-panel").getByTestId("sleep-countdown"), /2\dm \d\ds/);
    await screenshot(page, "waits-sleep");

    await page.goto(runUrl(signalRun));
    const signal = page.getByTestId("signal-panel");
    await waitText(signal.getByTestId("signal-name"), "deploy");
    await signal.getByTestId("signal-payload").fill("{ not json");
    await signal.getByTestId("signal-send").click();
    await waitText(signal.getByTestId("signal-note"), "not valid JSON");
    await signal.getByTestId("signal-payload").fill('{ "version": "1.2.3" }');
    await signal.getByTestId("signal-send").click();
    await waitText(signal.getByTestId("signal-note"), "Sent");
    const sent = posts.find((p) => p.path.endsWith(`/workflow-executions/${signalRun}/signals/deploy`));
    assert.deepEqual(sent?.body, { payload: { version: "1.2.3" } });
    await screenshot(page, "waits-signal");
    assert.deepEqual(page.errors, [], "no errors in the page");
    await page.context().close();
  });

  test("the all-workflows view has a Waiting column next to Running; the status filter offers it", async () => {
    page = await newPage(browser);
    await mock(page);
    await signIn(page, server);
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    const waiting = page.locator(tid("board-column", { "data-phase": "waiting" }));
    await waitCount(waiting.getByTestId("run-card"), 3, "the gate for others, the sleep and the signal wait (the decided gate runs on)");
    const keys = await page.getByTestId("board-column").evaluateAll((cols) => cols.map((c) => c.getAttribute("data-phase")));
    assert.deepEqual(keys, ["pending", "running", "waiting", "paused", "completed", "failed", "cancelled"]);
    assert.ok((await page.getByTestId("status-filter").locator("option").allTextContents()).includes("Waiting"));
    await screenshot(page, "waits-board-all");
    assert.deepEqual(page.errors, [], "no errors in the page");
    await page.context().close();
  });
});
