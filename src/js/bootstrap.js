// Binds the engine's ops to the host interface that runtime-js/worker.js expects.
import {
  op_wf_checkpoint,
  op_wf_comment,
  op_wf_exec,
  op_wf_log,
  op_wf_report,
  op_wf_step_finish,
  op_wf_step_start,
} from "ext:core/ops";

globalThis.__wfHost = {
  stepStart: (id, config) => op_wf_step_start(id, config),
  stepFinish: (id, outcome) => op_wf_step_finish(id, outcome),
  checkpoint: () => op_wf_checkpoint(),
  comment: (text, stepId) => op_wf_comment({ text, stepId: stepId ?? null }),
  exec: (command, cwd) => op_wf_exec({ command, cwd: cwd ?? null }),
  log: (level, text) => op_wf_log(String(level), String(text)),
};
globalThis.__wfReport = (message) => op_wf_report(message);
