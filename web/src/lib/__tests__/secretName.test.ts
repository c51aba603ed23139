// The secrets form's name check agrees with the server's rule (an environment variable name).

import assert from "node:assert/strict";
import { test } from "node:test";
import { secretNameError } from "../secretName.js";

test("variable names pass", () => {
  for (const ok of ["API_TOKEN", "_x", "a1", "A".repeat(128)]) assert.equal(secretNameError(ok), null, ok);
});

test("anything else is named", () => {
  assert.match(secretNameError("") ?? "", /needed/);
  assert.match(secretNameError("1A") ?? "", /digit/);
  assert.match(secretNameError("API-TOKEN") ?? "", /Letters, digits and _/);
  assert.match(secretNameError("A B") ?? "", /Letters, digits and _/);
  assert.match(secretNameError("A".repeat(129)) ?? "", /128/);
});
