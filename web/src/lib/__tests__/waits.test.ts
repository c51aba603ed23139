// Runs that wait: what a card says, the header's count, decisions, events applied to a run.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { PendingApproval, RunSummary, Step, WaitInfo } from "../../api/types.js";
import type { WsEvent } from "../../ws/events.js";
import { applyRunEvent } from "../runEvents.js";
import { canCancel, canPause, currentStep, RUN_STATUSES, STATUS_LABEL } from "../status.js";
import {
  decisionOf,
  formatCountdown,
  isApprovalEvent,
  needsYouCount,
  sortApprovals,
  stepBefore,
  waitLine,
  waitsOf,
  whoMayDecide,
} from "../waits.js";

const NOW = Date.parse("2026-12-05T14:00:00Z");

const step = (id: string, key: string, index: number, extra: Partial<Step> = {}): Step =>
  ({
    id, workflow_run_id: "r1", step_id: key, step_index: index, name: key, phase: "plan", type: "script",
    status: "completed", result: null, continue_on_error: false, attempt: 1, log_directory_path: null,
    agent_session_id: null, error_message: null, started_at: "2026-12-05T13:00:00Z", completed_at: null,
    created_at: "", updated_at: "", session: null, ...extra,
  }) as Step;

const run: RunSummary = {
  id: "r1", project_id: "p", user_id: null, workflow_definition_id: "d", name: "n", args: {},
  current_phase: "plan", current_step_index: 0, status: "running", error_message: null, timeout_ms: null,
  started_at: "2026-12-05T13:00:00Z", completed_at: null, paused_at: null, cancelled_at: null, created_at: "", updated_at: "",
  steps: [step("s1", "plan", 0)], workflow_definition: null, _count: { comments: 0, artifacts: 0 }, waiting_for: [],
  budget: null, spend: { usd: 0, tokens: 0, duration_ms: 0 }, budget_stop: null,
  parent_run_id: null, forked_from_step: null, reruns: [], warnings: [], queue: null, workspace: null, concurrency: null,
  placement: null,
};

const wait = (kind: WaitInfo["kind"], extra: Partial<WaitInfo> = {}): WaitInfo => ({
  step_id: `w-${kind}`, step_key: `${kind}-step`, kind, title: null, signal_name: null, deadline: null,
  since: "2026-12-05T13:50:00Z", ...extra,
});

const ev = (type: string, data: Record<string, unknown>) => ({ seq: 1, type, data: { execution_id: "r1", project_id: "p", ...data } }) as WsEvent;

test("waiting is a status like the others: labelled, listed, pausable and cancellable", () => {
  assert.ok(RUN_STATUSES.includes("waiting"));
  assert.equal(STATUS_LABEL.waiting, "Waiting");
  assert.ok(canCancel("waiting"), "a waiting run may be cancelled");
  assert.ok(canPause("waiting"), "a waiting run may be paused");
  const steps = [step("a", "a", 0), step("b", "b", 1, { type: "approval", status: "waiting" }), step("c", "c", 2)];
  assert.equal(currentStep(steps)?.id, "b", "the card's step is the one waiting");
});

test("a card's wait line: the approval first, then a sleep's wake time, a signal's name", () => {
  assert.equal(waitLine(run, NOW), null, "a running run has none");
  const gate = { ...run, status: "waiting" as const, waiting_for: [wait("approval", { title: "Approve the plan" })] };
  assert.deepEqual(waitLine(gate, NOW), { kind: "approval", text: "Needs approval: Approve the plan", stepId: "w-approval" });
  const untitled = { ...gate, waiting_for: [wait("approval")] };
  assert.equal(waitLine(untitled, NOW)?.text, "Needs approval: approval-step", "an untitled gate is named by its key");
  const both = { ...gate, waiting_for: [wait("signal", { signal_name: "deploy" }), wait("approval", { title: "Ship it?" })] };
  assert.equal(waitLine(both, NOW)?.text, "Needs approval: Ship it? (+1 more)", "a person's gate comes before a signal");
  const signal = { ...gate, waiting_for: [wait("signal", { signal_name: "deploy" })] };
  assert.equal(waitLine(signal, NOW)?.text, "Waiting for signal deploy");
  const sleep = { ...gate, waiting_for: [wait("sleep", { deadline: "2026-12-05T14:05:00Z" })] };
  const text = waitLine(sleep, NOW)!.text;
  assert.match(text, /^Sleeping until \d{1,2}[:.]\d{2}/, text);
  assert.deepEqual(waitLine({ ...gate, waiting_for: [] }, NOW), { kind: "unknown", text: "Waiting", stepId: null });
});

test("with an empty waiting_for (a run read before its wait was recorded) the waiting steps say it", () => {
  const r = { ...run, status: "waiting" as const, waiting_for: [], steps: [step("g", "approve-plan", 1, { type: "approval", status: "waiting" })] };
  assert.deepEqual(
    waitsOf(r).map((w) => [w.step_id, w.step_key, w.kind]),
    [["g", "approve-plan", "approval"]],
  );
  assert.equal(waitLine(r, NOW)?.text, "Needs approval: approve-plan");
});

test("countdowns", () => {
  assert.equal(formatCountdown(null, NOW), null);
  assert.equal(formatCountdown("2026-12-05T14:00:42Z", NOW), "42s");
  assert.equal(formatCountdown("2026-12-05T14:04:05Z", NOW), "4m 05s");
  assert.equal(formatCountdown("2026-12-05T15:02:00Z", NOW), "1h 02m");
  assert.equal(formatCountdown("2026-12-07T17:00:00Z", NOW), "2d 3h");
  assert.equal(formatCountdown("2026-12-05T13:59:00Z", NOW), "due");
});

