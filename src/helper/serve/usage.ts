import { DEFAULT_HELPER_PATH } from '../../core/ids';
import { commandLines, type CommandHelp } from '../cli/usage-layout';

/** The server-side commands, for `rewind-helper --help` and the man page; apart so the help loads nothing else. */
export const SERVE_COMMANDS: readonly CommandHelp[] = [
  {
    name: 'serve',
    synopsis: '--root DIR --host NAME [--read-only] [--runtime-dir DIR]',
    summary: 'answer one SSH client on stdin/stdout (the forced command\nof its key); acts only in DIR/NAME/ (docs/serve-protocol.md);\nruns as root or as an ordinary account (stream files only);\n--read-only: lists and reads, changes nothing',
  },
  {
    name: 'accept-key',
    synopsis: '--root DIR --host NAME [--read-only] [--authorized-keys FILE] [--helper PATH] < KEY.pub',
    summary: `allow the public key on stdin to run only "serve" for NAME\n(default FILE ~/.ssh/authorized_keys of the account that runs it,\nwhich is the account serve runs as; PATH ${DEFAULT_HELPER_PATH});\n--read-only: only read DIR/NAME/, which must exist (a new\ncomputer recovering that one's backups), beside NAME's own key`,
  },
];

/** Their part of the usage text. */
export const SERVE_USAGE = SERVE_COMMANDS.flatMap(commandLines).join('\n');
