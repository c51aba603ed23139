// A card's summary of the arguments that differ from the schema's defaults.

import assert from "node:assert/strict";
import { test } from "node:test";
import { argsSummary } from "../argsSummary.js";

const schema = { type: "object", properties: { issue: { type: "integer" }, repo: { type: "string", default: "acme/web" }, dry: { type: "boolean", default: false } } };

test("only what differs from a default, in order", () => {
  assert.equal(argsSummary({ issue: 42, repo: "acme/web", dry: false }, schema), "issue 42");
  assert.equal(argsSummary({ issue: 7, repo: "acme/api", dry: true }, schema), "issue 7 · repo acme/api · dry true");
});

test("no schema, empty values, objects and long values", () => {
  assert.equal(argsSummary({}, schema), "");
  assert.equal(argsSummary(null, null), "");
  assert.equal(argsSummary({ a: "", b: null, c: { x: 1 } }, null), 'c {"x":1}');
  assert.equal(argsSummary({ t: "x".repeat(60) }, undefined), `t ${"x".repeat(39)}…`);
  assert.equal(argsSummary({ t: "two\nlines" }, undefined), "t two lines");
});
