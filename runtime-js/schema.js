// Turns whatever a workflow gives as `argsSchema` (or a step's `outputSchema`) into JSON Schema,
// the one form the Rust engine validates against and the UI renders: a plain JSON Schema
// object, our built-in zod subset, or the project's own zod v3 or v4. Real zod is read by
// walking its definitions, because zod v3 has no converter and zod v4's output depends on its
// minor version; output is draft 2020-12 without `$schema`, describing the *input* side
// (what a caller must send), so keys with defaults are not required. Objects are closed
// (`additionalProperties: false`) unless they pass unknown keys through, as zod's own
// converter makes them: a mistyped key is refused instead of silently dropped.

const SUBSET_BRAND = Symbol.for("workflow-engine.zod-subset");

// Keywords that make a plain object recognisable as JSON Schema.
const JSON_SCHEMA_KEYWORDS = new Set([
  "$schema", "$id", "$ref", "$defs", "definitions", "type", "properties", "required",
  "additionalProperties", "items", "prefixItems", "enum", "const", "anyOf", "oneOf", "allOf",
  "not", "if", "then", "else", "title", "description", "default", "examples", "format",
  "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "propertyNames",
  "patternProperties", "minProperties", "maxProperties",
]);

// zod string formats that JSON Schema names; any other format with a pattern becomes `pattern`.
const STRING_FORMATS = {
  email: "email", url: "uri", uuid: "uuid", guid: "uuid", datetime: "date-time",
  date: "date", time: "time", duration: "duration", ipv4: "ipv4", ipv6: "ipv6",
};

/** Lets a schema also be `null`, keeping simple schemas simple (`type: ["string", "null"]`). */
export function withNull(json) {
  if (Object.keys(json).length === 0 || json.type === "null") return json;
  if (typeof json.type === "string" && !("enum" in json) && !("const" in json)) {
    return { ...json, type: [json.type, "null"] };
  }
  return { anyOf: [json, { type: "null" }] };
}

/** Converts a workflow's schema to JSON Schema; `null`/`undefined` mean "no schema". */
export function toJsonSchema(schema) {
  if (schema == null) return null;
  if (typeof schema !== "object") {
    throw new TypeError(`a schema must be a zod schema or a JSON Schema object, got a ${typeof schema}`);
  }
  if (schema[SUBSET_BRAND] === true) return schema.toJSONSchema();
  if (schema._zod?.def) return new Walker(zod4).walk(schema);
  if (typeof schema._def?.typeName === "string") return new Walker(zod3).walk(schema);
  if (typeof schema.toJSONSchema === "function") {
    const { $schema, ...json } = schema.toJSONSchema();
    return json;
  }
  const proto = Object.getPrototypeOf(schema);
  if (!Array.isArray(schema) && (proto === Object.prototype || proto === null)) {
    const keys = Object.keys(schema);
    if (keys.length === 0 || keys.some((k) => JSON_SCHEMA_KEYWORDS.has(k))) {
      return JSON.parse(JSON.stringify(schema));
    }
    if (keys.every((k) => schema[k] !== null && typeof schema[k] === "object" && !JSON_SCHEMA_KEYWORDS.has(k))) {
      throw new TypeError(
        `the schema looks like an object's fields (${keys.join(", ")}): wrap them in z.object({ ... })`,
      );
    }
  }
  throw new TypeError("a schema must be a zod schema or a JSON Schema object (with `type`, `properties`, ...)");
}

/** Walks one zod flavour; `flavour` knows how to read that version's definitions. */
class Walker {
  constructor(flavour) {
    this.flavour = flavour;
    this.path = [];
    this.active = new Set();
  }
  walk(schema) {
    // Recursive schemas (z.lazy, v4 getters) would loop forever; JSON Schema needs $ref for them.
    if (this.active.has(schema)) this.fail("a recursive schema");
    this.active.add(schema);
    try {
      const json = this.flavour(schema, this);
      const description = schema.description;
      if (typeof description === "string" && json.description === undefined) json.description = description;
      return json;
    } finally {
      this.active.delete(schema);
    }
  }
  at(key, schema) {
    this.path.push(key);
    try {
      return this.walk(schema);
    } finally {
      this.path.pop();
    }
  }
  fail(what) {
    const where = this.path.length ? ` at "${this.path.join(".")}"` : "";
    throw new Error(`cannot convert the schema to JSON Schema: ${what}${where} has no JSON Schema equivalent`);
  }
}

