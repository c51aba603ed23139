// The built-in zod subset: validation, defaults, errors, immutability and JSON Schema output.

import { test } from "node:test";
import assert from "node:assert/strict";
import zDefault, { z, ZodError } from "../zod.js";

const issuesOf = (schema, value) =>
  schema.safeParse(value).error.issues.map((i) => [i.path.join("."), i.message]);

test("z is exported both named and as default", () => {
  assert.equal(zDefault, z);
  assert.equal(z.ZodError, ZodError);
});

test("strings: type, bounds, formats, regex", () => {
  assert.equal(z.string().parse("x"), "x");
  assert.deepEqual(issuesOf(z.string(), 1), [["", "Expected string, received number"]]);
  assert.deepEqual(issuesOf(z.string(), undefined), [["", "Required"]]);
  assert.deepEqual(issuesOf(z.string().min(2), "a"), [["", "String must contain at least 2 character(s)"]]);
  assert.deepEqual(issuesOf(z.string().max(2), "abc"), [["", "String must contain at most 2 character(s)"]]);
  assert.deepEqual(issuesOf(z.string().length(2), "abc"), [["", "String must contain exactly 2 character(s)"]]);
  assert.equal(z.string().nonempty().safeParse("").success, false);
  assert.equal(z.string().email().safeParse("a@b.co").success, true);
  assert.deepEqual(issuesOf(z.string().email(), "nope"), [["", "Invalid email"]]);
  assert.equal(z.string().url().safeParse("https://example.com/x").success, true);
  assert.deepEqual(issuesOf(z.string().url(), "not a url"), [["", "Invalid url"]]);
  assert.equal(z.string().regex(/^v\d+$/g).safeParse("v12").success, true);
  assert.equal(z.string().regex(/^v\d+$/g).safeParse("v12").success, true, "a /g regex must not keep state");
  assert.equal(z.string().regex(/^v\d+$/).safeParse("x").success, false);
  assert.deepEqual(issuesOf(z.string().min(3, "too short"), "a"), [["", "too short"]]);
  assert.deepEqual(issuesOf(z.string().min(3, { message: "short!" }), "a"), [["", "short!"]]);
});

test("numbers: int, inclusive and exclusive bounds, sign helpers", () => {
  assert.equal(z.number().parse(1.5), 1.5);
  assert.deepEqual(issuesOf(z.number(), "1"), [["", "Expected number, received string"]]);
  assert.deepEqual(issuesOf(z.number(), NaN), [["", "Expected number, received nan"]]);
  assert.deepEqual(issuesOf(z.number().int(), 1.5), [["", "Expected integer, received float"]]);
  assert.deepEqual(issuesOf(z.number().min(2), 1), [["", "Number must be greater than or equal to 2"]]);
  assert.deepEqual(issuesOf(z.number().gt(2), 2), [["", "Number must be greater than 2"]]);
  assert.deepEqual(issuesOf(z.number().max(2), 3), [["", "Number must be less than or equal to 2"]]);
  assert.deepEqual(issuesOf(z.number().lt(2), 2), [["", "Number must be less than 2"]]);
  assert.equal(z.number().gte(2).lte(2).safeParse(2).success, true);
  assert.equal(z.number().positive().safeParse(0).success, false);
  assert.equal(z.number().nonnegative().safeParse(0).success, true);
  assert.equal(z.number().negative().safeParse(0).success, false);
});

test("booleans, enums, literals, any, unknown", () => {
  assert.equal(z.boolean().parse(false), false);
  assert.deepEqual(issuesOf(z.boolean(), "true"), [["", "Expected boolean, received string"]]);
  const env = z.enum(["dev", "prod"]);
  assert.equal(env.parse("dev"), "dev");
  assert.deepEqual(env.options, ["dev", "prod"]);
  assert.equal(env.enum.prod, "prod");
  assert.deepEqual(issuesOf(env, "qa"), [["", "Invalid enum value. Expected 'dev' | 'prod', received 'qa'"]]);
  assert.throws(() => z.enum([]), TypeError);
  assert.equal(z.literal(3).parse(3), 3);
  assert.deepEqual(issuesOf(z.literal("a"), "b"), [["", 'Invalid literal value, expected "a"']]);
  assert.deepEqual(z.any().parse({ x: 1 }), { x: 1 });
  assert.equal(z.unknown().parse(undefined), undefined);
});

