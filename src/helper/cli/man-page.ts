import { DEFAULT_CONFIG_PATH, DEFAULT_HELPER_PATH, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR, REWIND_RELEASE_DATE, REWIND_VERSION } from '../../core/ids';
import { SERVE_COMMANDS } from '../serve/usage';
import { COMMANDS } from './commands/index';
import { OPTION_HELP } from './options';
import { EXIT_CODES, INFO_OPTIONS } from './usage';
import type { CommandHelp } from './usage-layout';

/**
 * rewind-helper(1), in roff, made from the same command table, options and
 * exit codes as `rewind-helper --help` (./usage.ts). meson writes it at
 * build time with the hidden `man-page` verb of the built helper and
 * installs it into man1.
 */

/** Text as roff reads it: backslashes and dashes escaped, no line taken for a request. */
function roff(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .replace(/(^|[\s[(|=])-/g, '$1\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

/** A paragraph of the help's lines (broken for an 80-column terminal), as one. */
const joined = (text: string): string => text.split('\n').join(' ');

function commandItem(command: CommandHelp): string[] {
  const synopsis = joined(command.synopsis).replace(/\s+/g, ' ').trim();
  return ['.TP', `\\fB${command.name}\\fR${synopsis ? ` ${roff(synopsis)}` : ''}`, roff(joined(command.summary))];
}

export function manPage(): string {
  const options = [
    ...OPTION_HELP.map(([name, argument, help]) => ['.TP', `.B \\-\\-${name}${argument ? ` \\fI${argument}\\fR` : ''}`, roff(help)]),
    ...INFO_OPTIONS.map(([name, help]) => ['.TP', `.B \\-\\-${name}`, roff(help)]),
  ].flat();
  return [
    `.TH REWIND\\-HELPER 1 "${REWIND_RELEASE_DATE}" "Rewind ${REWIND_VERSION}" "Rewind"`,
    // Long option names are not split across lines, nor lines stretched to the margin.
    '.nh',
    '.ad l',
    '.SH NAME',
    'rewind-helper \\- back up and restore btrfs subvolumes: the administrator\'s command line of Rewind',
    '.SH SYNOPSIS',
    `.B ${roff(DEFAULT_HELPER_PATH)}`,
    '.I COMMAND',
    '.RI [ OPTIONS ]',
    '.SH DESCRIPTION',
    'Rewind backs up the files of a Linux desktop on btrfs with read\\-only snapshots and',
    '.BR "btrfs send" / receive ,',
    'to a disk, another machine over SSH, or stream files on any filesystem.',
    '.B rewind\\-helper',
    'is its privileged part: the D\\-Bus service the app talks to, the command line for',
    'administrators and the systemd timer, and the restricted receiver on a backup server.',
    'Most commands need root. With',
    '.BR \\-\\-json ,',
    'a command prints one JSON document instead of text.',
    '.SH COMMANDS',
    ...COMMANDS.flatMap(commandItem),
    '.SS "On a backup server"',
    ...SERVE_COMMANDS.flatMap(commandItem),
    '.SH OPTIONS',
    ...options,
    '.SH "EXIT STATUS"',
    ...EXIT_CODES.flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning)]),
    '.SH FILES',
    '.TP',
    `.I ${roff(DEFAULT_CONFIG_PATH)}`,
    'the configuration: what is backed up, where, when, and what is kept',
    '.TP',
    `.I ${roff(DEFAULT_STATE_DIR)}`,
    'state and the history of runs',
    '.TP',
    `.I ${roff(DEFAULT_RUNTIME_DIR)}`,
    'private mount points while a command runs',
    '.SH "SEE ALSO"',
    '.BR btrfs (8),',
    '.BR systemctl (1);',
    'the documentation in the Rewind source, docs/cli.md and docs/config.md.',
    '',
  ].join('\n');
}