function literalJson(values) {
  const types = new Set(values.map((v) => (v === null ? "null" : typeof v)));
  const json = {};
  if (types.size === 1) {
    const [type] = types;
    if (["string", "number", "boolean", "null"].includes(type)) json.type = type;
  }
  if (values.length === 1) json.const = values[0];
  else json.enum = values;
  return json;
}

/** Values of a TypeScript enum object, without the reverse entries numeric enums add. */
function enumValues(object) {
  const values = Object.entries(object)
    .filter(([, v]) => !(typeof v === "string" && typeof object[v] === "number"))
    .map(([, v]) => v);
  return [...new Set(values)];
}

/** Bounds as { kind: "min"|"max", value, inclusive }, collapsed to the tightest on each side. */
export function boundsJson(json, bounds) {
  for (const side of ["min", "max"]) {
    let best = null;
    for (const b of bounds.filter((x) => x.kind === side)) {
      const tighter = side === "min" ? b.value > best?.value : b.value < best?.value;
      if (!best || tighter || (b.value === best.value && !b.inclusive)) best = b;
    }
    if (!best) continue;
    const name = side === "min" ? "Minimum" : "Maximum";
    json[best.inclusive ? name.toLowerCase() : `exclusive${name}`] = best.value;
  }
  return json;
}

/**
 * String facts as `{ min, max, format, pattern }` records, one per zod check; JSON Schema has one
 * `pattern` slot, so further patterns go to `allOf`, where they must all hold too.
 */
export function stringJson(checks) {
  const json = { type: "string" };
  const patterns = [];
  for (const c of checks) {
    if (c.min !== undefined) json.minLength = Math.max(json.minLength ?? 0, c.min);
    if (c.max !== undefined) json.maxLength = Math.min(json.maxLength ?? Infinity, c.max);
    if (c.format !== undefined && STRING_FORMATS[c.format]) json.format = STRING_FORMATS[c.format];
    else if (c.pattern) patterns.push(c.pattern.source ?? String(c.pattern));
  }
  if (patterns.length > 0) json.pattern = patterns[0];
  if (patterns.length > 1) json.allOf = patterns.slice(1).map((pattern) => ({ pattern }));
  return json;
}

function objectJson(entries, walker, isOptional) {
  const properties = {};
  const required = [];
  for (const [key, schema] of entries) {
    properties[key] = walker.at(key, schema);
    if (!isOptional(schema)) required.push(key);
  }
  const json = { type: "object", properties };
  if (required.length > 0) json.required = required;
  return json;
}

function recordJson(keyType, valueType, walker) {
  const json = { type: "object", additionalProperties: walker.at("*", valueType) };
  const keys = walker.at("(key)", keyType);
  if (Object.keys(keys).some((k) => k !== "type")) json.propertyNames = keys;
  return json;
}

/** zod v4 (classic and mini): `schema._zod.def`, with checks as schemas of their own. */
function zod4(schema, walker) {
  const def = schema._zod.def;
  const walk = (s) => walker.walk(s);
  // Format schemas such as z.email() and z.int() are their own first check.
  const checks = [def, ...(def.checks ?? []).map((c) => c._zod?.def ?? c)].filter((c) => c.check);
  switch (def.type) {
    case "string":
      return stringJson(
        checks.map((c) => {
          if (c.check === "min_length") return { min: c.minimum };
          if (c.check === "max_length") return { max: c.maximum };
          if (c.check === "length_equals") return { min: c.length, max: c.length };
          if (c.check === "string_format") {
            return c.format === "regex" || !STRING_FORMATS[c.format] ? { pattern: c.pattern } : { format: c.format };
          }
          return {};
        }),
      );
    case "number": {
      const integer = checks.some((c) => c.check === "number_format" && /int/.test(c.format));
      const json = { type: integer ? "integer" : "number" };
      const multipleOf = checks.find((c) => c.check === "multiple_of");
      if (multipleOf) json.multipleOf = multipleOf.value;
      return boundsJson(
        json,
        checks
          .filter((c) => c.check === "greater_than" || c.check === "less_than")
          .map((c) => ({ kind: c.check === "greater_than" ? "min" : "max", value: c.value, inclusive: c.inclusive })),
      );
    }
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "any":
    case "unknown":
      return {};
    case "never":
      return { not: {} };
    case "enum":
      return literalJson(enumValues(def.entries));
    case "literal":
      return literalJson(def.values);
    case "array": {
      const json = { type: "array", items: walker.at("[]", def.element) };
      for (const c of checks) {
        if (c.check === "min_length") json.minItems = c.minimum;
        if (c.check === "max_length") json.maxItems = c.maximum;
        if (c.check === "length_equals") json.minItems = json.maxItems = c.length;
      }
      return json;
    }
    case "object": {
      const optional = (s) => s._zod.optin !== undefined || ["any", "unknown"].includes(s._zod.def.type);
      const json = objectJson(Object.entries(def.shape), walker, optional);
      // No catchall is z.object (strips unknown keys: closed, as zod's own toJSONSchema has
      // it); `never` is strictObject; unknown/any are looseObject and `.passthrough()`.
      const catchall = def.catchall?._zod.def.type;
      if (catchall === undefined || catchall === "never") json.additionalProperties = false;
      else if (catchall !== "unknown" && catchall !== "any") {
        json.additionalProperties = walker.at("*", def.catchall);
      }
      return json;
    }
    case "record":
      return recordJson(def.keyType, def.valueType, walker);
    case "union":
      return { anyOf: def.options.map(walk) };
    case "intersection":
      return { allOf: [walk(def.left), walk(def.right)] };
    case "optional":
    case "nonoptional":
    case "readonly":
    case "catch":
      return walk(def.innerType);
    case "nullable":
      return withNull(walk(def.innerType));
    case "default":
    case "prefault": {
      const value = typeof def.defaultValue === "function" ? def.defaultValue() : def.defaultValue;
      return { ...walk(def.innerType), default: value };
    }
    case "pipe":
      // The input side of a transform is what a caller has to send.
      return walk(def.in);
    default:
      return walker.fail(`zod type "${def.type}"`);
  }
}

