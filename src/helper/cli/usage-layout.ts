/**
 * The layout of `rewind-helper --help`, apart so that the server side's
 * usage (../serve/usage.ts) uses it without loading the admin commands.
 */

/** Where the descriptions start in the usage text. */
export const COLUMN = 25;

/** The lines of `head`, then `text` in the column of descriptions: from the head's own line when it is one line that leaves room. */
export function described(head: string[], text: string): string[] {
  const [first, ...rest] = text.split('\n');
  const indent = ' '.repeat(COLUMN);
  const more = rest.map((l) => indent + l);
  if (head.length === 1 && head[0].length <= COLUMN - 2) return [head[0].padEnd(COLUMN) + first, ...more];
  return [...head, indent + first, ...more];
}

/** What the help says of one command: its name, what follows it (a line break continues it under the name's end), what it does. */
export interface CommandHelp {
  name: string;
  synopsis: string;
  summary: string;
}

/** A command's lines: its synopsis (continued under the end of its name), then its summary. */
export function commandLines(command: CommandHelp): string[] {
  const [first, ...more] = `  ${command.name} ${command.synopsis}`.trimEnd().split('\n');
  const under = ' '.repeat(command.name.length + 3);
  return described([first, ...more.map((l) => under + l)], command.summary);
}
