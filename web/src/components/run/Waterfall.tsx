// The run's steps on a time axis: a row per step in the order they started, a bar per try
// (gaps between tries dashed: a retry's delay, the time until a resume), a wait step's wait
// hatched, the run's time in the queue before it started. Parallel steps show as bars over
// the same stretch of the axis. A row opens the step's panel. Layout: lib/waterfall.ts.

import { Link } from "react-router-dom";
import type { RunDetail } from "../../api/types";
import { formatClock, formatDuration } from "../../lib/format";
import { layoutWaterfall, position, type Segment } from "../../lib/waterfall";

function describe(seg: Segment): string {
  const took = formatDuration(seg.to - seg.from);
  switch (seg.kind) {
    case "queue":
      return `Queued for a run slot: ${took}`;
    case "gap":
      return `Between tries: ${took}`;
    case "wait":
      return `Waited ${took} (${seg.outcome})`;
    default:
      return `Try ${seg.attempt ?? 1}: ${seg.outcome}, ${took}, from ${formatClock(new Date(seg.from).toISOString())}${seg.error ? ` — ${seg.error}` : ""}`;
  }
}

/** The legend's swatches (their classes) and what each means. */
const LEGEND: [string, string][] = [
  ["wf-try-completed", "completed"],
  ["wf-try-failed", "failed"],
  ["wf-try-running", "running"],
  ["wf-try-interrupted", "interrupted"],
  ["wf-wait", "waiting"],
  ["wf-gap", "between tries"],
  ["wf-queue", "queued"],
];

export function Waterfall({ run, projectId, selectedStepId, now }: { run: RunDetail; projectId: string; selectedStepId?: string; now: number }) {
  const w = layoutWaterfall(run, now);
  if (w.rows.length === 0) {
    return (
      <div className="timeline-empty muted" data-testid="waterfall-empty">
        {run.status === "pending" ? "The run has not started yet: its steps appear here as they run." : "No steps were recorded for this run."}
      </div>
    );
  }
  const nowAt = run.status === "running" || run.status === "waiting" ? position(w, now) : null;
  return (
    <div className="waterfall" data-testid="waterfall" data-start={w.start} data-end={w.end}>
      <p className="wf-caption muted small">
        From {formatClock(new Date(w.start).toISOString())}, {formatDuration(w.end - w.start)} in all
        {nowAt !== null ? " so far (the line is now)" : ""}
      </p>
      <div className="wf-axis" aria-hidden="true">
        <span className="wf-label" />
        <span className="wf-track">
          {w.ticks.map((t) => (
            <span key={t.offset} className="wf-tick" style={{ left: `${position(w, t.at)}%` }}>
              {t.offset === 0 ? "0" : `+${formatDuration(t.offset)}`}
            </span>
          ))}
        </span>
      </div>
      <ul className="wf-rows" aria-label="Steps on a time axis: each opens its step">
        {w.rows.map((row) => {
          const first = row.segments[0];
          const last = row.segments[row.segments.length - 1];
          const bars = (
            <>
              <span className="wf-label">
                <span className="wf-name">{row.name}</span>
                {row.phase && <span className="wf-phase">{row.phase}</span>}
              </span>
              <span className="wf-track" aria-hidden="true">
                {w.ticks.map((t) => (
                  <span key={t.offset} className="wf-grid" style={{ left: `${position(w, t.at)}%` }} aria-hidden="true" />
                ))}
                {row.segments.map((seg, i) => (
                  <span
                    key={i}
                    className={`wf-bar wf-${seg.kind} wf-${seg.kind}-${seg.outcome}`}
                    data-testid="waterfall-bar"
                    data-kind={seg.kind}
                    data-outcome={seg.outcome}
                    data-from={seg.from}
                    data-to={seg.to}
                    data-attempt={seg.attempt}
                    style={{ left: `${position(w, seg.from)}%`, width: `${position(w, seg.to) - position(w, seg.from)}%` }}
                    title={describe(seg)}
                  />
                ))}
                {nowAt !== null && <span className="wf-now" style={{ left: `${nowAt}%` }} aria-hidden="true" />}
                <span className="wf-took" style={{ left: `calc(${position(w, last.to)}% + 6px)` }}>
                  {formatDuration(last.to - first.from)}
                </span>
              </span>
            </>
          );
          const attrs = {
            "data-testid": "waterfall-row",
            "data-step-key": row.key,
            "data-from": first.from,
            "data-to": last.to,
            "aria-label": `${row.name}${row.phase ? ` (${row.phase})` : ""}: ${row.segments.map(describe).join("; ")}`,
          };
          const item = row.stepRowId ? (
            <Link
              to={`/p/${projectId}/runs/${run.id}/steps/${row.stepRowId}?view=waterfall`}
              className={`wf-row${selectedStepId === row.stepRowId ? " is-selected" : ""}`}
              aria-current={selectedStepId === row.stepRowId ? "true" : undefined}
              {...attrs}
            >
              {bars}
            </Link>
          ) : (
            <div className="wf-row wf-row-queue" role="img" {...attrs}>
              {bars}
            </div>
          );
          // Keyed by the step's row: a step_id may occur more than once.
          return (
            <li key={row.stepRowId ?? row.key} className="wf-item">
              {item}
            </li>
          );
        })}
      </ul>
      <ul className="wf-legend muted small" aria-label="Legend">
        {LEGEND.map(([swatch, label]) => (
          <li key={swatch}>
            <span className={`wf-swatch ${swatch}`} /> {label}
          </li>
        ))}
      </ul>
    </div>
  );
}
