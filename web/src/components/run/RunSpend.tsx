// The run's cost and tokens, summed over its agent steps (the server's `spend`), in the run
// page's header; the tooltip splits the tokens (input, output, cache reads).

import type { RunDetail } from "../../api/types";
import { formatTokens } from "../../lib/budget";
import { plural } from "../../lib/format";
import { spendText, tokenBreakdown } from "../../lib/runView";

export function RunSpend({ run }: { run: RunDetail }) {
  const text = spendText(run.spend);
  if (!text) {
    return (
      <span className="muted" data-testid="run-spend" data-usd={0} data-tokens={0}>
        nothing spent
      </span>
    );
  }
  const t = tokenBreakdown(run.steps);
  const title =
    t.sessions > 0
      ? `${plural(t.sessions, "agent session")}: ${formatTokens(t.input)} input, ${formatTokens(t.output)} output` +
        (t.cached > 0 ? `, ${formatTokens(t.cached)} cache reads (not counted)` : "") +
        " tokens"
      : undefined;
  return (
    <span data-testid="run-spend" data-usd={run.spend.usd} data-tokens={run.spend.tokens} title={title}>
      {text}
    </span>
  );
}
