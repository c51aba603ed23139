// A stand-in for the Rust side's `globalThis.__wfHost`, recording every call. Like the real
// host it stores results as JSON, so tests see the same round trip a run would.

const roundTrip = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/**
 * `memo`: stepId → StepResult already stored (answered with action "return"; a run's `init`
 * carries the same results). Other agent/script steps complete at once with `{ ran: type }`;
 * function steps are "run". `pausing`: what `pausing()` says (true: every step asks first).
 */
export function installHost({
  memo = {},
  execResult = { stdout: "out", stderr: "", exitCode: 0 },
  pausing = false,
} = {}) {
  const calls = [];
  const logs = [];
  const host = {
    calls,
    logs,
    stepBegin(id, config) {
      calls.push(["stepBegin", id, roundTrip(config)]);
    },
    pausing() {
      return pausing;
    },
    async stepStart(id, config) {
      calls.push(["stepStart", id, roundTrip(config)]);
      if (memo[id]) return { action: "return", result: roundTrip(memo[id]) };
      if (config.type === "function") return { action: "run" };
      return { action: "return", result: { stepId: id, status: "completed", data: { ran: config.type } } };
    },
    async stepFinish(id, outcome) {
      calls.push(["stepFinish", id, roundTrip(outcome)]);
      const result = outcome.ok
        ? { stepId: id, status: "completed", data: outcome.data }
        : { stepId: id, status: "failed", error: outcome.error };
      return roundTrip(result);
    },
    async checkpoint() {
      calls.push(["checkpoint"]);
    },
    async comment(text, stepId) {
      calls.push(["comment", text, stepId]);
    },
    async exec(command, cwd) {
      calls.push(["exec", command, cwd]);
      return { ...execResult };
    },
    log(level, text) {
      logs.push([level, text]);
    },
  };
  globalThis.__wfHost = host;
  return host;
}

export const init = (extra = {}) => ({ runId: "run-1", projectPath: "/p", args: {}, results: {}, ...extra });
