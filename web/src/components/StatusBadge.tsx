/** A status pill. Its text is the status itself (`running`), capitalised by CSS. */
export function StatusBadge({ status, testId, small }: { status: string; testId?: string; small?: boolean }) {
  return (
    <span className={`badge badge-${status}${small ? " badge-sm" : ""}`} data-testid={testId} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      <span className="badge-text">{status}</span>
    </span>
  );
}
