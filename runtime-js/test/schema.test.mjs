// schema.js: one table of schemas converted from real zod v3, real zod v4 and our subset must
// give the same JSON Schema; then each flavour's extras, plain JSON Schema and the errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { z as z3 } from "zod3";
import { z as z4 } from "zod4";
import * as zm from "zod4/mini";
import { z as subset } from "../zod.js";
import { toJsonSchema } from "../schema.js";

const flavours = { "zod v3": z3, "zod v4": z4, subset };

// Written once with the API all three share.
const shared = [
  ["string", (z) => z.string(), { type: "string" }],
  ["string bounds", (z) => z.string().min(2).max(5), { type: "string", minLength: 2, maxLength: 5 }],
  ["string length", (z) => z.string().length(3), { type: "string", minLength: 3, maxLength: 3 }],
  ["email", (z) => z.string().email(), { type: "string", format: "email" }],
  ["url", (z) => z.string().url(), { type: "string", format: "uri" }],
  ["regex", (z) => z.string().regex(/^[a-z]+$/), { type: "string", pattern: "^[a-z]+$" }],
  ["number", (z) => z.number(), { type: "number" }],
  ["int", (z) => z.number().int(), { type: "integer" }],
  ["inclusive bounds", (z) => z.number().min(1).max(9), { type: "number", minimum: 1, maximum: 9 }],
  ["exclusive bounds", (z) => z.number().gt(1).lt(9), { type: "number", exclusiveMinimum: 1, exclusiveMaximum: 9 }],
  ["positive int", (z) => z.number().int().positive(), { type: "integer", exclusiveMinimum: 0 }],
  ["nonnegative", (z) => z.number().nonnegative(), { type: "number", minimum: 0 }],
  ["boolean", (z) => z.boolean(), { type: "boolean" }],
  ["enum", (z) => z.enum(["dev", "prod"]), { type: "string", enum: ["dev", "prod"] }],
  ["literal", (z) => z.literal("x"), { type: "string", const: "x" }],
  ["array", (z) => z.array(z.string()).min(1).max(3), { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 }],
  ["optional", (z) => z.string().optional(), { type: "string" }],
  ["nullable", (z) => z.number().nullable(), { type: ["number", "null"] }],
  ["default", (z) => z.string().default("main"), { type: "string", default: "main" }],
  ["describe", (z) => z.string().describe("the branch"), { type: "string", description: "the branch" }],
  ["union", (z) => z.union([z.string(), z.number()]), { anyOf: [{ type: "string" }, { type: "number" }] }],
  ["record", (z) => z.record(z.string(), z.boolean()), { type: "object", additionalProperties: { type: "boolean" } }],
  ["any", (z) => z.any(), {}],
  ["unknown", (z) => z.unknown(), {}],
  [
    "object",
    (z) =>
      z.object({
        featureName: z.string().describe("what to build"),
        notes: z.string().optional(),
        retries: z.number().int().default(2),
        env: z.enum(["dev", "prod"]).nullable(),
        nested: z.object({ on: z.boolean() }),
      }),
    {
      type: "object",
      properties: {
        featureName: { type: "string", description: "what to build" },
        notes: { type: "string" },
        retries: { type: "integer", default: 2 },
        env: { anyOf: [{ type: "string", enum: ["dev", "prod"] }, { type: "null" }] },
        nested: { type: "object", properties: { on: { type: "boolean" } }, required: ["on"], additionalProperties: false },
      },
      required: ["featureName", "env", "nested"],
      additionalProperties: false,
    },
  ],
  [
    "strict object",
    (z) => z.object({ a: z.string() }).strict(),
    { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false },
  ],
  // Open, as zod's own converter leaves it.
  ["passthrough object", (z) => z.object({ a: z.string() }).passthrough(), { type: "object", properties: { a: { type: "string" } }, required: ["a"] }],
];

for (const [flavour, z] of Object.entries(flavours)) {
  test(`${flavour}: the shared table converts the same way`, () => {
    for (const [name, build, expected] of shared) {
      assert.deepEqual(toJsonSchema(build(z)), expected, `${flavour}: ${name}`);
    }
  });
}

test("zod v3 extras: native enums, effects, discriminated unions, catchall, intersection", () => {
  const Color = { Red: 0, Green: 1, 0: "Red", 1: "Green" }; // as TypeScript compiles a numeric enum
  assert.deepEqual(toJsonSchema(z3.nativeEnum(Color)), { type: "number", enum: [0, 1] });
  assert.deepEqual(toJsonSchema(z3.nativeEnum({ A: "a", B: "b" })), { type: "string", enum: ["a", "b"] });
  assert.deepEqual(toJsonSchema(z3.string().refine((s) => s !== "x")), { type: "string" });
  assert.deepEqual(toJsonSchema(z3.string().transform((s) => s.length)), { type: "string" });
  assert.deepEqual(toJsonSchema(z3.record(z3.number())), { type: "object", additionalProperties: { type: "number" } });
  const du = z3.discriminatedUnion("kind", [z3.object({ kind: z3.literal("a") }), z3.object({ kind: z3.literal("b") })]);
  assert.deepEqual(toJsonSchema(du).anyOf.map((o) => o.properties.kind.const), ["a", "b"]);
  assert.deepEqual(toJsonSchema(z3.object({}).catchall(z3.number())).additionalProperties, { type: "number" });
  assert.equal(toJsonSchema(z3.object({}).passthrough()).additionalProperties, undefined);
  assert.deepEqual(toJsonSchema(z3.intersection(z3.object({}), z3.object({}))).allOf.length, 2);
  assert.deepEqual(toJsonSchema(z3.string().uuid()), { type: "string", format: "uuid" });
  assert.deepEqual(toJsonSchema(z3.string().datetime()), { type: "string", format: "date-time" });
  assert.deepEqual(toJsonSchema(z3.number().multipleOf(5)), { type: "number", multipleOf: 5 });
  assert.deepEqual(toJsonSchema(z3.string().nullish()), { type: ["string", "null"] });
  assert.deepEqual(toJsonSchema(z3.object({ a: z3.string().nullish() })).required, undefined);
});

