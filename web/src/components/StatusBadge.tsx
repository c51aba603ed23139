import { STATUS_LABEL } from "../lib/status";

export function StatusBadge({ status, testId, small }: { status: string; testId?: string; small?: boolean }) {
  return (
    <span className={`badge badge-${status}${small ? " badge-sm" : ""}`} data-testid={testId} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}
