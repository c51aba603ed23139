// The new-run form's name: the template's until the person types their own.

import assert from "node:assert/strict";
import { test } from "node:test";
import { argsKey, edit, followsTemplate, nameToSend, shownName, type NameField } from "../runName.js";

test("the field shows the preview and sends nothing while nothing is typed", () => {
  const f: NameField = { typed: "", preview: "Fix #42" };
  assert.equal(followsTemplate(f), true);
  assert.equal(shownName(f), "Fix #42");
  assert.equal(nameToSend(f), undefined);
  assert.equal(shownName({ typed: "", preview: null }), "");
});

test("a typed name wins and is sent trimmed; emptying it hands the field back", () => {
  let f: NameField = { typed: "", preview: "Fix #42" };
  f = edit(f, " Hotfix ");
  assert.equal(shownName(f), " Hotfix ");
  assert.equal(nameToSend(f), "Hotfix");
  f = { ...f, preview: "Fix #43" };
  assert.equal(shownName(f), " Hotfix ", "a new preview does not overwrite a typed name");
  f = edit(f, "");
  assert.equal(shownName(f), "Fix #43");
  assert.equal(nameToSend(f), undefined);
});

test("the arguments' key ignores key order", () => {
  assert.equal(argsKey({ a: 1, b: "x" }), argsKey({ b: "x", a: 1 }));
  assert.notEqual(argsKey({ a: 1 }), argsKey({ a: 2 }));
});