test("arrays check bounds and their elements, with paths", () => {
  const tags = z.array(z.string()).min(1).max(2);
  assert.deepEqual(tags.parse(["a"]), ["a"]);
  assert.deepEqual(issuesOf(tags, []), [["", "Array must contain at least 1 element(s)"]]);
  assert.deepEqual(issuesOf(tags, ["a", "b", "c"]), [["", "Array must contain at most 2 element(s)"]]);
  assert.deepEqual(issuesOf(tags, ["a", 2]), [["1", "Expected string, received number"]]);
  assert.deepEqual(issuesOf(z.array(z.number()).nonempty(), []), [["", "Array must contain at least 1 element(s)"]]);
  assert.deepEqual(issuesOf(z.array(z.number()), {}), [["", "Expected array, received object"]]);
});

test("objects: required keys, nested paths, unknown keys stripped, strict and passthrough", () => {
  const user = z.object({ name: z.string(), age: z.number().optional(), tags: z.array(z.string()) });
  assert.deepEqual(user.parse({ name: "a", tags: [], extra: 1 }), { name: "a", tags: [] });
  assert.deepEqual(issuesOf(user, { tags: ["x", 1] }), [
    ["name", "Required"],
    ["tags.1", "Expected string, received number"],
  ]);
  assert.deepEqual(issuesOf(user, null), [["", "Expected object, received null"]]);
  assert.deepEqual(issuesOf(user, []), [["", "Expected object, received array"]]);
  assert.deepEqual(issuesOf(user.strict(), { name: "a", tags: [], x: 1, y: 2 }), [
    ["", "Unrecognized key(s) in object: 'x', 'y'"],
  ]);
  assert.deepEqual(user.passthrough().parse({ name: "a", tags: [], x: 1 }), { name: "a", tags: [], x: 1 });
  assert.deepEqual(Object.keys(user.shape), ["name", "age", "tags"]);
  assert.deepEqual(user.partial().parse({}), {});
  assert.deepEqual(user.extend({ age: z.number() }).safeParse({ name: "a", tags: [] }).success, false);
});

test("unions, records, optional, nullable", () => {
  const id = z.union([z.string(), z.number()]);
  assert.equal(id.parse(1), 1);
  assert.deepEqual(issuesOf(id, true), [["", "Invalid input"]]);
  const scores = z.record(z.number());
  assert.deepEqual(scores.parse({ a: 1 }), { a: 1 });
  assert.deepEqual(issuesOf(scores, { a: "x" }), [["a", "Expected number, received string"]]);
  const byEnv = z.record(z.enum(["dev", "prod"]), z.string());
  assert.deepEqual(issuesOf(byEnv, { qa: "x" }), [["qa", "Invalid enum value. Expected 'dev' | 'prod', received 'qa'"]]);
  assert.equal(z.string().optional().parse(undefined), undefined);
  assert.equal(z.string().nullable().parse(null), null);
  assert.equal(z.string().nullable().safeParse(undefined).success, false);
  assert.equal(z.optional(z.string()).parse(undefined), undefined);
});

test("defaults are applied by parse, fresh each time, and may be functions", () => {
  const opts = z.object({
    retries: z.number().default(3),
    tags: z.array(z.string()).default([]),
    stamp: z.string().default(() => "now"),
    given: z.string().default("x"),
  });
  const a = opts.parse({ given: "y" });
  assert.deepEqual(a, { retries: 3, tags: [], stamp: "now", given: "y" });
  a.tags.push("mutated");
  assert.deepEqual(opts.parse({}).tags, []);
  assert.deepEqual(issuesOf(opts, { retries: "3" }), [["retries", "Expected number, received string"]]);
});

test("parse throws a ZodError; safeParse reports success or the error", () => {
  const schema = z.object({ a: z.object({ b: z.number() }) });
  assert.deepEqual(schema.safeParse({ a: { b: 1 } }), { success: true, data: { a: { b: 1 } } });
  const result = schema.safeParse({ a: { b: "x" } });
  assert.equal(result.success, false);
  assert.ok(result.error instanceof ZodError);
  assert.throws(() => schema.parse({ a: {} }), (error) => {
    assert.ok(error instanceof ZodError);
    assert.ok(error instanceof Error);
    assert.deepEqual(error.issues, [{ code: "invalid_type", path: ["a", "b"], message: "Required" }]);
    assert.equal(error.errors, error.issues);
    assert.equal(error.message, "a.b: Required");
    assert.deepEqual(error.flatten(), { formErrors: [], fieldErrors: { a: ["Required"] } });
    return true;
  });
});

test("builders are immutable", () => {
  const base = z.string();
  const short = base.max(3);
  assert.notEqual(base, short);
  assert.equal(base.safeParse("long string").success, true);
  assert.ok(Object.isFrozen(base));
  const obj = z.object({ a: z.string() });
  obj.strict();
  assert.equal(obj.parse({ a: "x", b: 1 }).b, undefined);
  const described = base.describe("d");
  assert.equal(base.description, undefined);
  assert.equal(described.description, "d");
});