test("zod v4 extras: top-level formats, native enums, pipes, discriminated unions, mini", () => {
  assert.deepEqual(toJsonSchema(z4.email()), { type: "string", format: "email" });
  assert.deepEqual(toJsonSchema(z4.url()), { type: "string", format: "uri" });
  assert.deepEqual(toJsonSchema(z4.uuid()), { type: "string", format: "uuid" });
  assert.deepEqual(toJsonSchema(z4.iso.datetime()), { type: "string", format: "date-time" });
  assert.deepEqual(toJsonSchema(z4.int().min(1)), { type: "integer", minimum: 1 });
  assert.deepEqual(toJsonSchema(z4.string().startsWith("v")).type, "string");
  assert.match(toJsonSchema(z4.string().startsWith("v")).pattern, /v/);
  const Color = { Red: 0, Green: 1, 0: "Red", 1: "Green" };
  assert.deepEqual(toJsonSchema(z4.nativeEnum(Color)), { type: "number", enum: [0, 1] });
  assert.deepEqual(toJsonSchema(z4.enum({ A: "a", B: "b" })), { type: "string", enum: ["a", "b"] });
  assert.deepEqual(toJsonSchema(z4.literal(["a", "b"])), { type: "string", enum: ["a", "b"] });
  assert.deepEqual(toJsonSchema(z4.string().transform((s) => s.length)), { type: "string" });
  assert.deepEqual(toJsonSchema(z4.string().refine((s) => s !== "x")), { type: "string" });
  const du = z4.discriminatedUnion("kind", [z4.object({ kind: z4.literal("a") }), z4.object({ kind: z4.literal("b") })]);
  assert.deepEqual(toJsonSchema(du).anyOf.map((o) => o.properties.kind.const), ["a", "b"]);
  assert.equal(toJsonSchema(z4.object({ a: z4.string() }).passthrough()).additionalProperties, undefined);
  assert.equal(toJsonSchema(z4.looseObject({ a: z4.string() })).additionalProperties, undefined);
  assert.equal(toJsonSchema(zm.looseObject({ a: zm.string() })).additionalProperties, undefined);
  assert.deepEqual(toJsonSchema(z4.strictObject({})).additionalProperties, false);
  assert.deepEqual(toJsonSchema(z4.object({ a: z4.string().nullish(), b: z4.any() })).required, undefined);
  assert.deepEqual(toJsonSchema(z4.string().meta({ description: "via meta" })), { type: "string", description: "via meta" });
  const mini = zm.object({ name: zm.string().check(zm.minLength(1)), n: zm.optional(zm.number()) });
  assert.deepEqual(toJsonSchema(mini), {
    type: "object",
    properties: { name: { type: "string", minLength: 1 }, n: { type: "number" } },
    required: ["name"],
    additionalProperties: false,
  });
});

test("unsupported zod types throw naming the type and where it is", () => {
  assert.throws(() => toJsonSchema(z3.object({ when: z3.date() })), {
    message: 'cannot convert the schema to JSON Schema: zod type "ZodDate" at "when" has no JSON Schema equivalent',
  });
  assert.throws(() => toJsonSchema(z4.object({ list: z4.array(z4.bigint()) })), /zod type "bigint" at "list\.\[\]"/);
  assert.throws(() => toJsonSchema(z3.lazy(() => z3.string())), /zod type "ZodLazy"/);
  const Tree = z4.object({
    name: z4.string(),
    get children() {
      return z4.array(Tree);
    },
  });
  assert.throws(() => toJsonSchema(Tree), /a recursive schema at "children\.\[\]"/);
});

test("plain JSON Schema passes through as a deep copy", () => {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { environment: { type: "string", enum: ["dev", "staging", "production"] } },
    required: ["environment"],
  };
  const out = toJsonSchema(schema);
  assert.deepEqual(out, schema);
  assert.notEqual(out.properties, schema.properties);
  assert.deepEqual(toJsonSchema({}), {});
  assert.deepEqual(toJsonSchema({ anyOf: [{ type: "string" }] }), { anyOf: [{ type: "string" }] });
  assert.deepEqual(toJsonSchema(Object.assign(Object.create(null), { type: "string" })), { type: "string" });
});

test("absent schemas are null; other values are refused with a hint", () => {
  assert.equal(toJsonSchema(undefined), null);
  assert.equal(toJsonSchema(null), null);
  assert.throws(() => toJsonSchema("string"), /got a string/);
  assert.throws(() => toJsonSchema({ featureName: z4.string() }), /wrap them in z\.object/);
  assert.throws(() => toJsonSchema({ foo: 1 }), /must be a zod schema or a JSON Schema object/);
  assert.throws(() => toJsonSchema([]), /must be a zod schema or a JSON Schema object/);
});

test("an object with its own toJSONSchema is asked for it, without $schema", () => {
  const custom = { toJSONSchema: () => ({ $schema: "x", type: "integer" }) };
  assert.deepEqual(toJsonSchema(custom), { type: "integer" });
});
