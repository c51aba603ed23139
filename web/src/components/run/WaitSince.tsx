// How long a wait has waited, as its panel says it ("waiting 3 minutes"), the time on hover.

import type { WaitInfo } from "../../api/types";
import { formatDateTime, formatRelative } from "../../lib/format";

export function Since({ wait, now }: { wait: WaitInfo; now: number }) {
  return (
    <span className="muted small" title={formatDateTime(wait.since)}>
      waiting {formatRelative(wait.since, now).replace(/ ago$/, "").replace("just now", "a moment")}
    </span>
  );
}
