import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router-dom";
import { useApprovals } from "../hooks/useApprovals";
import { useNow } from "../hooks/useNow";
import { formatRelative, plural } from "../lib/format";
import { setNeedsCount } from "../lib/title";
import { needsYouCount, sortApprovals } from "../lib/waits";
import { IconBell } from "./Icons";

/**
 * The header's "needs you" badge: how many approval gates the user may decide, across
 * projects; a click lists every gate waiting (the user's first) with a link to its run.
 */
export function NeedsYou() {
  const { list, error, unsupported, reload } = useApprovals();
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState<{ top: number; right: number } | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const location = useLocation();
  const now = useNow(open, 30_000);
  const count = needsYouCount(list);
  const all = list ?? [];

  // The tab's title counts them too: "(2) workflow-engine", seen from another tab.
  useEffect(() => setNeedsCount(count), [count]);

  // Closed by a navigation (a link in it was followed), Escape, or a click elsewhere.
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    reload();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        ref.current?.querySelector("button")?.focus();
      }
    };
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onDown);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onDown);
    };
    // Only opening reads the list again (`reload` is a new function each render).
  }, [open]);

  if (unsupported) return null;
  const label =
    count > 0 ? `${plural(count, "approval")} need${count === 1 ? "s" : ""} you` : all.length > 0 ? `${all.length} waiting for others` : "Nothing needs you";
  return (
    <div className="needs-you" ref={ref}>
      <button
        type="button"
        className={`needs-you-btn${count > 0 ? " has-count" : ""}`}
        data-testid="needs-you"
        data-count={count}
        aria-expanded={open}
        aria-haspopup="true"
        aria-controls="needs-you-list"
        title={label}
        onClick={(e) => {
          // Under the button, kept on screen (the header wraps on a phone).
          const r = e.currentTarget.getBoundingClientRect();
          setPlace({ top: Math.round(r.bottom + 8), right: Math.max(12, Math.round(window.innerWidth - r.right)) });
          setOpen((o) => !o);
        }}
      >
        <IconBell width={15} height={15} />
        {count > 0 ? (
          <>
            <span className="needs-you-count" data-testid="needs-you-count">
              {count}
            </span>
            <span className="needs-you-text">needs you</span>
          </>
        ) : (
          <span className="sr-only">{label}</span>
        )}
      </button>
      {open && (
        <div className="needs-you-pop" style={place ?? undefined} id="needs-you-list" data-testid="needs-you-list" role="region" aria-label="Approvals waiting">
          <div className="needs-you-head">
            <strong>Approvals waiting</strong>
            <span className="muted small">{count > 0 ? `${count} for you` : "none for you"}</span>
          </div>
          {error && <p className="notice notice-error small">{error}</p>}
          {list === null && !error ? (
            <p className="muted small needs-you-empty">Loading…</p>
          ) : all.length === 0 ? (
            <p className="muted small needs-you-empty">No run is waiting for a decision.</p>
          ) : (
            <ul className="needs-you-items">
              {sortApprovals(all).map((a) => (
                <li key={a.step_id}>
                  <Link
                    to={`/p/${a.project_id}/runs/${a.execution_id}`}
                    className={`needs-you-item${a.can_decide ? " is-mine" : ""}`}
                    data-testid="needs-you-item"
                    data-run-id={a.execution_id}
                    data-can-decide={a.can_decide}
                  >
                    <span className="needs-you-title">{a.title || a.step_key}</span>
                    <span className="needs-you-run truncate">
                      {a.execution_name}{" "}
                      <span className="muted">
                        · {a.project_name}
                        {a.workflow_name ? ` · ${a.workflow_name}` : ""}
                      </span>
                    </span>
                    <span className="needs-you-meta small">
                      {a.can_decide ? <span className="chip chip-waiting">you can decide</span> : <span className="chip">for others</span>}
                      <span className="muted">waiting {formatRelative(a.since, now).replace(/ ago$/, "")}</span>
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
