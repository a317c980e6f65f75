import { DEFAULT_HELPER_PATH } from '../../core/ids';
import { commandLines, type CommandHelp } from '../cli/usage-layout';

/** The server-side commands, for `rewind-helper --help` and the man page; apart so the help loads nothing else. */
export const SERVE_COMMANDS: readonly CommandHelp[] = [
  {
    name: 'serve',
    synopsis: '--root DIR --host NAME [--runtime-dir DIR]',
    summary: 'answer one SSH client on stdin/stdout (the forced command\nof its key); acts only in DIR/NAME/ (docs/serve-protocol.md);\nruns as root or as an ordinary account (stream files only)',
  },
  {
    name: 'accept-key',
    synopsis: '--root DIR --host NAME [--authorized-keys FILE] [--helper PATH] < KEY.pub',
    summary: `allow the public key on stdin to run only "serve" for NAME\n(default FILE ~/.ssh/authorized_keys of the account that runs it,\nwhich is the account serve runs as; PATH ${DEFAULT_HELPER_PATH})`,
  },
];

/** Their part of the usage text. */
export const SERVE_USAGE = SERVE_COMMANDS.flatMap(commandLines).join('\n');
