import { toRewindError } from '../../core/errors';
import { REWIND_VERSION } from '../../core/ids';
import type { Command, CommandArgs } from './command';
import { findCommand } from './commands/index';
import { parseCommandLine } from './options';
import { usage } from './usage';

/** The command that is running, for the mapping of its errors. */
let current: Command | undefined;
let settled = false;
let exitAtOnce = false;

/** Wrong usage: what is wrong, then the usage text; exit status 2. */
function wrongUsage(problem: string): number {
  console.error(`${problem}\n\n${usage()}`);
  return 2;
}

/** What makes this command line wrong for `command` (options or words missing), if anything. */
function missing(command: Command, { values, operands }: CommandArgs): string | undefined {
  const options = (command.required ?? []).filter((k) => !values[k]);
  if (options.length) return `${command.name} needs ${options.map((k) => `--${k}`).join(', ')}`;
  if (command.operands && operands.length !== command.operands.count) return `${command.name} needs ${command.operands.name}`;
  return undefined;
}

/** Runs the command line; resolves to the exit status, or undefined when the command sets its own. */
async function main(argv: string[]): Promise<number | undefined> {
  // The server side has options of its own; it must never fall through to the admin commands.
  if (argv[0] === 'serve' || argv[0] === 'accept-key') return (await import('../serve/cli')).runServeCli(argv);
  // Anywhere before "--", as --help; not an option of the parser, so no command reads it.
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).includes('--version')) {
    console.log(`rewind-helper ${REWIND_VERSION}`);
    return 0;
  }
  // Hidden: the man page, which meson writes with the built helper (./man-page.ts).
  if (argv[0] === 'man-page' && argv.length === 1) {
    process.stdout.write((await import('./man-page')).manPage());
    return 0;
  }
  const { values, positionals } = parseCommandLine(argv);
  const [name, ...operands] = positionals;
  if (values.help || !name) {
    console.log(usage());
    return values.help ? 0 : 2;
  }
  const command = findCommand(name);
  if (!command) return wrongUsage(`Unknown command "${name}".`);
  const args: CommandArgs = { values, operands, paths: { configPath: values.config, stateDir: values['state-dir'], runtimeDir: values['runtime-dir'] } };
  const problem = missing(command, args);
  if (problem) return wrongUsage(problem);
  current = command;
  const result = await command.run(args);
  const output = command.output?.(result, args);
  if (!output) return undefined;
  console.log(values.json ? JSON.stringify(output.json, null, 2) : output.human);
  exitAtOnce = output.exitAtOnce ?? false;
  return output.code ?? 0;
}

// Node exits with status 0 when nothing is left to wait for, even if main()
// never finished (a promise nobody will settle). That must not pass for success.
process.on('exit', () => {
  if (settled) return;
  console.error('rewind-helper: internal error: the command stopped before it finished. This is a bug in Rewind; please report it.');
  process.exitCode = 70;
});

main(process.argv.slice(2)).finally(() => (settled = true)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
    if (exitAtOnce) process.exit();
  },
  (error: unknown) => {
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.exitCode = wrongUsage(error.message);
      return;
    }
    const failure = toRewindError(error);
    if (current?.userErrors?.includes(failure.code)) console.error(failure.detail);
    else console.error(failure.code === 'Internal' ? failure.cause ?? failure : failure.message);
    process.exitCode = 1;
  },
);
