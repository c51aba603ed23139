// A secret's name as the server accepts it: an environment variable's name. Checked in the
// form so a typo is named before the request; the server checks again.

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be a secret's name, or null when it can. */
export function secretNameError(name: string): string | null {
  if (name === "") return "A name is needed.";
  if (name.length > 128) return "At most 128 characters.";
  if (/^[0-9]/.test(name)) return "A name cannot start with a digit.";
  if (!NAME.test(name)) return "Letters, digits and _ only (an environment variable's name), e.g. API_TOKEN.";
  return null;
}
