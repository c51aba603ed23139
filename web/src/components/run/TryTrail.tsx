// A step's tries in one line of its timeline row (a retried step's tries, a resumed step's
// earlier attempts): `#1 failed 2.1s · #2 interrupted 40s · #3 running`, each try's error in
// its tooltip. The step panel lists them with their logs (components/step/Attempts.tsx).

import type { Step, StepAttempt } from "../../api/types";
import { formatDateTime, formatDuration, parseTime } from "../../lib/format";

function tookMs(a: StepAttempt, now: number): number | null {
  const start = parseTime(a.started_at);
  if (start === null) return null;
  return (parseTime(a.ended_at) ?? (a.outcome === "running" ? now : start)) - start;
}

export function TryTrail({ step, now }: { step: Pick<Step, "attempts">; now: number }) {
  const tries = step.attempts ?? [];
  if (tries.length < 2) return null;
  return (
    <span className="try-trail" data-testid="step-tries" aria-label={`${tries.length} tries`}>
      <span className="try-trail-label">{tries.length} tries:</span>
      {tries.map((a) => (
        <span
          key={a.attempt}
          className={`try try-${a.outcome}`}
          data-testid="step-try"
          data-attempt={a.attempt}
          data-outcome={a.outcome}
          title={`Try ${a.attempt}, ${a.outcome}, started ${formatDateTime(a.started_at)}${a.error ? `: ${a.error}` : ""}`}
        >
          #{a.attempt} {a.outcome} {a.outcome === "running" ? "" : formatDuration(tookMs(a, now))}
        </span>
      ))}
    </span>
  );
}