const approval = (id: string, can_decide: boolean, since: string): PendingApproval => ({
  execution_id: `run-${id}`, execution_name: id, project_id: "p", project_name: "P", workflow_name: "W",
  step_id: id, step_key: "approve-plan", title: "Approve the plan", phase: "plan", since, deadline: null, can_decide,
});

test("the header's badge counts the gates the user may decide; the list puts them first, oldest first", () => {
  assert.equal(needsYouCount(null), 0);
  assert.equal(needsYouCount([]), 0);
  const list = [approval("a", false, "2026-12-05T13:00:00Z"), approval("b", true, "2026-12-05T13:30:00Z"), approval("c", true, "2026-12-05T13:10:00Z")];
  assert.equal(needsYouCount(list), 2);
  assert.deepEqual(sortApprovals(list).map((a) => a.step_id), ["c", "b", "a"]);
});

test("the badge reads the list again after a gate event, a run going waiting, or a listed run's change", () => {
  const listed = [approval("a", true, "2026-12-05T13:00:00Z")];
  assert.ok(isApprovalEvent(ev("workflow.step.waiting", { step_id: "x", kind: "approval" }), listed));
  assert.ok(isApprovalEvent(ev("workflow.approval.decided", { step_id: "x", decision: "approved", by: "a" }), listed));
  assert.ok(isApprovalEvent(ev("workflow.execution.status_changed", { status: "waiting" }), []));
  assert.ok(isApprovalEvent({ ...ev("workflow.execution.status_changed", { status: "cancelled" }), data: { execution_id: "run-a", project_id: "p", status: "cancelled" } } as WsEvent, listed));
  assert.ok(!isApprovalEvent(ev("workflow.execution.status_changed", { status: "running" }), listed), "another run's progress is not read for");
  assert.ok(!isApprovalEvent(ev("workflow.step.progress", { step_id: "x", line: "l" }), listed));
});

test("a decided gate's outcome is its step's result.data", () => {
  const decided = step("g", "approve-plan", 1, {
    type: "approval",
    result: { success: true, data: { decision: "changes_requested", by: "ann@example.com", at: "2026-12-05T14:00:00Z", comment: "more tests" } } as Step["result"],
  });
  assert.deepEqual(decisionOf(decided), { decision: "changes_requested", by: "ann@example.com", at: "2026-12-05T14:00:00Z", comment: "more tests", input: undefined });
  assert.equal(decisionOf(step("s", "script", 0)), null, "a script step is no gate");
  assert.equal(decisionOf(step("g", "approve-plan", 1, { type: "approval", result: null })), null, "an undecided gate");
  assert.equal(decisionOf(step("g", "approve-plan", 1, { type: "approval", result: { data: { decision: "maybe" } } as Step["result"] })), null);
});

test("who may decide, said when the buttons are disabled", () => {
  assert.equal(whoMayDecide(["a@x"]), "Only a@x may decide.");
  assert.equal(whoMayDecide(["a@x", "b@y", "c@z"]), "Only a@x, b@y or c@z may decide.");
  assert.match(whoMayDecide([]), /who may see this project/);
});

test("the step before a gate is the last step run before it, waits aside", () => {
  const steps = [step("a", "plan", 0), step("b", "nap", 1, { type: "sleep" }), step("g", "approve", 2, { type: "approval" }), step("c", "later", 3)];
  assert.equal(stepBefore(steps, steps[2])?.id, "a");
  assert.equal(stepBefore(steps, steps[0]), null);
});

test("events: a gate begins to wait, then is decided (a second browser sees it without a read)", () => {
  const waiting = applyRunEvent(
    run,
    ev("workflow.step.waiting", { step_id: "g", step_key: "approve-plan", step_name: "Approve", kind: "approval", phase: "review", title: "Approve the plan" }),
  )!;
  assert.equal(waiting.current_phase, "review");
  const g = waiting.steps.find((s) => s.id === "g")!;
  assert.equal(g.status, "waiting");
  assert.equal(g.type, "approval");
  assert.deepEqual(waiting.waiting_for?.map((w) => [w.step_key, w.title]), [["approve-plan", "Approve the plan"]]);
  const again = applyRunEvent(waiting, ev("workflow.step.waiting", { step_id: "g", step_key: "approve-plan", step_name: "Approve", kind: "approval", phase: "review" }))!;
  assert.equal(again.waiting_for?.length, 1, "a replayed event does not wait twice");
  assert.equal(again.steps.length, 2);

  const decided = applyRunEvent(waiting, ev("workflow.approval.decided", { step_id: "g", step_key: "approve-plan", decision: "changes_requested", by: "bob@example.com", comment: "split it" }))!;
  assert.deepEqual(decided.waiting_for, []);
  const d = decisionOf(decided.steps.find((s) => s.id === "g")!)!;
  assert.equal(d.decision, "changes_requested");
  assert.equal(d.by, "bob@example.com");
  assert.equal(d.comment, "split it");
  assert.equal(decided.steps.find((s) => s.id === "g")!.status, "completed");
  const rejected = applyRunEvent(waiting, ev("workflow.approval.decided", { step_id: "g", step_key: "approve-plan", decision: "rejected", by: "timeout" }))!;
  assert.equal(rejected.steps.find((s) => s.id === "g")!.status, "failed");

  const ended = applyRunEvent({ ...waiting, status: "waiting" }, ev("workflow.execution.status_changed", { status: "cancelled" }))!;
  assert.deepEqual(ended.waiting_for, [], "an ended run waits for nothing");
});
