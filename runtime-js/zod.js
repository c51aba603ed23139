// The built-in `zod`: the subset of zod's API that workflow argument schemas use, loaded when
// the user's project has no zod of its own. Owns validation (`parse`/`safeParse`, defaults
// applied) and each schema's JSON Schema (`toJSONSchema`), which the engine validates run
// arguments against and shows in the UI. Builders are immutable: every method returns a new
// schema, so a shared base schema can be refined in several places without surprises.

import { boundsJson, stringJson, toJsonSchema, withNull } from "./schema.js";

/** Lets schema.js recognise our schemas even when another copy of this file made them. */
export const SUBSET_BRAND = Symbol.for("workflow-engine.zod-subset");

export class ZodError extends Error {
  constructor(issues) {
    // One readable line per issue, because the engine shows `message` to the user as is.
    super(issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; "));
    this.name = "ZodError";
    this.issues = issues;
  }
  /** zod v3's name for `issues`. */
  get errors() { return this.issues; }
  flatten() {
    const formErrors = [];
    const fieldErrors = {};
    for (const issue of this.issues) {
      if (issue.path.length === 0) formErrors.push(issue.message);
      else (fieldErrors[issue.path[0]] ??= []).push(issue.message);
    }
    return { formErrors, fieldErrors };
  }
}

function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isNaN(value)) return "nan";
  return typeof value;
}

function report(issues, path, code, message) {
  issues.push({ code, path: [...path], message });
}

// zod reports a missing value as "Required" rather than "expected string, received undefined".
function reportType(issues, path, expected, value) {
  const message = value === undefined ? "Required" : `Expected ${expected}, received ${kindOf(value)}`;
  report(issues, path, "invalid_type", message);
}

/** zod accepts a custom message as a string or as `{ message }`. */
function messageOf(custom, fallback) {
  if (typeof custom === "string") return custom;
  return custom?.message ?? fallback;
}

