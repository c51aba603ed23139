// A run's steps in flight, for the harness (harness.js): a function step's tries (the engine
// records each and says whether another follows, after its wait), a step whose tries ran out
// and that waits for a person (its promise stays pending), and `Promise.all` fan-outs (once
// `execute` has failed, the steps already running finish before the run reports it).

/**
 * One run's steps in flight: the ctx.step calls not settled yet (promise → step id), those
 * among them that wait for a person (their promises stay pending), and why the run is
 * failing once `execute` rejected.
 */
export function newFlight() {
  return { steps: new Map(), parked: new Set(), onParked: null, failing: null };
}

export function noteParked(flight, id) {
  flight.parked.add(id);
  flight.onParked?.();
}

/** Resolves once every step in flight has settled or waits for a person. */
export async function stepsSettled(flight) {
  for (;;) {
    const live = [...flight.steps].filter(([, id]) => !flight.parked.has(id)).map(([p]) => p.then(() => {}, () => {}));
    if (live.length === 0) return;
    await Promise.race([...live, new Promise((resolve) => (flight.onParked = resolve))]);
  }
}

/**
 * Runs `fn`, and again after each failed try the engine says to retry (it records the try
 * and waits first); a try the engine says not to retry ends the step, with the error it
 * gives when there is one (no time left, the run stopped).
 */
export async function runFunctionTries(id, config, ctx, h, runFunctionStep) {
  let outcome = await runFunctionStep(id, config.fn, ctx);
  while (!outcome.ok && config.retry != null) {
    const answer = await h.stepRetry(id, outcome);
    if (answer?.retry !== true) {
      if (typeof answer?.error === "string") outcome = { ok: false, error: answer.error };
      break;
    }
    outcome = await runFunctionStep(id, config.fn, ctx);
  }
  return outcome;
}

/** The engine's answer to a function step's end: its result, or, when its tries ran out and
 * it waits for a person (`retry.onExhausted: "wait"`), a promise that stays pending. */
export async function finished(h, id, outcome, flight, waitForever) {
  const answer = await h.stepFinish(id, outcome);
  if (answer?.action === "wait") {
    noteParked(flight, id);
    return waitForever();
  }
  return answer;
}

