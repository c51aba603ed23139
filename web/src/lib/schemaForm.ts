// The new-run form, generated from a workflow's args JSON Schema: one field per top-level
// property, values kept as form strings and turned into typed args on submit; the server's
// `invalid_args` details are mapped back to their fields.

import type { JsonSchema } from "../api/types";

export type FieldKind = "string" | "text" | "enum" | "number" | "integer" | "boolean" | "json";

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  label: string;
  description?: string;
  defaultValue?: unknown;
  options?: unknown[];
  min?: number;
  max?: number;
  /** For json fields: `object` or `array`, for the hint. */
  jsonType?: string;
}

export type FormValues = Record<string, string | boolean>;

function mainType(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  if (s.type) return s.type;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return alt.map(mainType).find((t) => t && t !== "null");
  return undefined;
}

function enumOf(s: JsonSchema): unknown[] | undefined {
  if (s.enum) return s.enum;
  const alt = s.anyOf ?? s.oneOf;
  if (alt && alt.length > 0 && alt.every((a) => a.const !== undefined || a.enum)) return alt.flatMap((a) => (a.enum ? a.enum : [a.const]));
  return undefined;
}

export function fieldsOf(schema: JsonSchema | null): Field[] {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(props).map(([name, s]) => {
    const t = mainType(s);
    const options = enumOf(s);
    let kind: FieldKind;
    if (options) kind = "enum";
    else if (t === "boolean") kind = "boolean";
    else if (t === "integer") kind = "integer";
    else if (t === "number") kind = "number";
    else if (t === "string") kind = (s.maxLength ?? 0) > 200 ? "text" : "string";
    else kind = "json";
    return {
      name,
      kind,
      required: required.has(name),
      label: s.title ?? name,
      description: s.description,
      defaultValue: s.default,
      options,
      min: s.minimum,
      max: s.maximum,
      jsonType: kind === "json" ? (t ?? "JSON") : undefined,
    };
  });
}

export function initialValues(fields: Field[]): FormValues {
  const v: FormValues = {};
  for (const f of fields) {
    const d = f.defaultValue;
    if (f.kind === "boolean") v[f.name] = d === true;
    else if (f.kind === "enum") v[f.name] = d === undefined ? "" : JSON.stringify(d);
    else if (f.kind === "json") v[f.name] = d === undefined ? "" : JSON.stringify(d, null, 2);
    else v[f.name] = d === undefined || d === null ? "" : String(d);
  }
  return v;
}

/**
 * Typed args from the form, or what keeps them from being built (a number or JSON that does
 * not parse). The schema itself (required, ranges, types) is checked by the server, whose
 * messages are shown by field.
 */
export function buildArgs(fields: Field[], values: FormValues, touched: Set<string>): { args: Record<string, unknown>; errors: Record<string, string> } {
  const args: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.kind === "boolean") {
      // An optional checkbox nobody touched says nothing.
      if (raw === true || f.required || touched.has(f.name) || f.defaultValue !== undefined) args[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw : "";
    // Left empty: not sent. A required one is reported by the server, with the others.
    if (text.trim() === "") continue;
    switch (f.kind) {
      case "enum":
        args[f.name] = JSON.parse(text);
        break;
      case "integer":
      case "number": {
        const n = Number(text);
        if (!Number.isFinite(n)) errors[f.name] = "Enter a number.";
        else args[f.name] = n;
        break;
      }
      case "json":
        try {
          args[f.name] = JSON.parse(text);
        } catch {
          errors[f.name] = `Not valid JSON (expected ${f.jsonType === "array" ? "an array" : f.jsonType === "object" ? "an object" : "a JSON value"}).`;
        }
        break;
      default:
        args[f.name] = text;
    }
  }
  return { args, errors };
}

/**
 * The server's `invalid_args` details by field: `args.delay: "x" is not of type "integer"`,
 * `args: "label" is a required property`. What names no known field stays in `other`.
 * `prefix` is what the server calls the object: `args` for a run's arguments, `input` for
 * what a person fills in at an approval gate (`input.reason: ...`, `/input/reason: ...`).
 */
export function serverErrors(
  details: string[],
  fields: Field[],
  prefix = "args",
  required = "Required: this argument has no default.",
): { byField: Record<string, string>; other: string[] } {
  const names = new Set(fields.map((f) => f.name));
  const byField: Record<string, string> = {};
  const other: string[] = [];
  const esc = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const atField = new RegExp(`^\\/?${esc}[./]([^./:[\\s]+)[^:]*:\\s*(.*)$`, "s");
  for (const d of details) {
    const at = atField.exec(d);
    if (at && names.has(at[1])) {
      byField[at[1]] = byField[at[1]] ? `${byField[at[1]]} ${at[2]}` : at[2];
      continue;
    }
    const req = /"([^"]+)" is a required property/.exec(d);
    if (req && names.has(req[1])) {
      byField[req[1]] = required;
      continue;
    }
    other.push(d);
  }
  return { byField, other };
}