/** zod v3: `schema._def.typeName`, with checks as `{ kind, value }` records. */
function zod3(schema, walker) {
  const def = schema._def;
  const walk = (s) => walker.walk(s);
  switch (def.typeName) {
    case "ZodString":
      return stringJson(
        def.checks.map((c) => {
          if (c.kind === "min") return { min: c.value };
          if (c.kind === "max") return { max: c.value };
          if (c.kind === "length") return { min: c.value, max: c.value };
          if (c.kind === "regex") return { pattern: c.regex };
          if (c.kind === "ip") return { format: c.version === "v6" ? "ipv6" : "ipv4" };
          return STRING_FORMATS[c.kind] ? { format: c.kind } : {};
        }),
      );
    case "ZodNumber": {
      const json = { type: def.checks.some((c) => c.kind === "int") ? "integer" : "number" };
      const multipleOf = def.checks.find((c) => c.kind === "multipleOf");
      if (multipleOf) json.multipleOf = multipleOf.value;
      return boundsJson(json, def.checks.filter((c) => c.kind === "min" || c.kind === "max"));
    }
    case "ZodBoolean":
      return { type: "boolean" };
    case "ZodNull":
      return { type: "null" };
    case "ZodAny":
    case "ZodUnknown":
      return {};
    case "ZodNever":
      return { not: {} };
    case "ZodEnum":
      return literalJson([...def.values]);
    case "ZodNativeEnum":
      return literalJson(enumValues(def.values));
    case "ZodLiteral":
      return literalJson([def.value]);
    case "ZodArray": {
      const json = { type: "array", items: walker.at("[]", def.type) };
      if (def.minLength) json.minItems = def.minLength.value;
      if (def.maxLength) json.maxItems = def.maxLength.value;
      if (def.exactLength) json.minItems = json.maxItems = def.exactLength.value;
      return json;
    }
    case "ZodObject": {
      const json = objectJson(Object.entries(def.shape()), walker, (s) => s.isOptional());
      const catchall = def.catchall?._def.typeName;
      if (catchall && catchall !== "ZodNever") json.additionalProperties = walker.at("*", def.catchall);
      else if (def.unknownKeys !== "passthrough") json.additionalProperties = false;
      return json;
    }
    case "ZodRecord":
      return recordJson(def.keyType, def.valueType, walker);
    case "ZodUnion":
    case "ZodDiscriminatedUnion":
      return { anyOf: [...def.options.values()].map(walk) };
    case "ZodIntersection":
      return { allOf: [walk(def.left), walk(def.right)] };
    case "ZodOptional":
    case "ZodReadonly":
    case "ZodCatch":
      return walk(def.innerType);
    case "ZodNullable":
      return withNull(walk(def.innerType));
    case "ZodDefault":
      return { ...walk(def.innerType), default: def.defaultValue() };
    case "ZodEffects":
      return walk(def.schema);
    case "ZodBranded":
      return walk(def.type);
    case "ZodPipeline":
      return walk(def.in);
    default:
      return walker.fail(`zod type "${def.typeName}"`);
  }
}
