// The new-run form from a JSON Schema, and the server's errors by field.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildArgs, fieldsOf, initialValues, serverErrors, type FormValues } from "../schemaForm.js";

const schema = {
  type: "object",
  properties: {
    label: { type: "string", description: "A label" },
    delay: { type: "integer", minimum: 1, default: 2 },
    mode: { type: "string", enum: ["fast", "thorough"], default: "fast" },
    dryRun: { type: "boolean" },
    tags: { type: "array", items: { type: "string" } },
    level: { anyOf: [{ const: 1 }, { const: 2 }] },
  },
  required: ["label"],
};

test("one field per property, typed by the schema", () => {
  const fields = fieldsOf(schema);
  assert.deepEqual(
    fields.map((f) => [f.name, f.kind, f.required]),
    [
      ["label", "string", true],
      ["delay", "integer", false],
      ["mode", "enum", false],
      ["dryRun", "boolean", false],
      ["tags", "json", false],
      ["level", "enum", false],
    ],
  );
  assert.deepEqual(fieldsOf(null), []);
});

test("defaults fill the form; typed args come back out", () => {
  const fields = fieldsOf(schema);
  const values: FormValues = { ...initialValues(fields), label: "x", tags: '["a"]', level: "2" };
  assert.equal(values.delay, "2");
  assert.equal(values.mode, '"fast"');
  const { args, errors } = buildArgs(fields, values, new Set());
  assert.deepEqual(errors, {});
  assert.deepEqual(args, { label: "x", delay: 2, mode: "fast", tags: ["a"], level: 2 });
});

test("what cannot be read is reported by field; the rest is left to the server", () => {
  const fields = fieldsOf(schema);
  const { args, errors } = buildArgs(fields, { ...initialValues(fields), tags: "[oops" }, new Set(["dryRun"]));
  assert.ok(errors.tags);
  assert.equal(args.label, undefined, "an empty required field is not sent: the server names it");
  assert.equal(args.dryRun, false, "a touched checkbox is sent");
});

test("the server's invalid_args details map to their fields", () => {
  const fields = fieldsOf(schema);
  const { byField, other } = serverErrors(
    ['args.delay: "x" is not of type "integer"', 'args: "label" is a required property', "args: Additional properties are not allowed"],
    fields,
  );
  assert.equal(byField.delay, '"x" is not of type "integer"');
  assert.match(byField.label, /Required/);
  assert.deepEqual(other, ["args: Additional properties are not allowed"]);
});

test("an approval gate's 400 names the input's fields: mapped to them", () => {
  const fields = fieldsOf({ type: "object", properties: { reason: { type: "string" }, risk: { type: "integer" } }, required: ["reason"] });
  const { byField, other } = serverErrors(
    ['input.risk: "high" is not of type "integer"', 'input: "reason" is a required property', "/input/risk: must be at most 5", "input: something else"],
    fields,
    "input",
    "Required.",
  );
  assert.deepEqual(byField, { risk: '"high" is not of type "integer" must be at most 5', reason: "Required." });
  assert.deepEqual(other, ["input: something else"]);
  // The run form's own prefix is unchanged.
  assert.deepEqual(serverErrors(["args.risk: bad"], fields).byField, { risk: "bad" });
});
