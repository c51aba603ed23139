// ANSI escapes in logs: styles parsed, everything else dropped.

import assert from "node:assert/strict";
import { test } from "node:test";
import { color256, parseAnsi, stripAnsi } from "../ansi.js";

test("SGR colours and styles become runs", () => {
  const segs = parseAnsi("a\u001b[31mred\u001b[1;32m bold green\u001b[0m plain");
  assert.deepEqual(
    segs.map((s) => [s.text, s.style]),
    [
      ["a", {}],
      ["red", { fg: 1 }],
      [" bold green", { fg: 2, bold: true }],
      [" plain", {}],
    ],
  );
});

test("bright, 256 and true colours", () => {
  assert.deepEqual(parseAnsi("\u001b[93mx").map((s) => s.style), [{ fg: 11 }]);
  assert.deepEqual(parseAnsi("\u001b[38;5;196mx").map((s) => s.style), [{ fg: "rgb(255, 0, 0)" }]);
  assert.deepEqual(parseAnsi("\u001b[48;2;1;2;3mx").map((s) => s.style), [{ bg: "rgb(1, 2, 3)" }]);
  assert.equal(color256(232), "rgb(8, 8, 8)");
  assert.equal(color256(4), 4);
});

test("cursor moves and OSC titles are dropped, not shown", () => {
  assert.equal(stripAnsi("\u001b[2K\u001b[1Gdone\u001b]0;title\u0007!"), "done!");
  assert.deepEqual(parseAnsi("\u001b[2Kdone").map((s) => [s.text, s.style]), [["done", {}]]);
  assert.equal(stripAnsi("no escapes"), "no escapes");
});

test("a reset with no parameters clears the style", () => {
  assert.deepEqual(parseAnsi("\u001b[4mu\u001b[mx").map((s) => s.style), [{ underline: true }, {}]);
});
