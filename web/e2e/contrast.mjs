// WCAG AA contrast of what a page renders, computed in the page from the computed styles:
// every visible element with text of its own (and every enabled button, link and input)
// against the background it is drawn on (its own and its ancestors' colours, composited;
// a background image or gradient is read as the nearest solid colour behind it). Normal text
// needs 4.5:1, large text (24px, or 18.66px bold) 3:1. Disabled controls are exempt (WCAG
// 1.4.3). Returns the failures, each with a short description of the element.

/** Runs in the page: the elements whose contrast is below AA. */
function auditInPage() {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => {
    const a = top.a + under.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + under[k] * under.a * (1 - top.a)) / a;
    return { r: mix("r"), g: mix("g"), b: mix("b"), a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => {
    const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  const page = parse(getComputedStyle(document.documentElement).backgroundColor);
  const canvas = page && page.a > 0 ? page : parse(getComputedStyle(document.body).backgroundColor) ?? { r: 255, g: 255, b: 255, a: 1 };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) break;
      }
    }
    let colour = { ...canvas, a: 1 };
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacityOf = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const describe = (el) => {
    const id = el.closest("[data-testid]")?.getAttribute("data-testid");
    const cls = typeof el.className === "string" ? el.className.split(" ")[0] : "";
    return `${el.tagName.toLowerCase()}${cls ? "." + cls : ""}${id ? ` in [${id}]` : ""} "${(el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40)}"`;
  };
  const failures = [];
  const seen = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "svg", "path", "OPTION", "NOSCRIPT", "BR"].includes(el.tagName)) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
    const control = el.matches("button, a[href], input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea");
    if (!ownText && !(control && (el.innerText || el.value || "").trim())) continue;
    if (el.closest("[disabled], [aria-disabled=true], .sr-only, [data-contrast-exempt]")) continue;
    if (el.matches(":disabled")) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility !== "visible" || rect.width === 0 || rect.height === 0) continue;
    if (el.closest("[hidden]")) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = backgroundOf(el);
    const alpha = fg.a * opacityOf(el);
    const shown = over({ ...fg, a: alpha }, bg);
    const r = ratio(shown, bg);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    if (r + 0.005 < need) {
      const d = describe(el);
      if (seen.has(d)) continue;
      seen.add(d);
      failures.push(`${d}: ${r.toFixed(2)}:1 < ${need}:1 (text ${style.color} on ${`rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})`})`);
    }
  }
  return failures;
}

/** The contrast failures of what `page` shows now. */
export function contrastFailures(page) {
  return page.evaluate(auditInPage);
}
