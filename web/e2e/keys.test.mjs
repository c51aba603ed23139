// Concurrency keys on the board, in Chromium against a real server: a run waiting for its key
// says so on its card and on its run page ("waiting for repo:x · 1/1 running"), and the line
// goes when the key frees and the run starts.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitFor } from "./harness.mjs";

const KEYED = `name: Keyed deploy
phases: [deploy]
argsSchema:
  type: object
  properties:
    repo: { type: string }
    gate: { type: string }
concurrency:
  key: "repo:{{ args.repo }}"
  limit: 1
steps:
  - id: hold
    phase: deploy
    type: script
    command: "while [ ! -f gates/{{ args.gate }} ]; do sleep 0.05; done"
`;

describe("concurrency keys", () => {
  let server, browser, page, phone, dark;
  const test = testWithShots(nodeTest, () => [page, phone, dark], () => server);
  const runs = {};

  before(async () => {
    server = await startServer({ workflows: { "keyed.yaml": KEYED } });
    runs.first = (await startRun(server, "Keyed deploy", { repo: "acme/api", gate: "first" }, "Deploy api #1")).id;
    await waitFor(async () => (await server.api(server.token, "GET", `/workflow-executions/${runs.first}`)).status === "running", "the first run runs");
    runs.second = (await startRun(server, "Keyed deploy", { repo: "acme/api", gate: "second" }, "Deploy api #2")).id;
    runs.third = (await startRun(server, "Keyed deploy", { repo: "acme/api", gate: "third" }, "Deploy api #3")).id;
    runs.other = (await startRun(server, "Keyed deploy", { repo: "acme/web", gate: "other" }, "Deploy web")).id;
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
  });

  after(async () => {
    for (const g of ["first", "second", "third", "other"]) server?.open(g);
    await browser?.close();
    await server?.stop();
  });

  const card = (p, id) => p.locator(tid("run-card", { "data-run-id": id }));
  const boardUrl = () => `${server.base}/p/${server.projectId}/board/${server.definitions["Keyed deploy"].id}`;

  test("a card waiting for its key says which key and how full it is; another key runs", async () => {
    await page.goto(boardUrl());
    const line = card(page, runs.second).getByTestId("card-queue");
    await waitFor(async () => (await line.innerText()) === "waiting for repo:acme/api · 1/1 running", "the key line on the card");
    assert.equal(await card(page, runs.third).getByTestId("card-queue").innerText(), "2nd waiting for repo:acme/api · 1/1 running");
    await waitFor(async () => (await card(page, runs.other).getAttribute("data-status")) === "running", "the other key's run runs");
    await screenshot(page, "keys-board-laptop");
    phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await signIn(phone, server);
    await phone.goto(`${server.base}/p/${server.projectId}/runs/${runs.second}`);
    await waitFor(async () => (await phone.getByTestId("run-queue-place").innerText()).includes("waiting for repo:acme/api · 1/1 running"), "the run page's line");
    assert.match(await phone.getByTestId("run-waiting-slot").innerText(), /^Waiting for its concurrency key: it starts when a run with the same key ends\./);
    await screenshot(phone, "keys-run-phone");
    dark = await newPage(browser, { colorScheme: "dark" });
    await signIn(dark, server);
    await dark.goto(boardUrl());
    await waitFor(async () => (await card(dark, runs.second).getByTestId("card-queue").count()) === 1, "the dark board's card");
    await screenshot(dark, "keys-board-dark");
  });

  test("the key frees: the next run starts and the one behind it moves up", async () => {
    server.open("first");
    await waitFor(async () => (await card(page, runs.second).getAttribute("data-status")) === "running", "the second run starts");
    await waitFor(async () => (await card(page, runs.third).getByTestId("card-queue").innerText()) === "waiting for repo:acme/api · 1/1 running", "the third moves up");
    assert.deepEqual(page.errors, []);
  });
});
