// A run's spend against its budget, as the board card and the run page show it.

import type { Run } from "../api/types";
import { formatCost, formatDuration } from "./format.js";

/** What the budget views read of a run (limits may be left out). */
export interface BudgetView {
  budget?: { usd?: number | null; tokens?: number | null; duration_ms?: number | null } | null;
  spend?: Run["spend"];
  budget_stop?: Run["budget_stop"];
}

/** One measure: what was spent, its limit if any, and whether the limit is reached. */
export interface SpendPart {
  key: "usd" | "tokens" | "duration";
  text: string;
  /** spent / limit, 0..1+ ; null without a limit. */
  ratio: number | null;
  reached: boolean;
}

/** 1234 → "1.2k", 200000 → "200k", 1500000 → "1.5M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${+(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${+(n / 1_000_000).toFixed(1)}M`;
}

/** Whether the card shows spend: when a budget is set or something was spent. */
export function showsSpend(run: BudgetView): boolean {
  const s = run.spend;
  return !!run.budget || (!!s && (s.usd > 0 || s.tokens > 0));
}

/**
 * The measures to show: dollars and tokens when spent or limited, duration only when
 * limited (the header shows the run's duration already).
 */
export function spendParts(run: BudgetView): SpendPart[] {
  const s = run.spend ?? { usd: 0, tokens: 0, duration_ms: 0 };
  const b: NonNullable<BudgetView["budget"]> = run.budget ?? {};
  const parts: SpendPart[] = [];
  const part = (key: SpendPart["key"], spent: number, limit: number | null | undefined, fmt: (n: number) => string) => {
    const ratio = limit ? spent / limit : null;
    parts.push({
      key,
      text: limit ? `${fmt(spent)} / ${fmt(limit)}` : fmt(spent),
      ratio,
      reached: ratio !== null && ratio >= 1,
    });
  };
  if (b.usd != null || s.usd > 0) part("usd", s.usd, b.usd, formatCost);
  if (b.tokens != null || s.tokens > 0) part("tokens", s.tokens, b.tokens, (n) => `${formatTokens(n)} tok`);
  if (b.duration_ms != null) part("duration", s.duration_ms, b.duration_ms, (n) => formatDuration(n));
  return parts;
}

/** The raise form's fields as a request body; an error names the field. */
export function raiseBody(fields: { usd: string; tokens: string; duration: string }): { body: Record<string, unknown> } | { error: string } {
  const body: Record<string, unknown> = {};
  const usd = fields.usd.trim();
  if (usd) {
    const n = Number(usd.replace(/^\$/, ""));
    if (!Number.isFinite(n) || n <= 0) return { error: "usd: a positive number of dollars" };
    body.usd = n;
  }
  const tokens = fields.tokens.trim();
  if (tokens) {
    const m = /^(\d+(?:\.\d+)?)\s*([kKmM]?)$/.exec(tokens);
    const n = m ? Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1)) : NaN;
    if (!Number.isInteger(n) || n <= 0) return { error: "tokens: a positive whole number (200000 or 200k)" };
    body.tokens = n;
  }
  const duration = fields.duration.trim();
  if (duration) body.duration = duration;
  return { body };
}
