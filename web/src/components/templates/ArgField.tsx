import type { Field, FormValues } from "../../lib/schemaForm";

interface Props {
  field: Field;
  values: FormValues;
  error?: string;
  onChange: (name: string, value: string | boolean) => void;
  /** The ids' and test ids' prefix (`arg-title`); another form on the page uses its own. */
  idPrefix?: string;
}

/** One argument's input, as its schema type asks: text, number, select, checkbox or JSON. */
export function ArgField({ field: f, values, error, onChange, idPrefix = "arg" }: Props) {
  const id = `${idPrefix}-${f.name}`;
  const helpId = `${id}-help`;
  const errId = `${id}-error`;
  const describedBy = [f.description ? helpId : null, error ? errId : null].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    "data-testid": id,
    name: f.name,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
    "aria-required": f.required || undefined,
  } as const;
  const value = values[f.name];
  const text = typeof value === "string" ? value : "";

  let input;
  switch (f.kind) {
    case "boolean":
      input = (
        <label className="check-field">
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(f.name, e.target.checked)} />
          <span>{f.label}</span>
        </label>
      );
      break;
    case "enum":
      input = (
        <select {...common} value={text} onChange={(e) => onChange(f.name, e.target.value)}>
          {(!f.required || f.defaultValue === undefined) && <option value="">{f.required ? "Choose…" : "(none)"}</option>}
          {f.options?.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {typeof o === "string" ? o : JSON.stringify(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "integer":
    case "number":
      input = (
        <input
          {...common}
          type="number"
          inputMode={f.kind === "integer" ? "numeric" : "decimal"}
          step={f.kind === "integer" ? 1 : "any"}
          min={f.min}
          max={f.max}
          value={text}
          onChange={(e) => onChange(f.name, e.target.value)}
        />
      );
      break;
    case "json":
    case "text":
      input = (
        <textarea
          {...common}
          rows={f.kind === "json" ? 4 : 3}
          spellCheck={f.kind !== "json"}
          className={f.kind === "json" ? "mono" : undefined}
          placeholder={f.kind === "json" ? (f.jsonType === "array" ? "[ ]" : "{ }") : undefined}
          value={text}
          onChange={(e) => onChange(f.name, e.target.value)}
        />
      );
      break;
    default:
      input = <input {...common} type="text" value={text} onChange={(e) => onChange(f.name, e.target.value)} />;
  }

  return (
    <div className="field">
      {f.kind !== "boolean" && (
        <label className="field-label" htmlFor={id}>
          {f.label}
          {f.required && (
            <span className="required" aria-hidden="true">
              *
            </span>
          )}
          <span className="field-meta">
            <span className="chip">{f.kind === "json" ? f.jsonType : f.kind === "text" ? "string" : f.kind}</span>
            {(f.min !== undefined || f.max !== undefined) && (
              <span className="muted small">
                {f.min ?? "…"}–{f.max ?? "…"}
              </span>
            )}
          </span>
        </label>
      )}
      {input}
      {f.description && (
        <span className="field-help" id={helpId}>
          {f.description}
        </span>
      )}
      {error && (
        <span className="field-error" id={errId} data-testid={`${idPrefix}-error-${f.name}`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
