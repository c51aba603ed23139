// Binds the engine's ops to the host interface that runtime-js/harness.js expects.
import {
  op_wf_checkpoint,
  op_wf_comment,
  op_wf_exec,
  op_wf_log,
  op_wf_report,
  op_wf_sleep,
  op_wf_pausing,
  op_wf_step_begin,
  op_wf_step_finish,
  op_wf_step_retry,
  op_wf_step_start,
} from "ext:core/ops";

globalThis.__wfHost = {
  stepStart: (id, config) => op_wf_step_start(id, config),
  stepBegin: (id, config) => op_wf_step_begin(id, config),
  pausing: () => op_wf_pausing(),
  stepFinish: (id, outcome) => op_wf_step_finish(id, outcome),
  stepRetry: (id, outcome) => op_wf_step_retry(id, outcome),
  checkpoint: () => op_wf_checkpoint(),
  comment: (text, stepId) => op_wf_comment(text, stepId ?? null),
  exec: (command, cwd) => op_wf_exec(command, cwd ?? null),
  // `steps`: the function steps running while the line was printed (ids have no commas).
  log: (level, text, steps) => op_wf_log(String(level), String(text), (steps ?? []).join(",")),
};
globalThis.__wfReport = (message) => op_wf_report(message);

// setTimeout / setInterval over an async op: a pending timer keeps the run's event loop alive.
let nextTimer = 1;
const liveTimers = new Set();
function startTimer(fn, ms, args, repeat) {
  const id = nextTimer++;
  liveTimers.add(id);
  const delay = Math.max(0, Number(ms) || 0);
  (async () => {
    do {
      await op_wf_sleep(delay);
      if (!liveTimers.has(id)) return;
      if (!repeat) liveTimers.delete(id);
      typeof fn === "function" ? fn(...args) : undefined;
    } while (repeat && liveTimers.has(id));
  })();
  return id;
}
globalThis.setTimeout = (fn, ms, ...args) => startTimer(fn, ms, args, false);
globalThis.setInterval = (fn, ms, ...args) => startTimer(fn, ms, args, true);
globalThis.clearTimeout = (id) => void liveTimers.delete(id);
globalThis.clearInterval = globalThis.clearTimeout;
