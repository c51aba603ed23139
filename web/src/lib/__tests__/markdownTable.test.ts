// Markdown tables in agent answers and summaries.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMarkdown } from "../markdownParse.js";

test("a pipe table with its alignment", () => {
  const blocks = parseMarkdown("Results:\n\n| File | Lines | Status |\n|:-----|------:|:------:|\n| a.rs | 12 | ok |\n| b\\|c.rs | 3 | **failed** |\n\nAfter.");
  assert.deepEqual(blocks[1], {
    t: "table",
    align: ["left", "right", "center"],
    head: ["File", "Lines", "Status"],
    rows: [
      ["a.rs", "12", "ok"],
      ["b|c.rs", "3", "**failed**"],
    ],
  });
  assert.deepEqual(blocks[2], { t: "p", text: "After." });
});

test("a table right after a paragraph line, without outer pipes", () => {
  const blocks = parseMarkdown("Totals\nName | Count\n--- | ---\nx | 1");
  assert.equal(blocks[0].t, "p");
  assert.equal(blocks[1].t, "table");
});

test("a line with a pipe but no rule stays a paragraph", () => {
  assert.deepEqual(parseMarkdown("a | b\nc"), [{ t: "p", text: "a | b\nc" }]);
});
