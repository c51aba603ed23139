// The browser tab's title: what the page says it shows ("Fix #12 · Running"), prefixed with how
// many decisions wait for the user ("(2) …", from the header's "needs you" badge), then the
// product's name. Pages and the badge set their parts independently; the title is written
// whenever either changes.

const PRODUCT = "workflow-engine";

let page = "";
let needs = 0;

function write(): void {
  if (typeof document !== "undefined") document.title = composeTitle(page, needs);
}

/** The page's part ("" for none). */
export function setPageTitle(title: string): void {
  page = title;
  write();
}

/** How many decisions wait for the user. */
export function setNeedsCount(count: number): void {
  needs = count;
  write();
}

/** The title the parts make, for tests. */
export function composeTitle(pageTitle: string, needsCount: number): string {
  const base = pageTitle ? `${pageTitle} · ${PRODUCT}` : PRODUCT;
  return needsCount > 0 ? `(${needsCount}) ${base}` : base;
}
