// The board at scale and telling runs apart, in Chromium against a real server: ~250 runs
// (230 finished ones seeded into its database, the rest live), exact counts with more runs
// than a page, a column scrolled to its end while the page keeps its height, search by an
// argument value and by error text, the created-range filter, a failed run kept in the phase
// where it failed, queued cards saying their place, live counts as runs move, and a phone
// that opens a workflow's board on the phase that has runs.

import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";

import { launchBrowser, newPage, screenshot, signIn, startRun, startServer, testWithShots, tid, waitFor, waitText } from "./harness.mjs";
import { seedRuns } from "./seed.mjs";
import { GATED } from "./workflows.mjs";

const FAILING = `name: Fails at work
description: Prepares, then its work step fails
phases: [prep, work, wrap]
steps:
  - id: prepare
    phase: prep
    type: script
    command: echo prepared
  - id: do-work
    phase: work
    type: script
    command: echo "kaboom-7731 in do-work" >&2; exit 3
  - id: wrap-up
    phase: wrap
    type: script
    command: echo never
`;

const SEEDED = 230;

describe("board at scale", () => {
  let server, browser, page, phone;
  const test = testWithShots(nodeTest, () => [page, phone], () => server);
  const live = { running: [], queued: [], failed: null };

  before(async () => {
    // Two runs at once: the third gated run waits in the queue.
    process.env.WORKFLOW_ENGINE_MAX_RUNS = "2";
    server = await startServer({ workflows: { "gated.yaml": GATED, "failing.yaml": FAILING } });
    delete process.env.WORKFLOW_ENGINE_MAX_RUNS;
    const gated = server.definitions["Gated pipeline"].id;
    // History, a month old: finished runs (a few cancelled), one with a distinctive argument.
    seedRuns(server, gated, SEEDED, Date.now() - 30 * 86_400_000, (i) => ({
      status: i % 23 === 0 ? "cancelled" : "completed",
      phase: "ship",
      name: `Gated pipeline`,
      args: { title: i === 117 ? "needle-4417" : `seeded ${i}`, level: i % 2 ? "high" : "low" },
    }));
    live.failed = (await startRun(server, "Fails at work", {})).id;
    await waitFor(async () => (await server.api(server.token, "GET", `/workflow-executions/${live.failed}`)).status === "failed", "the failing run fails");
    for (const t of ["first", "second"]) live.running.push((await startRun(server, "Gated pipeline", { title: `live ${t}` }, `live ${t}`)).id);
    for (const t of ["q-one", "q-two", "q-three"]) live.queued.push((await startRun(server, "Gated pipeline", { title: t, level: "high" }, t)).id);
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const gatedId = () => server.definitions["Gated pipeline"].id;
  const boardUrl = (def = gatedId(), qs = "") => `${server.base}/p/${server.projectId}/board/${def}${qs}`;
  const column = (p, key) => p.locator(tid("board-column", { "data-phase": key }));
  const count = async (p, key) => Number(await column(p, key).getAttribute("data-count"));
  const cards = (p, key) => column(p, key).getByTestId("run-card");
  /** `GET /api/board` (not in a `data` envelope). */
  const apiBoard = async (qs) => {
    const r = await fetch(`${server.base}/api/board?project_id=${server.projectId}&${qs}`, { headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(r.status, 200);
    return r.json();
  };

  test("exact counts with more runs than a page; the failed run stays in its phase", async () => {
    await page.goto(boardUrl());
    await column(page, "__done").waitFor();
    await waitFor(async () => (await count(page, "__done")) === SEEDED, `Finished counts all ${SEEDED} seeded runs`);
    assert.equal(await cards(page, "__done").count(), 25, "one page of cards loaded, not all");
    assert.equal(await column(page, "__done").getByTestId("column-count").innerText(), String(SEEDED));
    assert.equal(await count(page, "build"), 2, "two running in build");
    assert.equal(await count(page, "__pending"), 3, "three queued");
    await waitFor(async () => (await page.getByTestId("run-count").getAttribute("data-total")) === String(SEEDED + 5), "the header counts every run of the board");
    await waitText(page.getByTestId("run-count"), "2 running");
    assert.match(await page.title(), /^e2e · Gated pipeline · 2 running/, "the tab names the project, the workflow and what runs");

    await page.goto(boardUrl(server.definitions["Fails at work"].id));
    const failed = column(page, "work").locator(tid("run-card", { "data-run-id": live.failed }));
    await failed.waitFor();
    assert.equal(await failed.getAttribute("data-status"), "failed");
    assert.equal(await count(page, "__done"), 0, "Finished holds completed and cancelled runs only");
    await screenshot(page, "board-scale-failed-in-phase");
  });

  test("a column scrolls on its own to its end; the page never grows", async () => {
    await page.goto(boardUrl());
    await cards(page, "__done").first().waitFor();

    // A next page that fails is said on its own column (the board stays), and asked again.
    let failing = true;
    const pages = (u) => u.pathname === "/api/workflow-executions" && u.searchParams.has("column");
    const answer = (r) => (failing ? r.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal", message: "disk on fire" } }) }) : r.continue());
    await page.route(pages, answer);
    const done = column(page, "__done");
    await done.getByTestId("column-body").evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await done.getByTestId("column-more-error").waitFor();
    assert.match(await done.getByTestId("column-more-error").innerText(), /Cannot load more/);
    assert.equal(await page.getByTestId("column-more-error").count(), 1, "on that column only");
    const shown = await cards(page, "__done").count();
    assert.ok(shown > 0, "the board stays");
    failing = false;
    await done.getByTestId("column-more").getByRole("button").click();
    await waitFor(async () => (await page.getByTestId("column-more-error").count()) === 0 && (await cards(page, "__done").count()) > shown, "asked again, the page comes");
    await page.unroute(pages, answer);
    const body = column(page, "__done").getByTestId("column-body");
    const pageHeight = () => page.evaluate(() => document.scrollingElement.scrollHeight);
    const start = await pageHeight();
    assert.ok(start <= 900 + 2, `the board fits the window (${start}px)`);
    await waitFor(
      async () => {
        await body.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return (await column(page, "__done").getByTestId("column-end").count()) === 1;
      },
      "scrolling Finished to its end loads all its runs",
      60000,
    );
    assert.equal(await cards(page, "__done").count(), SEEDED, "every run once");
    const ids = await cards(page, "__done").evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")));
    assert.equal(new Set(ids).size, SEEDED, "no card twice");
    assert.deepEqual(ids, [...ids].sort().reverse(), "newest first");
    assert.equal(await pageHeight(), start, "the page kept its height");
    await screenshot(page, "board-scale-column-end");
  });

  test("queued cards say their place, in the order they start; counts follow runs live", async () => {
    await page.goto(boardUrl());
    const queued = cards(page, "__pending");
    await waitFor(async () => (await queued.count()) === 3, "three queued cards");
    assert.deepEqual(await queued.evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id"))), live.queued, "first queued first");
    const lines = await queued.getByTestId("card-queue").allInnerTexts();
    assert.deepEqual(lines.map((l) => l.trim()), ["1st in queue · 2/2 running", "2nd in queue · 2/2 running", "3rd in queue · 2/2 running"]);
    assert.match(await queued.first().getByTestId("card-args").innerText(), /title q-one · level high/, "the arguments that differ from the defaults");
    assert.match(await cards(page, "build").first().getByTestId("card-args").innerText(), /^title live/, "a default (level low) is not repeated");
    await screenshot(page, "board-scale-queue");

    // The first live run finishes its build: it moves to test (both counts change); then it
    // ends, and the first queued run takes its slot.
    server.open(`${live.running[0]}.build`);
    await waitFor(async () => (await count(page, "test")) === 1 && (await count(page, "build")) === 1, "build → test: both counts follow");
    server.open(`${live.running[0]}.test`);
    server.open(`${live.running[0]}.ship`);
    await waitFor(async () => (await count(page, "__done")) === SEEDED + 1, "Finished counts the run that ended");
    await waitFor(async () => (await count(page, "__pending")) === 2, "a queued run started");
    await waitFor(async () => (await count(page, "build")) === 2, "it runs in build");
    await waitFor(async () => (await queued.getByTestId("card-queue").allInnerTexts()).map((l) => l.trim()).join("|") === "1st in queue · 2/2 running|2nd in queue · 2/2 running", "the places moved up");
    const truth = await apiBoard(`workflow_definition_id=${gatedId()}&limit=1`);
    for (const c of truth.columns) assert.equal(await count(page, c.key), c.count, `column ${c.key} agrees with the server`);
  });

  test("search by an argument value, by error text, and the created range, from the URL", async () => {
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    await page.getByTestId("run-search").fill("needle-4417");
    await waitFor(async () => (await page.getByTestId("run-count").getAttribute("data-total")) === "1", "one run has that argument");
    assert.match(page.url(), /q=needle-4417/, "the search is in the URL");
    const found = page.getByTestId("run-card");
    assert.equal(await found.count(), 1);
    assert.match(await found.getByTestId("card-args").innerText(), /needle-4417/);

    // A filter chosen while the search waits for typing to pause is kept when the search applies.
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    await page.getByTestId("run-search").fill("needle");
    await page.getByTestId("status-filter").selectOption("failed");
    await waitFor(async () => /q=needle/.test(page.url()), "the typed search reaches the URL");
    assert.match(page.url(), /status=failed/, "the status chosen meanwhile is still in the URL");
    // The select follows the URL once the router's update renders (a moment later on a busy machine).
    await waitFor(async () => (await page.getByTestId("status-filter").inputValue()) === "failed", "the select shows the status chosen");

    await page.goto(`${server.base}/p/${server.projectId}/board?q=kaboom-7731`);
    await waitFor(async () => (await page.getByTestId("run-card").count()) === 1, "a step's error text finds its run");
    assert.equal(await page.getByTestId("run-card").getAttribute("data-run-id"), live.failed);

    await page.goto(`${server.base}/p/${server.projectId}/board?q=zz-nothing-zz`);
    await page.getByTestId("board-empty").waitFor();

    await page.goto(`${server.base}/p/${server.projectId}/board/${gatedId()}`);
    await page.getByTestId("created-filter").selectOption("24h");
    await waitFor(async () => (await page.getByTestId("run-count").getAttribute("data-total")) === "5", "only today's live runs");
    assert.match(page.url(), /created=24h/);
    await page.getByTestId("created-filter").selectOption("custom");
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId("created-after").fill("2000-01-01");
    await page.getByTestId("created-before").fill(old);
    // Both dates applied (the first alone already finds runs, live ones included).
    await waitFor(async () => page.url().includes(`created_before=${old}`), "the end date is in the URL");
    await waitFor(async () => Number(await page.getByTestId("run-count").getAttribute("data-total")) > 0, "dates up to a month ago find seeded runs");
    await waitFor(async () => (await count(page, "__pending")) === 0, "none of the live runs");
    await screenshot(page, "board-scale-filtered");

    // A preset range does not slide with the clock: minutes later the board has not been asked
    // for another range, nor cleared and loaded again.
    const timed = await newPage(browser, { viewport: { width: 1440, height: 900 } });
    try {
      await signIn(timed, server);
      await timed.clock.install();
      const asked = [];
      timed.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/api/board") asked.push(u.searchParams.get("created_after"));
      });
      await timed.goto(boardUrl(gatedId(), "?created=24h"));
      await waitFor(async () => (await timed.getByTestId("run-count").getAttribute("data-total")) === "5", "today's live runs, in a page with a controlled clock");
      assert.equal(new Set(asked).size, 1, `one range asked: ${asked}`);
      await timed.clock.runFor(3 * 60_000);
      const elapsed = cards(timed, "build").first().getByTestId("card-elapsed");
      await waitFor(async () => /^([3-9]|\d\d)m|h/.test((await elapsed.innerText()).trim()), "the running cards' clocks moved on three minutes");
      assert.deepEqual([...new Set(asked)].length, 1, `still the one range, minutes later: ${[...new Set(asked)]}`);
      assert.ok((await timed.getByTestId("run-card").count()) > 0, "the board stays on screen");
    } finally {
      await timed.context().close();
    }

    const bad = await fetch(`${server.base}/api/board?project_id=${server.projectId}&created_after=yesterday`, { headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /created_after: 'yesterday' is not a time/);
  });

  test("a phone opens a workflow's board on the phase that has runs; card text is not cut", async () => {
    phone = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(phone, server);
    await phone.goto(boardUrl(server.definitions["Fails at work"].id));
    const work = column(phone, "work");
    await work.getByTestId("run-card").waitFor();
    await waitFor(async () => {
      const box = await work.boundingBox();
      return box && box.x >= -1 && box.x + box.width <= 391;
    }, "the work column is the one in view");
    const first = await column(phone, "__pending").boundingBox();
    assert.ok(first.x + first.width <= 0, "Not started (empty) is scrolled past");
    await screenshot(phone, "board-scale-phone");
    await phone.goto(boardUrl());
    await cards(phone, "__pending").first().waitFor();
    const cut = await phone.getByTestId("card-step").evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    assert.equal(cut, 0, "no step line overflows its card");
    await screenshot(phone, "board-scale-phone-gated");
    const dark = await newPage(browser, { viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    await signIn(dark, server);
    await dark.goto(boardUrl());
    await cards(dark, "__pending").first().waitFor();
    await screenshot(dark, "board-scale-dark");
    await dark.context().close();
  });
});
