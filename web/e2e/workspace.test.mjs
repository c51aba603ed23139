// The coding agent's workspace on the board (issue 17), against the real binary and a real git
// repository: a worktree run whose script steps edit files shows each step's Changes tab (files,
// counts, coloured lines), the run's changes (since the start, since the last gate), the changes
// since the last gate beside Approve; the new-run form's worktree toggle starts a worktree run.
// Warnings come from a stand-in claude whose tool calls are denied; "no output for N min" needs
// two minutes of silence, so the run's `last_output_at` is moved back here (playwright's
// `page.route`) on a real running agent step.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";

import { contrastFailures } from "./contrast.mjs";
import { SCREENSHOTS, launchBrowser, newPage, runIdFromUrl, screenshot, signIn, startRun, startServer, testWithShots, tid, waitCount, waitFor, waitText } from "./harness.mjs";

const EDIT = `name: Edit code
description: A script edits the code, a person looks, another script edits, a person looks again
phases: [edit, review, polish, done]
workspace:
  isolation: worktree
steps:
  - id: write
    phase: edit
    type: script
    command: >-
      printf 'export function add(a: number, b: number): number {\\n  // the sum\\n  return a + b + 0;\\n}\\n' > src/math.ts &&
      printf 'fn main() {\\n    println!("hi");\\n}\\n' > main.rs &&
      rm old.txt
  - id: approve
    phase: review
    type: approval
    title: Review the edit
  - id: polish
    phase: polish
    type: script
    command: "printf '\\n## Notes\\n' >> README.md"
  - id: approve-again
    phase: done
    type: approval
    title: Review the polish
`;

const PLAIN = `name: Plain edit
description: One script that writes a file, wherever the run works
phases: [edit]
steps:
  - id: touch
    phase: edit
    type: script
    command: "echo made-here > made.txt"
`;

const WATCH = `name: Agent watch
phases: [lint, fix]
steps:
  - id: lint
    phase: lint
    type: agent
    agent: claude
    prompt: "[scenario:permission_denied] lint it"
  - id: fix
    phase: fix
    type: agent
    agent: claude
    prompt: "[scenario:gate] fix it"
`;

// 300 files of 250 lines of ~20 bytes (about 1.5 MiB of diff): past the server's 1 MiB cap.
const BIG = `name: Big change
phases: [gen]
workspace:
  isolation: worktree
steps:
  - id: gen
    phase: gen
    type: script
    command: >-
      mkdir -p gen && for f in $(seq 1 300); do seq -f "const value_%g = 2;" 1 250 > gen/file$f.ts; done
`;

const git = (cwd, ...args) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@e", ...args], { cwd, encoding: "utf8" });

