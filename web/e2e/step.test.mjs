// A step's panel in a real browser against a real server: a script's output lines appear while
// it runs, an agent step's messages and session appear while it works (the stand-in claude,
// held at its gate), and a comment with an uploaded image shows the image.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitAttr, waitFor, waitText } from "./harness.mjs";
import { makePng } from "./png.mjs";
import { LOGS } from "./workflows.mjs";

describe("step panel", () => {
  let server, browser, page, run;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "logs.yaml": LOGS } });
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
    run = (await startRun(server, "Log stream", {}, "log stream")).id;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const row = (key) => page.locator(tid("step-row", { "data-step-key": key }));
  const panel = () => page.getByTestId("step-panel");
  const logLine = (text) => panel().getByTestId("step-log").getByTestId("log-line").filter({ hasText: text });
  const stepStatus = async (rowId) => (await server.api(server.token, "GET", `/workflow-steps/${rowId}`)).status;

  test("a script's output streams into the log while the step runs", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/runs/${run}`);
    await waitAttr(row("talk"), "data-status", "running");
    const rowId = await row("talk").getAttribute("data-step-id");
    await row("talk").click();
    await panel().waitFor();
    await waitFor(() => new URL(page.url()).pathname.endsWith(`/runs/${run}/steps/${rowId}`), "the step's URL");
    await panel().getByTestId("step-tab-log").click();

    await logLine("line-one").waitFor();
    await logLine("line-two").waitFor();
    assert.equal(await logLine("line-one").getAttribute("data-stream"), "stdout");
    assert.equal(await logLine("line-two").getAttribute("data-stream"), "stderr");
    assert.equal(await logLine("line-three").count(), 0);
    assert.equal(await stepStatus(rowId), "running", "the lines arrived while the step was running");
    await screenshot(page, "step-log");

    server.open(`${run}.talk`);
    await logLine("line-three").waitFor();
    await waitAttr(row("talk"), "data-status", "completed");

    // The step's URL survives a reload (the server hands client routes the app).
    await page.reload();
    await panel().waitFor();
    await panel().getByTestId("step-tab-log").click();
    await logLine("line-three").waitFor();
    await panel().getByTestId("step-tab-output").click();
    await waitText(panel(), "line-three", "the output tab shows the step's result");
  });

  test("an agent step's messages and session appear while it works", async () => {
    server.open(`${run}.talk`); // already open unless the test before failed
    await waitAttr(row("ask"), "data-status", "running");
    const rowId = await row("ask").getAttribute("data-step-id");
    await row("ask").click();
    await waitFor(() => new URL(page.url()).pathname.endsWith(`/steps/${rowId}`), "the agent step's URL");
    await panel().getByTestId("step-tab-log").click();
    const message = (kind) => panel().locator(tid("agent-message", { "data-kind": kind }));

    await message("assistant").first().waitFor();
    const step = await waitFor(async () => {
      const s = await server.api(server.token, "GET", `/workflow-steps/${rowId}`);
      return s.session?.session_id && s;
    }, "the session is recorded");
    assert.equal(step.status, "running", "held at the gate: still working");
    await waitText(panel().getByTestId("agent-session"), step.session.session_id, "the session id is shown");
    assert.equal(await message("result").count(), 0, "no result yet");
    await screenshot(page, "step-agent-running");

    server.open("agent");
    await waitText(message("tool_call").first(), "Read", "the tool call names its tool");
    await message("tool_result").first().waitFor();
    await message("result").first().waitFor();
    await waitAttr(row("ask"), "data-status", "completed");
    await waitText(page.getByTestId("run-status"), "completed");
    // The stand-in reports $0.0421 and 512 output tokens: the session card follows the step's end.
    await waitText(panel().getByTestId("agent-session"), /0\.04/, "the session's cost once the agent is done");
    for (const control of ["run-pause", "run-resume", "run-cancel"]) {
      assert.equal(await page.getByTestId(control).isEnabled(), false, `${control} is disabled on a completed run`);
    }
    await screenshot(page, "step-agent");
  });

  test("a comment with an uploaded image shows it", async () => {
    const rowId = await row("talk").getAttribute("data-step-id");
    await row("talk").click();
    await waitFor(() => new URL(page.url()).pathname.endsWith(`/steps/${rowId}`), "the script step's URL");
    const png = makePng(96, 64);
    await panel().getByTestId("comment-input").fill("the chart, attached");
    await panel().getByTestId("comment-file").setInputFiles({ name: "chart.png", mimeType: "image/png", buffer: png });
    await panel().getByTestId("comment-submit").click();

    const comment = panel().getByTestId("comment").filter({ hasText: "the chart, attached" });
    await comment.waitFor();
    const preview = comment.getByTestId("comment-artifact").locator(`img${tid("artifact-preview")}`);
    await preview.waitFor();
    const size = await waitFor(
      () => preview.evaluate((img) => img.complete && img.naturalWidth > 0 && [img.naturalWidth, img.naturalHeight]),
      "the image loads"
    );
    assert.deepEqual(size, [96, 64], "the uploaded PNG itself is shown");
    await screenshot(page, "step-comment");

    const comments = await server.api(server.token, "GET", `/workflow-executions/${run}/comments`);
    const saved = comments.find((c) => c.text === "the chart, attached");
    assert.ok(saved, JSON.stringify(comments));
    assert.equal(saved.workflow_run_step_id, rowId, "on the step's own thread");
    assert.equal(saved.artifacts.length, 1);
    assert.equal(saved.artifacts[0].mime_type, "image/png");

    // The step's Artifacts tab lists it, and takes a file of its own.
    await panel().getByTestId("step-tab-artifacts").click();
    const items = panel().getByTestId("artifact-item");
    await items.filter({ hasText: "chart.png" }).waitFor();
    assert.equal(await items.count(), 1);
    await panel().getByTestId("artifact-file").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("some notes\n") });
    await items.filter({ hasText: "notes.txt" }).waitFor();
    // The file comes with the token in a header (the server takes none in the URL), then is saved.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      items.filter({ hasText: "notes.txt" }).getByTestId("artifact-download").click(),
    ]);
    assert.equal(download.suggestedFilename(), "notes.txt");
    assert.equal(await readFile(await download.path(), "utf8"), "some notes\n", "the download is the file");
    for (const tab of ["input", "output", "summary", "log"]) await panel().getByTestId(`step-tab-${tab}`).click();

    await panel().getByTestId("step-close").click();
    await waitFor(() => new URL(page.url()).pathname.endsWith(`/runs/${run}`), "closing the panel goes back to the run");
    assert.deepEqual(page.errors, [], "no errors in the page");
  });
});
