import { lstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toRewindError } from '../../core/errors';
import { DEFAULT_RUNTIME_DIR } from '../../core/ids';
import { DEFAULT_HELPER_PATH } from '../../core/serve-protocol';
import { acceptKey, ownAuthorizedKeys } from './accept-key';
import { runServe } from './server';
import { SERVE_USAGE } from './usage';

/**
 * Where serve keeps its per-host locks when --runtime-dir is not given: root's
 * /run/rewind; an ordinary account's own runtime folder ($XDG_RUNTIME_DIR,
 * which an SSH login has on Fedora), or else a folder in its home.
 */
export function defaultServeRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return DEFAULT_RUNTIME_DIR;
  const runtime = env.XDG_RUNTIME_DIR;
  const info = runtime && path.isAbsolute(runtime) ? lstatSync(runtime, { throwIfNoEntry: false }) : undefined;
  if (runtime && info?.isDirectory() && info.uid === uid && (info.mode & 0o077) === 0) return path.join(runtime, 'rewind');
  return path.join(userInfo().homedir, '.cache', 'rewind');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The `serve` and `accept-key` verbs, with their own options. Resolves to the
 * exit code: 0 success, 1 refused or failed, 2 wrong usage.
 */
export async function runServeCli(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let command: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        host: { type: 'string' },
        'authorized-keys': { type: 'string' },
        helper: { type: 'string', default: DEFAULT_HELPER_PATH },
        json: { type: 'boolean', default: false },
        'runtime-dir': { type: 'string' },
        'read-only': { type: 'boolean', default: false },
      },
    });
    values = parsed.values;
    [command] = parsed.positionals;
    if (parsed.positionals.length !== 1) throw new Error(`unexpected arguments: ${parsed.positionals.slice(1).join(' ')}`);
  } catch (error) {
    console.error(`${(error as Error).message}\n\nUsage:\n${SERVE_USAGE}`);
    return 2;
  }
  const missing = (['root', 'host'] as const).filter((k) => typeof values[k] !== 'string' || values[k] === '');
  if (missing.length > 0) {
    console.error(`${command} needs ${missing.map((k) => `--${k}`).join(' and ')}\n\nUsage:\n${SERVE_USAGE}`);
    return 2;
  }
  const root = values.root as string;
  const host = values.host as string;

  if (command === 'serve') {
    const controller = new AbortController();
    const stop = () => controller.abort();
    const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
    for (const s of signals) process.on(s, stop);
    try {
      return await runServe({ root, host, readOnly: values['read-only'] === true, lockDir: path.join((values['runtime-dir'] as string | undefined) ?? defaultServeRuntimeDir(), 'serve'), signal: controller.signal });
    } finally {
      for (const s of signals) process.off(s, stop);
    }
  }
  if (command === 'accept-key') {
    const authorizedKeys = (values['authorized-keys'] as string | undefined) ?? ownAuthorizedKeys();
    try {
      const result = await acceptKey({
        root,
        host,
        authorizedKeys,
        helperPath: values.helper as string,
        publicKey: await readStdin(),
        readOnly: values['read-only'] === true,
      });
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`${result.changed ? 'Added' : 'Already present'} in ${authorizedKeys}:\n${result.line}`);
      return 0;
    } catch (error) {
      const failure = toRewindError(error);
      // A refused key is the user's input, not a calling program's bug: say what is wrong, without that advice.
      console.error(failure.code === 'Internal' ? (failure.cause ?? failure) : failure.detail);
      return 1;
    }
  }
  console.error(`Unknown command "${command}".\n\nUsage:\n${SERVE_USAGE}`);
  return 2;
}
