import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR } from '../../core/ids';

/**
 * Every option of the admin commands. One parser reads them all, whatever
 * the command, so that an option another command takes is never an error;
 * each command's entry names the ones it reads (./command.ts).
 */
export const OPTIONS = {
  config: { type: 'string', default: DEFAULT_CONFIG_PATH },
  'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
  'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
  json: { type: 'boolean', default: false },
  'idle-seconds': { type: 'string', default: '120' },
  'dry-run': { type: 'boolean', default: false },
  destination: { type: 'string' },
  snapshot: { type: 'string' },
  path: { type: 'string' },
  to: { type: 'string' },
  source: { type: 'string' },
  key: { type: 'string' },
  into: { type: 'string' },
  backup: { type: 'string' },
  subvolume: { type: 'string' },
  replace: { type: 'boolean', default: false },
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  fingerprint: { type: 'string' },
  scheduled: { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
  seed: { type: 'string' },
  'unit-dir': { type: 'string' },
  'systemd-root': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** The options every command reads, and `--help`: they are not in a command's entry. */
export const COMMON_OPTIONS: readonly OptionName[] = ['config', 'state-dir', 'runtime-dir', 'json', 'help'];

/** The "Options:" part of the usage text: the common ones, and those of `daemon`, which has no line of its own for them. */
export const OPTION_HELP: ReadonlyArray<[OptionName, string, string]> = [
  ['config', 'FILE', `configuration file (default ${OPTIONS.config.default})`],
  ['state-dir', 'DIR', `state and history (default ${OPTIONS['state-dir'].default})`],
  ['runtime-dir', 'DIR', `private mount points (default ${OPTIONS['runtime-dir'].default})`],
  ['json', '', 'machine-readable output'],
  ['idle-seconds', 'N', `daemon: exit after N seconds without work (default ${OPTIONS['idle-seconds'].default})`],
];

/** The command line parsed; throws Node's ERR_PARSE_ARGS_* errors for a wrong one. */
export function parseCommandLine(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

export type OptionValues = ReturnType<typeof parseCommandLine>['values'];
