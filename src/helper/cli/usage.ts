import { SERVE_USAGE } from '../serve/usage';
import type { Command } from './command';
import { COMMANDS } from './commands/index';
import { OPTION_HELP } from './options';

/** Where the descriptions start in the usage text. */
const COLUMN = 25;

/** The lines of `head`, then `text` in the column of descriptions: from the head's own line when it is one line that leaves room. */
function described(head: string[], text: string): string[] {
  const [first, ...rest] = text.split('\n');
  const indent = ' '.repeat(COLUMN);
  const more = rest.map((l) => indent + l);
  if (head.length === 1 && head[0].length <= COLUMN - 2) return [head[0].padEnd(COLUMN) + first, ...more];
  return [...head, indent + first, ...more];
}

/** A command's lines: its synopsis (continued under the end of its name), then its summary. */
function commandLines(command: Command): string[] {
  const [first, ...more] = `  ${command.name} ${command.synopsis}`.trimEnd().split('\n');
  const under = ' '.repeat(command.name.length + 3);
  return described([first, ...more.map((l) => under + l)], command.summary);
}

/** `rewind-helper --help`, made from the command table and the options. */
export function usage(): string {
  const options = OPTION_HELP.flatMap(([name, argument, help]) => described([`  --${name}${argument ? ` ${argument}` : ''}`], help));
  return [
    'Usage: rewind-helper COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...COMMANDS.flatMap(commandLines),
    SERVE_USAGE,
    '',
    'Options:',
    ...options,
    '',
    'Exit codes: 0 success, 1 the backup or restore failed, 2 wrong usage.',
  ].join('\n');
}
