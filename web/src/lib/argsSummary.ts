// A card's one-line summary of a run's arguments: those that differ from the defaults of the
// workflow's argsSchema ("issue 42 · repo acme/web"), so runs of one workflow tell apart.

/** The default of each property the schema gives one for. */
function defaults(schema: unknown): Record<string, unknown> {
  const props = schema && typeof schema === "object" ? (schema as { properties?: unknown }).properties : undefined;
  const out: Record<string, unknown> = {};
  if (!props || typeof props !== "object") return out;
  for (const [k, p] of Object.entries(props as Record<string, unknown>)) {
    if (p && typeof p === "object" && "default" in p) out[k] = (p as { default: unknown }).default;
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  if (typeof v === "string") return v.replace(/\s+/g, " ").trim();
  if (v === null || typeof v !== "object") return String(v);
  return JSON.stringify(v);
}

/** The arguments that differ from the schema's defaults, in the order given; each value cut to 40 characters. */
export function argsDiff(args: unknown, schema: unknown): [string, string][] {
  if (!args || typeof args !== "object" || Array.isArray(args)) return [];
  const d = defaults(schema);
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
    if (k in d && same(d[k], v)) continue;
    if (v === undefined || v === "" || v === null) continue;
    const text = show(v);
    out.push([k, text.length > 40 ? `${text.slice(0, 39)}…` : text]);
  }
  return out;
}

/** "issue 42 · repo acme/web"; "" when every argument is its default. */
export function argsSummary(args: unknown, schema: unknown): string {
  return argsDiff(args, schema)
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
}
