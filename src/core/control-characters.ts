/**
 * Control characters (U+0000–U+001F, U+007F) in the helper's arguments. No
 * path, name, host or id Rewind takes may contain one: a NUL cannot reach a
 * system call or a child's argument list, and the others only hide what a
 * name really is (in a log, a dialog or a terminal). Every D-Bus argument is
 * checked twice: its raw text, where such a character is not even valid JSON
 * inside a string, and every string of the parsed JSON, where "\u0000" is.
 */

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code <= 0x1f || code === 0x7f;
}

function firstControl(text: string): string | undefined {
  for (const char of text) if (isControl(char)) return char;
  return undefined;
}

function describe(char: string): string {
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function fieldName(at: string): string {
  return at === '' ? 'the request' : at;
}

/**
 * What is wrong with a parsed JSON value, naming the field ("to.folder",
 * "paths.2"), or undefined when no string in it (key or value) has a control
 * character.
 */
export function controlCharacterProblem(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') {
    const found = firstControl(value);
    return found ? `${fieldName(at)}: must not contain control characters (it has ${describe(found)})` : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  for (const [key, inner] of entries) {
    const where = at === '' ? key : `${at}.${key}`;
    const found = firstControl(key);
    if (found) return `${fieldName(at)}: a field name must not contain control characters (it has ${describe(found)})`;
    const problem = controlCharacterProblem(inner, where);
    if (problem) return problem;
  }
  return undefined;
}

/** Throws (a plain Error, for the request parsers to word) when a parsed value has a control character. */
export function refuseControlCharacters(value: unknown): void {
  const problem = controlCharacterProblem(value);
  if (problem) throw new Error(problem);
}

/**
 * What is wrong with the raw text of a JSON argument, or undefined. Between
 * tokens, JSON's own whitespace (tab, line feed, carriage return) is fine;
 * any other control character is refused. One inside a string is escaped so
 * the text can be parsed, to say which field had it.
 */
export function rawControlCharacterProblem(text: string): string | undefined {
  if (firstControl(text) === undefined) return undefined;
  let inString = false;
  let escaped = false;
  let outside: string | undefined;
  let repaired = '';
  for (const char of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      repaired += isControl(char) ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char;
      continue;
    }
    if (char === '"') inString = true;
    else if (isControl(char) && !'\t\n\r'.includes(char)) outside ??= describe(char);
    repaired += char;
  }
  if (outside) return `the argument must not contain control characters (it has ${outside})`;
  let data: unknown;
  try {
    data = JSON.parse(repaired);
  } catch {
    // Not JSON even with its strings repaired: the parsers say so in their own words.
    return undefined;
  }
  return controlCharacterProblem(data);
}
