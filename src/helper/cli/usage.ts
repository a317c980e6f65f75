import { SERVE_COMMANDS } from '../serve/usage';
import { COMMANDS } from './commands/index';
import { OPTION_HELP } from './options';
import { commandLines, described } from './usage-layout';

/**
 * `rewind-helper --help`, made from the command table and the options. The
 * man page (./man-page.ts) is made from the same parts, so the two never
 * disagree.
 */

/** Options that print something and exit, whatever else the command line says. */
export const INFO_OPTIONS: ReadonlyArray<[string, string]> = [
  ['help', 'print this help and exit'],
  ['version', 'print the version and exit'],
];

/** The exit codes of the admin commands. */
export const EXIT_CODES: ReadonlyArray<[number, string]> = [
  [0, 'success'],
  [1, 'the backup or restore failed'],
  [2, 'wrong usage'],
];

export function usage(): string {
  const options = [
    ...OPTION_HELP.map(([name, argument, help]): [string, string] => [`--${name}${argument ? ` ${argument}` : ''}`, help]),
    ...INFO_OPTIONS.map(([name, help]): [string, string] => [`--${name}`, help]),
  ].flatMap(([head, help]) => described([`  ${head}`], help));
  return [
    'Usage: rewind-helper COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...[...COMMANDS, ...SERVE_COMMANDS].flatMap(commandLines),
    '',
    'Options:',
    ...options,
    '',
    `Exit codes: ${EXIT_CODES.map(([code, meaning]) => `${code} ${meaning}`).join(', ')}.`,
  ].join('\n');
}
