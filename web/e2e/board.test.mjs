// The board and the run controls in a real browser against a real server: sign in, start a
// run from its template (with a field error first), watch its card cross the phase columns
// as gates open, pause/resume/cancel (pause now, and cancel while a pause is pending), and a
// second session that sees it all live.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import {
  launchBrowser,
  newPage,
  runIdFromUrl,
  screenshot,
  signIn,
  startRun,
  startServer,
  testWithShots,
  tid,
  waitAttr,
  waitCount,
  waitFor,
  waitText,
} from "./harness.mjs";
import { GATED } from "./workflows.mjs";

describe("board", () => {
  let server, browser, page, other;
  const test = testWithShots(nodeTest, () => [page, other], () => server);

  before(async () => {
    server = await startServer({
      workflows: { "gated.yaml": GATED },
      users: [{ email: "ann@example.com" }, { email: "bob@example.com", admin: true }],
    });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const gatedId = () => server.definitions["Gated pipeline"].id;
  const boardUrl = (def = gatedId()) => `${server.base}/p/${server.projectId}/board/${def}`;
  const runUrl = (run) => `${server.base}/p/${server.projectId}/runs/${run}`;
  /** The card of `run` in the column `phase`. */
  const card = (p, run, phase) => p.locator(`${tid("board-column", { "data-phase": phase })} ${tid("run-card", { "data-run-id": run })}`);
  const open = (run, ...gates) => gates.forEach((g) => server.open(`${run}.${g}`));

  test("signing in: a wrong password is refused, the right one opens the app", async () => {
    await page.goto(`${server.base}/`);
    await waitFor(() => new URL(page.url()).pathname === "/login", "/ sends a stranger to /login");
    await page.getByTestId("login-email").fill("ann@example.com");
    await page.getByTestId("login-password").fill("not the password");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-error").waitFor();
    assert.notEqual((await page.getByTestId("login-error").innerText()).trim(), "", "the error says something");

    await signIn(page, server);
    const token = await page.evaluate(() => localStorage.getItem("wf.token"));
    assert.ok(token && token.split(".").length === 3, `a JWT in localStorage["wf.token"]: ${token}`);
    await waitAttr(page.getByTestId("ws-status"), "data-state", "open", "the WebSocket connects");
  });

  test("a run starts from its template; a bad argument is shown by its field", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    await page.getByTestId("nav-templates").click();
    const template = page.locator(tid("template-card", { "data-name": "Gated pipeline" }));
    await template.waitFor();
    assert.equal(await template.getAttribute("data-definition-id"), gatedId());
    await template.getByTestId("template-new-run").click();
    await page.getByTestId("run-form").waitFor();
    assert.equal(
      await page.getByTestId("arg-level").evaluate((e) => e.tagName),
      "SELECT",
      "an enum argument is a <select>"
    );

    await page.getByTestId("arg-title").fill("ab"); // minLength 3
    await page.getByTestId("run-form-submit").click();
    await waitText(page.getByTestId("arg-error-title"), /\S/, "the title's error under its field");
    await screenshot(page, "run-form-error");
    assert.match(new URL(page.url()).pathname, /\/templates\//, "still on the form");

    await page.getByTestId("arg-title").fill("widget");
    await page.getByTestId("run-form-name").fill("from the form");
    await page.getByTestId("run-form-submit").click();
    const run = await waitFor(() => runIdFromUrl(page.url()), "the new run's page");
    await waitText(page.getByTestId("run-title"), "from the form");
    await waitText(page.getByTestId("run-status"), "running");
    const body = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    assert.deepEqual(body.args, { title: "widget", level: "low" });

    open(run, "build", "test", "ship");
    await waitText(page.getByTestId("run-status"), "completed", "the status follows the run live");
  });

  test("a card crosses the phase columns as its steps finish", async () => {
    const run = (await startRun(server, "Gated pipeline", { title: "crossing" }, "crossing")).id;
    await page.getByTestId("nav-board").click();
    await page.getByTestId("workflow-select").selectOption(gatedId());
    await waitFor(() => page.url().startsWith(boardUrl()), "the board of the one workflow");
    await card(page, run, "build").waitFor();
    assert.equal(await card(page, run, "build").getAttribute("data-status"), "running");
    await waitText(card(page, run, "build").getByTestId("card-name"), "crossing");

    open(run, "build");
    await card(page, run, "test").waitFor();
    await waitCount(page.locator(tid("run-card", { "data-run-id": run })), 1, "one card for the run");
    // More runs so the board has something in several columns: one waiting in build, one done.
    const waiting = (await startRun(server, "Gated pipeline", { title: "waiting" }, "waiting")).id;
    const done = (await startRun(server, "Gated pipeline", { title: "done" }, "done")).id;
    open(done, "build", "test", "ship");
    await card(page, waiting, "build").waitFor();
    await card(page, done, "__done").waitFor();
    await screenshot(page, "board");

    open(run, "test");
    await card(page, run, "ship").waitFor();
    open(run, "ship");
    await card(page, run, "__done").waitFor();
    await waitAttr(card(page, run, "__done"), "data-status", "completed");
  });

  test("pause waits for the step in flight, resume goes on, cancel stops it", async () => {
    const run = (await startRun(server, "Gated pipeline", { title: "controlled" }, "controlled")).id;
    await page.goto(runUrl(run));
    const [pause, resume, cancel] = ["run-pause", "run-resume", "run-cancel"].map((t) => page.getByTestId(t));
    await waitText(page.getByTestId("run-status"), "running");
    await waitAttr(page.locator(tid("step-row", { "data-step-key": "compile" })), "data-status", "running");
    await waitFor(async () => (await pause.isEnabled()) && (await cancel.isEnabled()) && !(await resume.isEnabled()), "pause and cancel allowed, resume not");

    const [paused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/workflow-executions/${run}/pause`) && r.request().method() === "POST"),
      pause.click(),
    ]);
    assert.equal((await paused.json()).data.pause_requested, true, "the pause waits for the step in flight");
    assert.match(await page.getByTestId("run-status").textContent(), /running/, "still running: the step in flight finishes first");
    open(run, "build");
    await waitText(page.getByTestId("run-status"), "paused");
    await waitAttr(page.locator(tid("step-row", { "data-step-key": "compile" })), "data-status", "completed");
    await waitFor(async () => (await resume.isEnabled()) && !(await pause.isEnabled()), "resume allowed, pause not");
    assert.equal(await page.locator(tid("step-row", { "data-step-key": "check", "data-status": "running" })).count(), 0, "the next step waits");
    await screenshot(page, "run-paused");

    await resume.click();
    await waitText(page.getByTestId("run-status"), "running");
    await waitAttr(page.locator(tid("step-row", { "data-step-key": "check" })), "data-status", "running", "the next step starts");

    await cancel.click();
    await page.getByTestId("confirm-ok").click(); // the in-app confirmation
    await waitText(page.getByTestId("run-status"), "cancelled");
    await waitFor(async () => !(await pause.isEnabled()) && !(await resume.isEnabled()) && !(await cancel.isEnabled()), "nothing to control any more");
    const body = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    assert.equal(body.status, "cancelled");
  });

  test("pause now stops the step in flight and resume runs it again; cancel overtakes a pending pause", async () => {
    const run = (await startRun(server, "Gated pipeline", { title: "stopped now" }, "stopped now")).id;
    await page.goto(runUrl(run));
    const [pause, pauseNow, resume, cancel] = ["run-pause", "run-pause-now", "run-resume", "run-cancel"].map((t) => page.getByTestId(t));
    const compile = page.locator(tid("step-row", { "data-step-key": "compile" }));
    await waitText(page.getByTestId("run-status"), "running");
    await waitAttr(compile, "data-status", "running");
    await waitFor(async () => (await pause.isEnabled()) && (await pauseNow.isEnabled()), "both pauses allowed");

    const [paused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/workflow-executions/${run}/pause`) && r.request().method() === "POST"),
      pauseNow.click().then(() => page.getByTestId("confirm-ok").click()),
    ]);
    assert.deepEqual(paused.request().postDataJSON(), { now: true });
    assert.equal((await paused.json()).data.status, "paused", "paused at once: the gated step was stopped");
    await waitText(page.getByTestId("run-status"), "paused");
    await waitAttr(compile, "data-status", "failed");
    await waitFor(async () => (await resume.isEnabled()) && !(await pauseNow.isEnabled()), "resume allowed, pause now not");
    await screenshot(page, "run-paused-now");

    await resume.click();
    await waitText(page.getByTestId("run-status"), "running");
    await waitAttr(compile, "data-status", "running", "the stopped step runs again");

    // A pause waits for the gated step; Pause now and Cancel stay enabled meanwhile.
    await pause.click();
    await page.getByTestId("pause-pending").waitFor();
    await waitFor(
      async () => (await cancel.isEnabled()) && (await pauseNow.isEnabled()) && !(await pause.isEnabled()),
      "cancel and pause now allowed while the pause is pending",
    );
    await screenshot(page, "run-pause-pending");
    await cancel.click();
    await page.getByTestId("confirm-ok").click(); // the in-app confirmation
    await waitText(page.getByTestId("run-status"), "cancelled");
    const body = await server.api(server.token, "GET", `/workflow-executions/${run}`);
    assert.equal(body.status, "cancelled");
  });

  test("a second session sees the first one's changes live", async () => {
    other = await newPage(browser); // a new context: its own storage, its own session (closed with the browser)
    await signIn(other, server, "bob@example.com");
    await other.goto(boardUrl());
    await waitAttr(other.getByTestId("ws-status"), "data-state", "open");
    await other.locator(tid("board-column", { "data-phase": "build" })).waitFor();

    // Ann starts a run from the form; Bob's board shows it, then follows it.
    await page.goto(`${server.base}/p/${server.projectId}/templates/${gatedId()}/new`);
    await page.getByTestId("arg-title").fill("shared");
    await page.getByTestId("run-form-name").fill("shared run");
    await page.getByTestId("run-form-submit").click();
    const run = await waitFor(() => runIdFromUrl(page.url()), "the new run's page");
    await card(other, run, "build").waitFor();
    open(run, "build");
    await card(other, run, "test").waitFor();

    // Bob watches the run page while Ann comments and cancels.
    await other.goto(runUrl(run));
    await waitText(other.getByTestId("run-status"), "running");
    await page.getByTestId("comment-input").fill("hello from ann");
    await page.getByTestId("comment-submit").click();
    const comment = other.getByTestId("comment-list").getByTestId("comment").filter({ hasText: "hello from ann" });
    await comment.waitFor();
    await waitText(comment.getByTestId("comment-author"), /ann/i);
    await page.getByTestId("run-cancel").click();
    await page.getByTestId("confirm-ok").click();
    await waitText(other.getByTestId("run-status"), "cancelled");
    assert.deepEqual(other.errors, [], "no errors in Bob's page");
  });

  test("the all-workflows board: status columns, the status filter and search in the URL", async () => {
    const start = (name) => startRun(server, "Gated pipeline", { title: name }, name).then((r) => r.id);
    const [completed, cancelled, running] = [await start("needle done"), await start("needle cancelled"), await start("needle running")];
    open(completed, "build", "test", "ship");
    await server.api(server.token, "POST", `/workflow-executions/${cancelled}/cancel`);
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    await page.getByTestId("workflow-select").selectOption("all");
    await card(page, completed, "completed").waitFor();
    await card(page, cancelled, "cancelled").waitFor();
    await card(page, running, "running").waitFor();
    await screenshot(page, "board-all");

    await page.getByTestId("status-filter").selectOption("cancelled");
    await waitFor(() => new URL(page.url()).searchParams.get("status") === "cancelled", "?status=cancelled");
    await waitCount(page.locator(tid("run-card", { "data-run-id": completed })), 0, "completed runs filtered out");
    await page.locator(tid("run-card", { "data-run-id": cancelled })).waitFor();

    await page.getByTestId("status-filter").selectOption("");
    await page.getByTestId("run-search").fill("needle running");
    await waitFor(() => new URL(page.url()).searchParams.get("q") === "needle running", "?q=needle running");
    await waitCount(page.getByTestId("run-card"), 1, "only the run named needle running");
    await page.locator(tid("run-card", { "data-run-id": running })).waitFor();

    // The filters survive a reload (the server hands client routes the app).
    await page.reload();
    await waitCount(page.getByTestId("run-card"), 1, "still filtered after a reload");
    assert.equal(await page.getByTestId("run-search").inputValue(), "needle running");
    open(running, "build", "test", "ship");
    assert.deepEqual(page.errors, [], "no errors in the page");
  });
});
