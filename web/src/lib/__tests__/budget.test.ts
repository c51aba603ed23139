// Spend against budget: the card's and the run page's words, and the raise form's body.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatCost } from "../format.js";
import { formatTokens, raiseBody, showsSpend, spendParts } from "../budget.js";

const spend = (usd: number, tokens: number, duration_ms = 60_000) => ({ usd, tokens, duration_ms });

test("spend is shown against the limits set, and a reached limit is marked", () => {
  const run = { budget: { usd: 0.1, tokens: 200_000 }, spend: spend(0.1263, 1296), budget_stop: null };
  assert.deepEqual(
    spendParts(run).map((p) => [p.key, p.text, p.reached]),
    [
      ["usd", "$0.126 / $0.100", true],
      ["tokens", "1.3k tok / 200k tok", false],
    ],
  );
  assert.equal(showsSpend(run), true);
});

test("without a budget only what was spent shows, and nothing for a run that spent nothing", () => {
  assert.deepEqual(spendParts({ budget: null, spend: spend(0.0421, 624), budget_stop: null }).map((p) => p.text), ["$0.0421", "624 tok"]);
  assert.equal(showsSpend({ budget: null, spend: spend(0, 0), budget_stop: null }), false);
  assert.deepEqual(spendParts({ budget: { duration_ms: 1_800_000 }, spend: spend(0, 0, 90_000), budget_stop: null }).map((p) => p.text), [
    "1m 30s / 30m 00s",
  ]);
});

test("amounts read short", () => {
  assert.equal(formatCost(1.5), "$1.50");
  assert.equal(formatTokens(999), "999");
  assert.equal(formatTokens(1_500_000), "1.5M");
});

test("the raise form's body, and its errors naming the field", () => {
  assert.deepEqual(raiseBody({ usd: "$2", tokens: "200k", duration: "1h" }), { body: { usd: 2, tokens: 200_000, duration: "1h" } });
  assert.deepEqual(raiseBody({ usd: "", tokens: "", duration: "" }), { body: {} });
  assert.deepEqual(raiseBody({ usd: "-1", tokens: "", duration: "" }), { error: "usd: a positive number of dollars" });
  assert.deepEqual(raiseBody({ usd: "", tokens: "lots", duration: "" }), { error: "tokens: a positive whole number (200000 or 200k)" });
});
