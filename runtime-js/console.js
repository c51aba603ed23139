// The console a run's JS worker installs (`globalThis.console`, forwarded to `__wfHost.log`),
// for the harness (harness.js): rendering values and errors for log lines and failure texts
// (`inspect`, `thrownText`, Node-style `%s` formats), lines logged before the host exists, and
// which function steps are running (what they print goes to their `events.jsonl` too).

/** Renders a value for a log line: JSON-like, safe against cycles, BigInt, functions, Errors. */
export function inspect(value) {
  if (typeof value === "string") return value;
  if (value instanceof Error) return errorText(value);
  if (typeof value !== "object" || value === null) return primitiveText(value);
  const ancestors = [];
  try {
    const text = JSON.stringify(value, function replacer(key, v) {
      if (typeof v !== "object" || v === null) {
        return typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null
          ? v
          : primitiveText(v);
      }
      // `this` is the object holding `v`; ancestors deeper than it are finished siblings.
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(v)) return "[Circular]";
      ancestors.push(v);
      if (v instanceof Error) return errorText(v);
      if (v instanceof Map) return { "[Map]": [...v.entries()] };
      if (v instanceof Set) return { "[Set]": [...v.values()] };
      return v;
    });
    // An object whose toJSON returns undefined has no JSON text at all.
    return text ?? Object.prototype.toString.call(value);
  } catch (error) {
    return `[unprintable ${Object.prototype.toString.call(value)}: ${error?.message ?? error}]`;
  }
}

function primitiveText(value) {
  if (typeof value === "function") return `[Function ${value.name || "(anonymous)"}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  return String(value);
}

function errorText(error) {
  const head = `${error.name ?? "Error"}: ${error.message ?? ""}`;
  // Engines differ: V8's stack starts with "Name: message", QuickJS's holds only the frames.
  const stack = typeof error.stack === "string" ? error.stack.trimEnd() : "";
  if (stack === "") return head;
  return stack.startsWith(head) ? stack : `${head}\n${stack}`;
}

/**
 * What was thrown, as a person reads it: an Error's message, a string as is, anything else in
 * its JSON (or String) form, so `throw { code: 1 }` is not reported as `[object Object]`. A
 * failed allocation past the worker's memory limit says so.
 */
export function thrownText(value) {
  if (outOfMemoryMessage !== null && isOutOfMemory(value)) return outOfMemoryMessage;
  if (value instanceof Error) return String(value.message);
  if (typeof value === "string") return value;
  return inspect(value);
}

/** The same for a run's failure: an Error with its stack. */
export function failureText(value) {
  if (value instanceof Error && !(outOfMemoryMessage !== null && isOutOfMemory(value))) {
    return String(value.stack || value);
  }
  return value instanceof Error || typeof value === "string" ? thrownText(value) : `Uncaught ${thrownText(value)}`;
}
globalThis.__wfFailureText = failureText;
globalThis.__wfThrownText = thrownText;

// QuickJS reports an allocation over its limit as an InternalError, V8 as a RangeError.
function isOutOfMemory(value) {
  return value instanceof Error && (value.message === "out of memory" || value.message === "Array buffer allocation failed");
}

/** Set by the engine with the run (`init.outOfMemory`): what to say when the limit is hit. */
let outOfMemoryMessage = null;

export function setOutOfMemoryMessage(message) {
  outOfMemoryMessage = message;
}

/** Node-style `console.log(format, ...args)`: %s %d %i %f %j %o %O %c %% in a leading string. */
export function formatLogArgs(args) {
  if (args.length === 0) return "";
  let rest = args;
  let first = "";
  if (typeof args[0] === "string" && args[0].includes("%")) {
    let i = 1;
    first = args[0].replace(/%([sdifjoOc%])/g, (match, spec) => {
      if (spec === "%") return "%";
      if (i >= args.length) return match;
      const arg = args[i++];
      if (spec === "s") return typeof arg === "string" ? arg : inspect(arg);
      if (spec === "d" || spec === "i") {
        if (typeof arg === "bigint") return `${arg}n`;
        const n = Number(arg);
        return String(spec === "i" ? Math.trunc(n) : n);
      }
      if (spec === "f") return String(Number(arg));
      if (spec === "c") return ""; // CSS has no meaning in a log file
      return inspect(arg);
    });
    rest = args.slice(i);
  } else {
    first = inspect(args[0]);
    rest = args.slice(1);
  }
  return [first, ...rest.map(inspect)].join(" ");
}

// Lines logged before the host exists (module top-level code may run first) wait here and go
// out ahead of the next line, instead of crashing the module or vanishing.
const pendingLogs = [];
/** Function steps whose `fn` is running: what they print goes to their `events.jsonl` too. */
export const runningFunctions = new Set();

function writeLog(level, text) {
  pendingLogs.push([level, text, [...runningFunctions]]);
  if (pendingLogs.length > 1000) pendingLogs.shift();
  flushLogs();
}

export function flushLogs() {
  const h = globalThis.__wfHost;
  if (typeof h?.log !== "function") return;
  for (const [level, text, steps] of pendingLogs.splice(0)) h.log(level, text, steps);
}

function makeConsole() {
  const emit = (level) => (...args) => writeLog(level, formatLogArgs(args));
  const counts = new Map();
  return Object.freeze({
    log: emit("info"),
    info: emit("info"),
    debug: emit("debug"),
    warn: emit("warn"),
    error: emit("error"),
    dir: (value) => writeLog("info", inspect(value)),
    trace: (...args) => {
      const frames = (new Error().stack ?? "").split("\n").filter((l) => /^\s*at /.test(l)).slice(1);
      writeLog("debug", ["Trace: " + formatLogArgs(args), ...frames].join("\n"));
    },
    assert: (condition, ...args) => {
      if (!condition) writeLog("error", `Assertion failed${args.length ? ": " + formatLogArgs(args) : ""}`);
    },
    count: (label = "default") => {
      counts.set(label, (counts.get(label) ?? 0) + 1);
      writeLog("info", `${label}: ${counts.get(label)}`);
    },
  });
}

globalThis.console = makeConsole();
