// The checked-in API types (src/api/schema.d.ts) are what the server's OpenAPI document
// generates: a handler or response type changed without `npm run gen:api` fails here.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generate, SCHEMA } from "./gen-api.mjs";

test("schema.d.ts is what the server's OpenAPI document generates", async () => {
  const want = (await generate()).split("\n");
  const have = readFileSync(SCHEMA, "utf8").split("\n");
  const at = want.findIndex((line, i) => line !== have[i]);
  const line = at === -1 && have.length !== want.length ? Math.min(have.length, want.length) : at;
  assert.ok(
    line === -1,
    `web/src/api/schema.d.ts is out of date (first difference at line ${line + 1}: ` +
      `${JSON.stringify(have[line])} should be ${JSON.stringify(want[line])}); ` +
      "run `npm --prefix web run gen:api`",
  );
});