describe("workspace: worktree runs and their changes", () => {
  let server, browser, page;
  const test = testWithShots(nodeTest, () => [page], () => server);

  before(async () => {
    server = await startServer({ workflows: { "edit.yaml": EDIT, "plain.yaml": PLAIN, "watch.yaml": WATCH, "big.yaml": BIG } });
    const p = server.project;
    mkdirSync(path.join(p, "src"), { recursive: true });
    writeFileSync(path.join(p, "src/math.ts"), "export function add(a, b) {\n  return a + b;\n}\n");
    writeFileSync(path.join(p, "old.txt"), "to be removed\n");
    writeFileSync(path.join(p, "README.md"), "# The project\n");
    git(p, "init", "-q", "-b", "main");
    git(p, "add", "src", "old.txt", "README.md");
    git(p, "commit", "-qm", "start");
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const getRun = (id) => server.api(server.token, "GET", `/workflow-executions/${id}`);
  const waitStep = (id, key, status) =>
    waitFor(async () => (await getRun(id)).steps.find((s) => s.step_id === key && s.status === status), `step ${key} ${status}`);

  test("a worktree run: the step's Changes tab, the gate's changes, the run's changes since the start and since the last gate", async () => {
    const run = await startRun(server, "Edit code", {}, "edit one");
    await waitStep(run.id, "approve", "waiting");
    const r = await getRun(run.id);
    assert.equal(r.workspace.isolation, "worktree");
    assert.equal(r.workspace.state, "active");
    assert.match(r.workspace.branch, /^wf\/edit-one-/);
    // The user's checkout is untouched: the edit is in the worktree.
    assert.equal(readFileSync(path.join(server.project, "src/math.ts"), "utf8"), "export function add(a, b) {\n  return a + b;\n}\n");
    assert.ok(existsSync(path.join(server.project, "old.txt")));
    assert.match(readFileSync(path.join(r.workspace.path, "src/math.ts"), "utf8"), /a: number/);
    const write = r.steps.find((s) => s.step_id === "write");
    assert.equal(write.snapshot.files_changed.length, 3);

    await page.goto(`${server.base}/p/${server.projectId}/runs/${run.id}`);
    const ws = page.getByTestId("run-workspace");
    await waitText(ws, r.workspace.branch);
    assert.equal(await ws.getAttribute("data-state"), "active");
    await waitText(page.getByTestId("run-workspace-state"), "active");

    // Beside the gate's buttons: a summary that opens into the diff.
    const gate = page.locator(tid("gate-panel", { "data-step-key": "approve" }));
    const gc = gate.getByTestId("gate-changes");
    await waitText(gc.getByTestId("gate-changes-summary"), "3 files, +6 −3");
    await waitText(gc.locator(".gate-changes-title"), "Changes since the run started");
    assert.equal(await gc.getByTestId("diff-file").count(), 0, "collapsed at first");
    await gc.locator(".gate-changes-head").click();
    await waitCount(gc.getByTestId("diff-file"), 3);
    await screenshot(page, "workspace-gate-changes");

    // The step's Changes tab: files with counts, then the coloured diff.
    await page.locator(tid("step-row", { "data-step-key": "write" })).click();
    const panel = page.getByTestId("step-panel");
    await panel.getByTestId("step-tab-changes").click();
    const changes = panel.getByTestId("step-changes");
    await waitCount(changes.getByTestId("changes-file"), 3);
    const files = await changes.getByTestId("changes-file").evaluateAll((els) => els.map((e) => [e.dataset.path, e.dataset.status, e.dataset.additions, e.dataset.deletions].join(" ")));
    assert.deepEqual(files.sort(), ["main.rs added 3 0", "old.txt deleted 0 1", "src/math.ts modified 3 2"]);
    const ts = changes.locator(tid("diff-file", { "data-path": "src/math.ts" }));
    assert.equal(await ts.getAttribute("data-open"), "true");
    // Added and deleted lines, numbered old and new, keywords and comments coloured.
    assert.equal(await ts.locator(".diff-add").count(), 3);
    assert.equal(await ts.locator(".diff-del").count(), 2);
    assert.ok((await ts.locator(".diff-add .tok-keyword").allTextContents()).includes("export"));
    assert.ok((await ts.locator(".diff-add .tok-comment").allTextContents()).some((t) => t.includes("the sum")));
    assert.equal(await ts.locator(".diff-add .diff-ln").nth(1).getAttribute("data-n"), "1");
    const rs = changes.locator(tid("diff-file", { "data-path": "main.rs" }));
    assert.ok((await rs.locator(".tok-keyword").allTextContents()).includes("fn"));
    // A file closes and opens from its header.
    await ts.locator(".diff-file-head").click();
    assert.equal(await ts.getAttribute("data-open"), "false");
    assert.equal(await ts.locator(".diff-row").count(), 0);
    await ts.locator(".diff-file-head").click();
    await waitFor(async () => (await ts.locator(".diff-row").count()) > 0, "the file opens again");
    await screenshot(page, "workspace-step-changes");
    // The gate itself has no snapshot: no Changes tab.
    await page.locator(tid("step-row", { "data-step-key": "approve" })).click();
    await waitText(page.getByTestId("step-panel").locator("h2"), "approve");
    assert.equal(await page.getByTestId("step-tab-changes").count(), 0);
    await page.getByTestId("step-close").click();

    // The run's changes view, open while the next steps run: a new snapshot reloads it quietly
    // (no "Reading the diff…" blank, the same DOM), a file the person closed stays closed (the
    // same DOM: a focused header keeps the focus).
    await page.getByTestId("view-changes").click();
    const live = page.getByTestId("run-changes");
    await waitCount(live.getByTestId("changes-file"), 3);
    const liveTs = live.locator(tid("diff-file", { "data-path": "src/math.ts" }));
    await liveTs.locator(".diff-file-head").click();
    assert.equal(await liveTs.getAttribute("data-open"), "false");
    await live.locator(".diff-view").evaluate((el) => (el.dataset.mark = "same"));
    const blanks = [];
    await page.exposeFunction("__sawLoading", () => blanks.push(1)).catch(() => {});
    await page.evaluate(() => {
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="run-changes"] [data-testid="loading"]')) window.__sawLoading();
      }).observe(document.body, { subtree: true, childList: true });
    });
    // Approve; at the next gate, only what changed since the first.
    await gate.getByTestId("gate-approve").click();
    await waitStep(run.id, "approve-again", "waiting");
    await waitCount(live.getByTestId("changes-file"), 4);
    assert.equal(await live.locator(".diff-view").getAttribute("data-mark"), "same", "the diff view was not blanked and drawn again");
    assert.equal(await liveTs.getAttribute("data-open"), "false", "a closed file stays closed across the reload");
    assert.equal(await live.locator(tid("diff-file", { "data-path": "README.md" })).getAttribute("data-open"), "true", "a new file opens as the budget says");
    assert.deepEqual(blanks, [], "no loading state while reloading");
    const gate2 = page.locator(tid("gate-panel", { "data-step-key": "approve-again" }));
    await waitText(gate2.getByTestId("gate-changes-summary"), "1 file, +2 −0");
    await waitText(gate2.locator(".gate-changes-title"), "Changes since the last gate");

    // The run's changes view: since the start (4 files), since the last gate (README.md).
    await page.getByTestId("view-changes").click();
    await waitFor(() => new URL(page.url()).searchParams.get("view") === "changes", "?view=changes");
    const rc = page.getByTestId("run-changes");
    await waitCount(rc.getByTestId("changes-file"), 4);
    await waitText(rc.getByTestId("changes-total"), "4 files, +8 −3");
    await screenshot(page, "workspace-run-changes");
    await rc.getByTestId("changes-since-gate").click();
    await waitCount(rc.getByTestId("changes-file"), 1);
    assert.equal(await rc.getByTestId("changes-file").getAttribute("data-path"), "README.md");
    assert.equal(new URL(page.url()).searchParams.get("since"), "last_gate");
    // A reload keeps the view.
    await page.reload();
    await waitCount(page.getByTestId("run-changes").getByTestId("changes-file"), 1);

    for (const [name, opts] of [
      ["laptop-light", {}],
      ["laptop-dark", { colorScheme: "dark" }],
      ["phone-light", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
      ["phone-dark", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: "dark" }],
    ]) {
      const p2 = await newPage(browser, opts);
      await signIn(p2, server);
      await p2.goto(`${server.base}/p/${server.projectId}/runs/${run.id}?view=changes`);
      await waitCount(p2.getByTestId("run-changes").getByTestId("changes-file"), 4);
      await screenshot(p2, `workspace-run-changes-${name}`);
      await p2.locator(tid("step-row", { "data-step-key": "write" })).count();
      await p2.goto(`${server.base}/p/${server.projectId}/runs/${run.id}/steps/${write.id}`);
      await p2.getByTestId("step-tab-changes").click();
      await waitCount(p2.getByTestId("step-changes").getByTestId("changes-file"), 3);
      await screenshot(p2, `workspace-step-changes-${name}`);
      const bad = await contrastFailures(p2);
      assert.deepEqual(bad, [], `${name}: text below WCAG AA`);
      assert.deepEqual(p2.errors, []);
      await p2.context().close();
    }

    await page.getByTestId("gate-approve").click();
    await waitFor(async () => (await getRun(run.id)).status === "completed", "the run completes");
    // Removed at the end (keep: on-failure), the branch stays; the line says so.
    await waitFor(async () => (await page.getByTestId("run-workspace").getAttribute("data-state")) === "removed", "the worktree line says removed");
    assert.ok(git(server.project, "branch", "--list", r.workspace.branch).includes(r.workspace.branch.slice(0, 10)));
    assert.deepEqual(page.errors, []);
  });

  test("the new-run form's worktree toggle starts a worktree run; a branch git refuses is named at its field", async () => {
    const def = server.definitions["Plain edit"];
    await page.goto(`${server.base}/p/${server.projectId}/templates/${def.id}/new`);
    await page.getByTestId("run-form-name").fill("from the form");
    assert.equal(await page.getByTestId("new-run-worktree-branch").count(), 0, "the fields show once it is on");
    await page.getByTestId("new-run-worktree").check();
    await page.getByTestId("new-run-worktree-branch").fill("bad..name");
    await page.getByTestId("run-form-submit").click();
    await waitText(page.getByTestId("new-run-worktree-error-branch"), /workspace\.branch/);
    await screenshot(page, "workspace-new-run-error");
    await page.getByTestId("new-run-worktree-branch").fill("wf/from-form");
    await page.getByTestId("new-run-worktree-keep").selectOption("always");
    await screenshot(page, "workspace-new-run");
    await page.getByTestId("run-form-submit").click();
    await waitFor(() => /\/runs\//.test(page.url()), "the run's page");
    const id = runIdFromUrl(page.url());
    const done = await waitFor(async () => {
      const r = await getRun(id);
      return r.status === "completed" && r;
    }, "the run completes");
    assert.equal(done.workspace.isolation, "worktree");
    assert.equal(done.workspace.branch, "wf/from-form");
    assert.equal(done.workspace.keep, "always");
    assert.equal(done.workspace.state, "kept");
    assert.ok(!existsSync(path.join(server.project, "made.txt")), "not written in the user's checkout");
    assert.equal(readFileSync(path.join(done.workspace.path, "made.txt"), "utf8"), "made-here\n");
    await waitText(page.getByTestId("run-workspace-state"), "kept");
    await page.locator(tid("step-row", { "data-step-key": "touch" })).click();
    await page.getByTestId("step-tab-changes").click();
    await waitCount(page.getByTestId("step-changes").getByTestId("changes-file"), 1);

    // A workflow that asks for a worktree: the toggle starts on; turned off, the run works in
    // the checkout (`isolation: "none"` is sent).
    await page.goto(`${server.base}/p/${server.projectId}/templates/${server.definitions["Edit code"].id}/new`);
    await waitFor(async () => await page.getByTestId("new-run-worktree").isChecked(), "the toggle starts on");
    assert.equal(await page.getByTestId("new-run-worktree-keep").inputValue(), "");
    await page.getByTestId("new-run-worktree").uncheck();
    const sent = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/api/workflow-executions"));
    await page.getByTestId("run-form-submit").click();
    assert.deepEqual((await sent).postDataJSON().workspace, { isolation: "none" });
    await waitFor(() => /\/runs\//.test(page.url()), "the run's page");
    const unisolated = runIdFromUrl(page.url());
    await waitStep(unisolated, "approve", "waiting");
    assert.equal((await getRun(unisolated)).workspace, null);
    await server.api(server.token, "POST", `/workflow-executions/${unisolated}/cancel`);
    git(server.project, "checkout", "-q", "--", ".");
    git(server.project, "clean", "-qfd", "src", "main.rs");

    // Left off, the same workflow runs in the checkout: no worktree line, no Changes.
    await page.goto(`${server.base}/p/${server.projectId}/templates/${def.id}/new`);
    await page.getByTestId("run-form-submit").click();
    await waitFor(() => /\/runs\//.test(page.url()), "the run's page");
    const plain = runIdFromUrl(page.url());
    await waitFor(async () => (await getRun(plain)).status === "completed", "the plain run completes");
    assert.equal((await getRun(plain)).workspace, null);
    assert.equal(await page.getByTestId("run-workspace").count(), 0);
    assert.equal(await page.getByTestId("view-changes").count(), 0);
    assert.deepEqual(page.errors, []);
  });

  test("warnings mark the step on the card, the timeline and the panel; a silent agent says 'no output for N min'", async () => {
    const run = await startRun(server, "Agent watch", {}, "watched");
    await waitStep(run.id, "fix", "running");
    const lintStep = (await getRun(run.id)).steps.find((s) => s.step_id === "lint");
    assert.equal(lintStep.status, "completed");
    assert.deepEqual(lintStep.warnings, ["2 tool calls were denied: Write(x), Bash(rm -rf build)"]);

    // The real answers: the warnings, and no "no output" (the agent just started).
    await page.goto(`${server.base}/p/${server.projectId}/board`);
    const card = page.locator(tid("run-card", { "data-run-id": run.id }));
    await waitCount(card.getByTestId("step-warning"), 1);
    assert.equal(await card.getByTestId("step-stall").count(), 0);
    await page.goto(`${server.base}/p/${server.projectId}/runs/${run.id}`);
    const lint = page.locator(tid("step-row", { "data-step-key": "lint" }));
    await waitCount(lint.getByTestId("step-warning"), 1);
    assert.equal(await lint.getByTestId("step-warning").getAttribute("title"), "1 warning: 2 tool calls were denied: Write(x), Bash(rm -rf build)");
    // Not a plain green tick.
    assert.equal(await lint.locator(".step-icon-warning").count(), 1);
    assert.equal(await lint.locator(".step-icon-completed").count(), 0);
    assert.equal(await page.getByTestId("step-stall").count(), 0);
    await lint.click();
    const panel = page.getByTestId("step-panel");
    await waitCount(panel.getByTestId("step-warning"), 1);
    await waitText(panel.getByTestId("step-warnings"), "2 tool calls were denied: Write(x), Bash(rm -rf build)");
    await screenshot(page, "workspace-step-warning");
    await page.getByTestId("step-close").click();

    // Five minutes of silence, as the server would report it.
    const quiet = new Date(Date.now() - 5 * 60_000 - 5_000).toISOString();
    const patch = (s) => (s.step_id === "fix" && s.status === "running" ? { ...s, last_output_at: quiet } : s);
    // Every step in any answer (a run, a list, the board, a step), wherever it sits.
    const walk = (v) =>
      Array.isArray(v) ? v.map(walk) : v && typeof v === "object" ? (typeof v.step_id === "string" && "workflow_run_id" in v ? patch(v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))) : v;
    const re = /\/api\/(workflow-executions\/[^/?]+|board|workflow-steps\/[^/?]+)(\?.*)?$/;
    await page.route(re, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: walk(await res.json()) });
    });
    try {
      await page.goto(`${server.base}/p/${server.projectId}/board`);
      await waitText(card.getByTestId("step-stall"), "no output for 5 min");
      await screenshot(page, "workspace-card-warning");
      await page.goto(`${server.base}/p/${server.projectId}/runs/${run.id}`);
      const fix = page.locator(tid("step-row", { "data-step-key": "fix" }));
      await waitText(fix.getByTestId("step-stall"), "no output for 5 min");
      await fix.click();
      await waitText(page.getByTestId("step-panel").getByTestId("step-stall"), "no output for 5 min");
      await screenshot(page, "workspace-step-stall");
    } finally {
      await page.unroute(re);
    }
    server.open("agent");
    await waitFor(async () => (await getRun(run.id)).status === "completed", "the agent run completes");
    // Ended: no "no output" anywhere.
    await page.reload();
    await waitCount(page.locator(tid("step-row", { "data-step-key": "fix", "data-status": "completed" })), 1);
    assert.equal(await page.getByTestId("step-stall").count(), 0);
    assert.deepEqual(page.errors, []);
  });

  test("a diff past the 1 MiB cap: the notice, every file listed, a budget of rows drawn, and the page stays quick", async () => {
    const run = await startRun(server, "Big change", {}, "big");
    await waitFor(async () => (await getRun(run.id)).status === "completed", "the big run completes", 60_000);
    const t0 = Date.now();
    await page.goto(`${server.base}/p/${server.projectId}/runs/${run.id}?view=changes`);
    const rc = page.getByTestId("run-changes");
    await waitCount(rc.getByTestId("changes-file"), 300);
    const ms = Date.now() - t0;
    await waitText(rc.getByTestId("changes-truncated"), /^The diff is at least 1\.\d MB: only its first (1\.0 MB|10\d\d KB)/);
    await waitText(rc.getByTestId("changes-total"), "300 files, +75,000 −0");
    // Drawn: a budget of rows, not 75,000.
    const rows = await rc.locator(".diff-row").count();
    assert.ok(rows > 0 && rows <= 3100, `${rows} rows drawn`);
    assert.ok(ms < 10_000, `the changes view took ${ms} ms`);
    // A click on a closed file past the cap says so; one before it opens with its lines.
    const last = rc.locator(tid("diff-file", { "data-path": "gen/file99.ts" }));
    await rc.locator(tid("changes-file", { "data-path": "gen/file99.ts" })).click();
    await waitFor(async () => (await last.getAttribute("data-open")) === "true", "file99 opens");
    await waitText(last.locator(".diff-note"), "Past the size cap");
    // The click in the list moves the focus to the file's header (a keyboard user goes on from there).
    await waitFor(async () => page.evaluate(() => document.activeElement?.closest('[data-testid="diff-file"]')?.getAttribute("data-path") === "gen/file99.ts"), "file99's header has the focus");
    const first = rc.locator(tid("diff-file", { "data-path": "gen/file1.ts" }));
    assert.equal(await first.getAttribute("data-open"), "true");
    assert.equal(await first.locator(".diff-add").count(), 250);
    // Added lines are said ("added: "), the rows are a focusable, labelled region, no bare table role.
    assert.equal(await first.locator(".diff-add .sr-only").first().textContent(), "added: ");
    assert.equal(await rc.locator('[role="table"]').count(), 0);
    assert.equal(await first.getByTestId("diff-rows").getAttribute("tabindex"), "0");
    assert.equal(await first.getByTestId("diff-rows").getAttribute("aria-label"), "Changes to gen/file1.ts");
    assert.equal(await rc.locator('.diff-dot[role="img"]').count(), 300);
    // The last file the cut text holds is marked cut too (the cap fell inside or right after it).
    const cutFiles = await rc.locator('[data-testid="diff-file"] .diff-note').allTextContents();
    assert.ok(cutFiles.some((t) => /cut here|Past the size cap/.test(t)), "a cut file is marked");
    await page.screenshot({ path: path.join(SCREENSHOTS, "workspace-big-diff-file.png"), animations: "disabled" });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, "workspace-big-diff.png"), animations: "disabled" });
    const input = await page.evaluate(() => {
      const t = performance.now();
      document.querySelector('[data-testid="changes-since-gate"]').click();
      return performance.now() - t;
    });
    assert.ok(input < 1000, `a click took ${input} ms`);
    assert.deepEqual(page.errors, []);
  });
});
