// "no output for N min", warnings, the workspace state and the diff's since switch.

import assert from "node:assert/strict";
import { test } from "node:test";
import { diffSince, editedField, hasDecidedGate, initialChoice, stallText, warningsOf, warningTitle, workspaceBody, workspaceErrorField, workspaceStateText } from "../workspace.js";

const now = Date.parse("2026-01-01T12:00:00Z");
const ago = (ms: number) => new Date(now - ms).toISOString();

test("a running agent step says nothing before 2 min of silence, then 'no output for N min'", () => {
  assert.equal(stallText(ago(119_000), now, true), null);
  assert.equal(stallText(ago(120_000), now, true), "no output for 2 min");
  assert.equal(stallText(ago(59 * 60_000 + 59_000), now, true), "no output for 59 min");
  assert.equal(stallText(ago(60 * 60_000), now, true), "no output for 1 h");
  assert.equal(stallText(ago(125 * 60_000), now, true), "no output for 2 h 5 min");
  // Not running, no time, a bad time: nothing.
  assert.equal(stallText(ago(10 * 60_000), now, false), null);
  assert.equal(stallText(null, now, true), null);
  assert.equal(stallText("yesterday", now, true), null);
  // A clock ahead of the browser's.
  assert.equal(stallText(ago(-30_000), now, true), null);
});

test("warnings: blanks dropped; the icon's title counts and lists at most three", () => {
  assert.deepEqual(warningsOf({ warnings: null }), []);
  assert.deepEqual(warningsOf({}), []);
  assert.deepEqual(warningsOf({ warnings: ["", "denied Bash"] }), ["denied Bash"]);
  assert.equal(warningTitle([]), "");
  assert.equal(warningTitle(["denied Bash"]), "1 warning: denied Bash");
  assert.equal(warningTitle(["a", "b", "c", "d", "e"]), "5 warnings: a; b; c (+2 more)");
});

test("workspace states and the diff's since switch", () => {
  assert.equal(workspaceStateText("kept"), "kept after the run");
  assert.equal(workspaceStateText("weird"), "weird");
  assert.equal(diffSince(new URLSearchParams("since=last_gate")), "last_gate");
  assert.equal(diffSince(new URLSearchParams("since=nonsense")), "base");
  assert.equal(diffSince(new URLSearchParams("")), "base");
});

test("the new-run form's worktree choice: on for a worktree workflow; off sends none only to turn the workflow's off", () => {
  assert.equal(initialChoice(null).on, false);
  assert.equal(initialChoice({ isolation: "none" }).on, false);
  assert.equal(initialChoice({ isolation: "worktree" }).on, true);
  const off = initialChoice(null);
  assert.equal(workspaceBody(off, null), undefined);
  assert.equal(workspaceBody(off, { isolation: "none" }), undefined);
  assert.deepEqual(workspaceBody(off, { isolation: "worktree" }), { isolation: "none" });
  assert.deepEqual(workspaceBody({ on: true, base: "", branch: "", keep: "" }, null), { isolation: "worktree" });
  assert.deepEqual(workspaceBody({ on: true, base: " main ", branch: "wf/x", keep: "always" }, { isolation: "worktree" }), {
    isolation: "worktree",
    base: "main",
    branch: "wf/x",
    keep: "always",
  });
  assert.equal(workspaceErrorField("workspace.branch: 'a..b' is not a valid git branch name"), "branch");
  assert.equal(workspaceErrorField("workspace.keep: must be one of ..."), "keep");
  assert.equal(workspaceErrorField("name: too long"), null);
  assert.equal(workspaceErrorField("workspace: expected an object"), null);
});

test("a decided gate is one whose approval wait is resolved, approved or rejected (not a completed step)", () => {
  const wait = (resolved_at: string | null, kind = "approval") => ({ wait: { kind, resolved_at } });
  assert.equal(hasDecidedGate({ steps: [] }), false);
  assert.equal(hasDecidedGate({ steps: [wait(null)] }), false, "still waiting");
  assert.equal(hasDecidedGate({ steps: [wait("2026-01-01T00:00:00Z")] }), true);
  const rejected = { status: "failed", type: "approval", ...wait("2026-01-01T00:00:00Z") };
  const noWait = { status: "completed", type: "approval", wait: null };
  // A rejected gate: the step failed, its wait is resolved; the server diffs from it.
  assert.equal(hasDecidedGate({ steps: [rejected] }), true);
  assert.equal(hasDecidedGate({ steps: [wait("2026-01-01T00:00:00Z", "sleep")] }), false, "a sleep is not a gate");
  assert.equal(hasDecidedGate({ steps: [noWait] }), false);
});

test("a worktree field's server error goes when that field is edited, not another", () => {
  const c = { on: true, base: "nope", branch: "", keep: "" as const };
  assert.equal(editedField("base", c, { ...c, base: "main" }), true);
  assert.equal(editedField("base", c, { ...c, branch: "x" }), false);
  assert.equal(editedField("isolation", c, { ...c, on: false }), true);
  assert.equal(editedField("keep", c, { ...c, keep: "always" }), true);
});