test("toJSONSchema covers every builder and modifier", () => {
  const cases = [
    [z.string(), { type: "string" }],
    [z.string().min(1).max(9), { type: "string", minLength: 1, maxLength: 9 }],
    [z.string().length(4), { type: "string", minLength: 4, maxLength: 4 }],
    [z.string().nonempty(), { type: "string", minLength: 1 }],
    [z.string().email(), { type: "string", format: "email" }],
    [z.string().url(), { type: "string", format: "uri" }],
    [z.string().regex(/^a+$/), { type: "string", pattern: "^a+$" }],
    [z.string().regex(/a/).regex(/b/), { type: "string", pattern: "a", allOf: [{ pattern: "b" }] }],
    [z.number(), { type: "number" }],
    [z.number().int(), { type: "integer" }],
    [z.number().min(1).max(5), { type: "number", minimum: 1, maximum: 5 }],
    [z.number().gt(1).lt(5), { type: "number", exclusiveMinimum: 1, exclusiveMaximum: 5 }],
    [z.number().gte(1).lte(5), { type: "number", minimum: 1, maximum: 5 }],
    [z.number().positive(), { type: "number", exclusiveMinimum: 0 }],
    [z.number().nonnegative(), { type: "number", minimum: 0 }],
    [z.number().negative(), { type: "number", exclusiveMaximum: 0 }],
    [z.number().min(1).min(3).gt(3), { type: "number", exclusiveMinimum: 3 }],
    [z.boolean(), { type: "boolean" }],
    [z.enum(["a", "b"]), { type: "string", enum: ["a", "b"] }],
    [z.literal("x"), { type: "string", const: "x" }],
    [z.literal(2), { type: "number", const: 2 }],
    [z.literal(null), { type: "null", const: null }],
    [z.array(z.number()), { type: "array", items: { type: "number" } }],
    [z.array(z.number()).min(1).max(3), { type: "array", items: { type: "number" }, minItems: 1, maxItems: 3 }],
    [z.array(z.number()).nonempty(), { type: "array", items: { type: "number" }, minItems: 1 }],
    [z.union([z.string(), z.number()]), { anyOf: [{ type: "string" }, { type: "number" }] }],
    [z.record(z.number()), { type: "object", additionalProperties: { type: "number" } }],
    [
      z.record(z.enum(["a"]), z.number()),
      { type: "object", additionalProperties: { type: "number" }, propertyNames: { type: "string", enum: ["a"] } },
    ],
    [z.any(), {}],
    [z.unknown(), {}],
    [z.string().optional(), { type: "string" }],
    [z.string().nullable(), { type: ["string", "null"] }],
    [z.enum(["a"]).nullable(), { anyOf: [{ type: "string", enum: ["a"] }, { type: "null" }] }],
    [z.string().default("d"), { type: "string", default: "d" }],
    [z.string().describe("who"), { type: "string", description: "who" }],
    [z.string().optional().describe("opt"), { type: "string", description: "opt" }],
  ];
  for (const [schema, expected] of cases) {
    assert.deepEqual(schema.toJSONSchema(), expected);
    assert.deepEqual(z.toJSONSchema(schema), expected);
  }
});

test("objects in JSON Schema: required, optional, defaults, strict, partial, extend", () => {
  const args = z.object({
    featureName: z.string().describe("What to build"),
    requirements: z.string().optional(),
    retries: z.number().int().default(2),
    note: z.string().nullable(),
  });
  const expected = {
    type: "object",
    properties: {
      featureName: { type: "string", description: "What to build" },
      requirements: { type: "string" },
      retries: { type: "integer", default: 2 },
      note: { type: ["string", "null"] },
    },
    required: ["featureName", "note"],
    additionalProperties: false,
  };
  const { additionalProperties, ...open } = expected;
  assert.deepEqual(args.toJSONSchema(), expected);
  assert.deepEqual(args.strict().toJSONSchema(), expected);
  assert.deepEqual(args.strip().toJSONSchema(), expected);
  assert.deepEqual(args.passthrough().toJSONSchema(), open);
  assert.deepEqual(z.looseObject(args.shape).toJSONSchema(), open);
  assert.deepEqual(z.strictObject(args.shape).toJSONSchema(), expected);
  assert.equal(args.partial().toJSONSchema().required, undefined);
  assert.deepEqual(args.extend({ extra: z.boolean() }).toJSONSchema().required, ["featureName", "note", "extra"]);
  assert.deepEqual(z.object({}).toJSONSchema(), { type: "object", properties: {}, additionalProperties: false });
});

test("builders reject non-schemas early", () => {
  assert.throws(() => z.object({ a: "string" }), /z.object key "a" expects a schema/);
  assert.throws(() => z.array(), /z.array expects a schema/);
  assert.throws(() => z.union([z.string(), 1]), /z.union option 1/);
});