function isObjectLike(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function copyJson(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class ZodType {
  constructor(def) {
    this.def = Object.freeze({ ...def });
    Object.defineProperty(this, SUBSET_BRAND, { value: true });
    Object.freeze(this);
  }
  get description() { return this.def.description; }
  _with(patch) { return new this.constructor({ ...this.def, ...patch }); }
  _check(check) { return this._with({ checks: [...(this.def.checks ?? []), check] }); }
  optional() { return new ZodOptional({ inner: this }); }
  nullable() { return new ZodNullable({ inner: this }); }
  nullish() { return this.nullable().optional(); }
  default(value) { return new ZodDefault({ inner: this, value }); }
  describe(description) { return this._with({ description }); }
  safeParse(value) {
    const issues = [];
    const data = this._parse(value, [], issues);
    return issues.length === 0 ? { success: true, data } : { success: false, error: new ZodError(issues) };
  }
  parse(value) {
    const result = this.safeParse(value);
    if (result.success) return result.data;
    throw result.error;
  }
  async parseAsync(value) { return this.parse(value); }
  async safeParseAsync(value) { return this.safeParse(value); }
  /** True when the schema accepts `undefined`, i.e. an object key using it may be left out. */
  isOptional() { return this.safeParse(undefined).success; }
  isNullable() { return this.safeParse(null).success; }
  toJSONSchema() {
    const json = this._json();
    if (this.def.description !== undefined) json.description = this.def.description;
    return json;
  }
}

// Our string checks in the form schema.js's `stringJson` shares with the real-zod walkers.
const STRING_FACTS = {
  min: (c) => ({ min: c.value }),
  max: (c) => ({ max: c.value }),
  length: (c) => ({ min: c.value, max: c.value }),
  email: () => ({ format: "email" }),
  url: () => ({ format: "url" }),
  regex: (c) => ({ pattern: c.regex }),
};

export class ZodString extends ZodType {
  min(n, message) { return this._check({ kind: "min", value: n, message }); }
  max(n, message) { return this._check({ kind: "max", value: n, message }); }
  length(n, message) { return this._check({ kind: "length", value: n, message }); }
  nonempty(message) { return this.min(1, messageOf(message, "String must contain at least 1 character(s)")); }
  email(message) { return this._check({ kind: "email", message }); }
  url(message) { return this._check({ kind: "url", message }); }
  regex(regex, message) { return this._check({ kind: "regex", regex, message }); }
  _parse(value, path, issues) {
    if (typeof value !== "string") return reportType(issues, path, "string", value);
    for (const c of this.def.checks ?? []) {
      const fail = (code, fallback) => report(issues, path, code, messageOf(c.message, fallback));
      if (c.kind === "min" && value.length < c.value) {
        fail("too_small", `String must contain at least ${c.value} character(s)`);
      } else if (c.kind === "max" && value.length > c.value) {
        fail("too_big", `String must contain at most ${c.value} character(s)`);
      } else if (c.kind === "length" && value.length !== c.value) {
        fail(value.length < c.value ? "too_small" : "too_big", `String must contain exactly ${c.value} character(s)`);
      } else if (c.kind === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        fail("invalid_string", "Invalid email");
      } else if (c.kind === "url" && !/^[a-z][a-z\d+.-]*:\S+$/i.test(value)) {
        // No `URL` class in a bare ECMAScript engine, so a scheme followed by text will do.
        fail("invalid_string", "Invalid url");
      } else if (c.kind === "regex" && !new RegExp(c.regex.source, c.regex.flags.replace(/[gy]/g, "")).test(value)) {
        fail("invalid_string", `String must match the pattern /${c.regex.source}/`);
      }
    }
    return value;
  }
  _json() {
    return stringJson((this.def.checks ?? []).map((c) => STRING_FACTS[c.kind](c)));
  }
}

export class ZodNumber extends ZodType {
  int(message) { return this._check({ kind: "int", message }); }
  _bound(kind, value, inclusive, message) { return this._check({ kind, value, inclusive, message }); }
  min(n, message) { return this._bound("min", n, true, message); }
  gte(n, message) { return this._bound("min", n, true, message); }
  gt(n, message) { return this._bound("min", n, false, message); }
  max(n, message) { return this._bound("max", n, true, message); }
  lte(n, message) { return this._bound("max", n, true, message); }
  lt(n, message) { return this._bound("max", n, false, message); }
  positive(message) { return this.gt(0, message); }
  nonnegative(message) { return this.gte(0, message); }
  negative(message) { return this.lt(0, message); }
  nonpositive(message) { return this.lte(0, message); }
  _parse(value, path, issues) {
    if (typeof value !== "number" || Number.isNaN(value)) return reportType(issues, path, "number", value);
    if (!Number.isFinite(value)) return report(issues, path, "not_finite", "Number must be finite");
    for (const c of this.def.checks ?? []) {
      const fail = (code, fallback) => report(issues, path, code, messageOf(c.message, fallback));
      const or = c.inclusive ? "or equal to " : "";
      if (c.kind === "int" && !Number.isInteger(value)) {
        fail("invalid_type", "Expected integer, received float");
      } else if (c.kind === "min" && (c.inclusive ? value < c.value : value <= c.value)) {
        fail("too_small", `Number must be greater than ${or}${c.value}`);
      } else if (c.kind === "max" && (c.inclusive ? value > c.value : value >= c.value)) {
        fail("too_big", `Number must be less than ${or}${c.value}`);
      }
    }
    return value;
  }
  _json() {
    const checks = this.def.checks ?? [];
    const json = { type: checks.some((c) => c.kind === "int") ? "integer" : "number" };
    return boundsJson(json, checks.filter((c) => c.kind === "min" || c.kind === "max"));
  }
}

export class ZodBoolean extends ZodType {
  _parse(value, path, issues) {
    return typeof value === "boolean" ? value : reportType(issues, path, "boolean", value);
  }
  _json() { return { type: "boolean" }; }
}

export class ZodEnum extends ZodType {
  get options() { return [...this.def.values]; }
  /** `Colors.enum.red === "red"`, as in zod. */
  get enum() { return Object.fromEntries(this.def.values.map((v) => [v, v])); }
  _parse(value, path, issues) {
    if (this.def.values.includes(value)) return value;
    const expected = this.def.values.map((v) => `'${v}'`).join(" | ");
    const received = typeof value === "string" ? `'${value}'` : kindOf(value);
    report(issues, path, "invalid_enum_value", `Invalid enum value. Expected ${expected}, received ${received}`);
  }
  _json() { return { type: "string", enum: [...this.def.values] }; }
}

export class ZodLiteral extends ZodType {
  get value() { return this.def.value; }
  _parse(value, path, issues) {
    if (value === this.def.value) return value;
    report(issues, path, "invalid_literal", `Invalid literal value, expected ${JSON.stringify(this.def.value)}`);
  }
  _json() {
    const v = this.def.value;
    const type = v === null ? "null" : typeof v;
    return ["string", "number", "boolean", "null"].includes(type) ? { type, const: v } : { const: v };
  }
}

export class ZodArray extends ZodType {
  get element() { return this.def.element; }
  min(n, message) { return this._check({ kind: "min", value: n, message }); }
  max(n, message) { return this._check({ kind: "max", value: n, message }); }
  length(n, message) { return this._check({ kind: "length", value: n, message }); }
  nonempty(message) { return this.min(1, message); }
  _parse(value, path, issues) {
    if (!Array.isArray(value)) return reportType(issues, path, "array", value);
    for (const c of this.def.checks ?? []) {
      const fail = (code, fallback) => report(issues, path, code, messageOf(c.message, fallback));
      if (c.kind === "min" && value.length < c.value) {
        fail("too_small", `Array must contain at least ${c.value} element(s)`);
      } else if (c.kind === "max" && value.length > c.value) {
        fail("too_big", `Array must contain at most ${c.value} element(s)`);
      } else if (c.kind === "length" && value.length !== c.value) {
        fail(value.length < c.value ? "too_small" : "too_big", `Array must contain exactly ${c.value} element(s)`);
      }
    }
    return value.map((item, i) => this.def.element._parse(item, [...path, i], issues));
  }
  _json() {
    const json = { type: "array", items: this.def.element.toJSONSchema() };
    for (const c of this.def.checks ?? []) {
      if (c.kind === "min") json.minItems = Math.max(json.minItems ?? 0, c.value);
      else if (c.kind === "max") json.maxItems = Math.min(json.maxItems ?? Infinity, c.value);
      else json.minItems = json.maxItems = c.value;
    }
    return json;
  }
}

export class ZodObject extends ZodType {
  get shape() { return this.def.shape; }
  strict() { return this._with({ unknownKeys: "strict" }); }
  passthrough() { return this._with({ unknownKeys: "passthrough" }); }
  strip() { return this._with({ unknownKeys: "strip" }); }
  extend(shape) { return this._with({ shape: { ...this.def.shape, ...shape } }); }
  merge(other) { return this.extend(other.shape); }
  partial() {
    const entries = Object.entries(this.def.shape).map(([k, s]) => [k, s.optional()]);
    return this._with({ shape: Object.fromEntries(entries) });
  }
  pick(mask) {
    return this._with({ shape: Object.fromEntries(Object.entries(this.def.shape).filter(([k]) => mask[k])) });
  }
  omit(mask) {
    return this._with({ shape: Object.fromEntries(Object.entries(this.def.shape).filter(([k]) => !mask[k])) });
  }
  keyof() { return new ZodEnum({ values: Object.keys(this.def.shape) }); }
  _parse(value, path, issues) {
    if (!isObjectLike(value)) return reportType(issues, path, "object", value);
    const out = {};
    for (const [key, schema] of Object.entries(this.def.shape)) {
      const parsed = schema._parse(value[key], [...path, key], issues);
      // A missing optional key stays missing instead of appearing as `key: undefined`.
      if (parsed !== undefined || Object.hasOwn(value, key)) out[key] = parsed;
    }
    const unknown = Object.keys(value).filter((k) => !Object.hasOwn(this.def.shape, k));
    if (this.def.unknownKeys === "strict" && unknown.length > 0) {
      const keys = unknown.map((k) => `'${k}'`).join(", ");
      report(issues, path, "unrecognized_keys", `Unrecognized key(s) in object: ${keys}`);
    } else if (this.def.unknownKeys === "passthrough") {
      for (const key of unknown) out[key] = value[key];
    }
    return out;
  }
  _json() {
    const properties = {};
    const required = [];
    for (const [key, schema] of Object.entries(this.def.shape)) {
      properties[key] = schema.toJSONSchema();
      if (!schema.isOptional()) required.push(key);
    }
    const json = { type: "object", properties };
    if (required.length > 0) json.required = required;
    if (this.def.unknownKeys !== "passthrough") json.additionalProperties = false;
    return json;
  }
}

export class ZodUnion extends ZodType {
  get options() { return [...this.def.options]; }
  _parse(value, path, issues) {
    const failures = [];
    for (const option of this.def.options) {
      const own = [];
      const parsed = option._parse(value, path, own);
      if (own.length === 0) return parsed;
      failures.push(own);
    }
    issues.push({ code: "invalid_union", path: [...path], message: "Invalid input", unionErrors: failures });
  }
  _json() { return { anyOf: this.def.options.map((o) => o.toJSONSchema()) }; }
}

export class ZodRecord extends ZodType {
  _parse(value, path, issues) {
    if (!isObjectLike(value)) return reportType(issues, path, "object", value);
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      const k = this.def.key._parse(key, [...path, key], issues);
      out[k] = this.def.value._parse(item, [...path, key], issues);
    }
    return out;
  }
  _json() {
    const json = { type: "object", additionalProperties: this.def.value.toJSONSchema() };
    const keys = this.def.key.toJSONSchema();
    if (Object.keys(keys).some((k) => k !== "type")) json.propertyNames = keys;
    return json;
  }
}

export class ZodAny extends ZodType {
  _parse(value) { return value; }
  _json() { return {}; }
}

export class ZodUnknown extends ZodAny {}

export class ZodOptional extends ZodType {
  unwrap() { return this.def.inner; }
  _parse(value, path, issues) {
    return value === undefined ? undefined : this.def.inner._parse(value, path, issues);
  }
  _json() { return this.def.inner.toJSONSchema(); }
}

export class ZodNullable extends ZodType {
  unwrap() { return this.def.inner; }
  _parse(value, path, issues) { return value === null ? null : this.def.inner._parse(value, path, issues); }
  _json() { return withNull(this.def.inner.toJSONSchema()); }
}

export class ZodDefault extends ZodType {
  removeDefault() { return this.def.inner; }
  _defaultValue() {
    // A fresh copy each time, so a run that mutates its args cannot change the next default.
    return typeof this.def.value === "function" ? this.def.value() : copyJson(this.def.value);
  }
  _parse(value, path, issues) {
    return this.def.inner._parse(value === undefined ? this._defaultValue() : value, path, issues);
  }
  _json() { return { ...this.def.inner.toJSONSchema(), default: this._defaultValue() }; }
}

function checkSchema(value, where) {
  if (!(value instanceof ZodType)) {
    throw new TypeError(`${where} expects a schema made with z.*(), got ${kindOf(value)}`);
  }
  return value;
}

export const z = Object.freeze({
  string: () => new ZodString({}),
  number: () => new ZodNumber({}),
  boolean: () => new ZodBoolean({}),
  enum(values) {
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "string")) {
      throw new TypeError("z.enum expects a non-empty array of strings");
    }
    return new ZodEnum({ values: [...values] });
  },
  literal: (value) => new ZodLiteral({ value }),
  array: (element) => new ZodArray({ element: checkSchema(element, "z.array") }),
  object(shape = {}) {
    for (const [key, s] of Object.entries(shape)) checkSchema(s, `z.object key "${key}"`);
    return new ZodObject({ shape: { ...shape }, unknownKeys: "strip" });
  },
  /** zod v4's names for `z.object(shape).strict()` and `.passthrough()`. */
  strictObject: (shape) => z.object(shape).strict(),
  looseObject: (shape) => z.object(shape).passthrough(),
  union(options) {
    if (!Array.isArray(options) || options.length === 0) throw new TypeError("z.union expects an array of schemas");
    options.forEach((o, i) => checkSchema(o, `z.union option ${i}`));
    return new ZodUnion({ options: [...options] });
  },
  /** `z.record(value)` (zod v3) or `z.record(key, value)` (zod v3 and v4). */
  record(keyOrValue, value) {
    const key = value === undefined ? new ZodString({}) : checkSchema(keyOrValue, "z.record");
    return new ZodRecord({ key, value: checkSchema(value ?? keyOrValue, "z.record") });
  },
  any: () => new ZodAny({}),
  unknown: () => new ZodUnknown({}),
  optional: (schema) => checkSchema(schema, "z.optional").optional(),
  nullable: (schema) => checkSchema(schema, "z.nullable").nullable(),
  /** As in zod v4; accepts real zod and plain JSON Schema too. */
  toJSONSchema: (schema) => toJsonSchema(schema),
  ZodError,
});

export default z;
