// "no output for N min", warnings, the workspace state and the diff's since switch.

import assert from "node:assert/strict";
import { test } from "node:test";
import { diffSince, initialChoice, stallText, warningsOf, warningTitle, workspaceBody, workspaceErrorField, workspaceStateText } from "../workspace.js";

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
