import { buildSync } from 'esbuild';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { ServeClient } from '../../src/helper/serve/client';
import { Cleanup } from './cleanup';
import { sh } from './exec';
import { createLoopBtrfs, mountLoop, type LoopBtrfs } from './loop-btrfs';
import { REPO } from './system-bus';

/**
 * What the tests of `rewind-helper serve` share: a server btrfs filesystem
 * whose folder `backups` is ROOT, a client btrfs filesystem with a `home`
 * subvolume and read-only snapshots of it named like Rewind's, and the serve
 * entry (src/helper/serve/main-serve.ts) bundled into the test's directory.
 */
export interface ServeFixture {
  dir: string;
  cleanup: Cleanup;
  /** The serve bundle: `node <bundle> serve --root ROOT --host HOST --runtime-dir RUNTIME`. */
  bundle: string;
  /** serve's runtime directory (its locks are in serve/ there) instead of /run/rewind. */
  runtimeDir: string;
  server: LoopBtrfs;
  serverMount: string;
  root: string;
  client: LoopBtrfs;
  clientMount: string;
  /** The client's live subvolume. */
  home: string;
  /** Takes a read-only snapshot of home named `name`; returns its path. */
  snapshot: (name: string) => string;
  /** Serve processes still running; stopServes ends them. */
  running: Set<ServeProcess>;
}

export function bundleServe(outdir: string): string {
  const outfile = path.join(outdir, 'rewind-helper-serve.mjs');
  buildSync({
    entryPoints: [path.join(REPO, 'src/helper/serve/main-serve.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);" },
    external: ['x11', 'usocket'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

export function createServeFixture(prefix: string): ServeFixture {
  const cleanup = new Cleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    const bundle = bundleServe(dir);
    const server = createLoopBtrfs(cleanup, dir, 'server', 512);
    const serverMount = path.join(dir, 'server');
    mountLoop(cleanup, server, serverMount);
    const root = path.join(serverMount, 'backups');
    mkdirSync(root, { mode: 0o700 });
    const client = createLoopBtrfs(cleanup, dir, 'client', 512);
    const clientMount = path.join(dir, 'client');
    mountLoop(cleanup, client, clientMount);
    const home = path.join(clientMount, 'home');
    sh('btrfs', ['subvolume', 'create', home]);
    const snapshots = path.join(clientMount, '.rewind/home');
    mkdirSync(snapshots, { recursive: true });
    const snapshot = (name: string) => {
      const target = path.join(snapshots, name);
      sh('btrfs', ['subvolume', 'snapshot', '-r', home, target]);
      return target;
    };
    const runtimeDir = path.join(dir, 'run');
    return { dir, cleanup, bundle, runtimeDir, server, serverMount, root, client, clientMount, home, snapshot, running: new Set() };
  } catch (error) {
    void cleanup.run();
    throw error;
  }
}

/** A serve process (started directly, or an ssh client running it), with a client on its stdio. */
export interface ServeProcess {
  child: ChildProcess;
  client: ServeClient;
  exit: Promise<number | null>;
  stderr: () => string;
}

/** Runs `file args` as a serve connection, ended by the cleanup if a test does not end it. */
export function startServeProcess(fx: ServeFixture, file: string, args: string[], env: NodeJS.ProcessEnv = {}): ServeProcess {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const serve = { child, client: new ServeClient(child.stdin!, child.stdout!), exit, stderr: () => stderr };
  fx.running.add(serve);
  void exit.then(() => fx.running.delete(serve));
  fx.cleanup.add(`stop ${file} ${child.pid}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exit;
  });
  return serve;
}

export function startServe(fx: ServeFixture, host: string, env: NodeJS.ProcessEnv = {}, root = fx.root): ServeProcess {
  return startServeProcess(fx, process.execPath, [fx.bundle, 'serve', '--root', root, '--host', host, '--runtime-dir', fx.runtimeDir], env);
}

/**
 * Ends what a test left running: closes each connection, which lets the
 * server remove a partial receive, and kills what is still there after 10 s.
 */
export async function stopServes(fx: ServeFixture): Promise<void> {
  await Promise.all(
    [...fx.running].map(async (serve) => {
      serve.child.stdin!.end();
      const timer = setTimeout(() => serve.child.kill('SIGKILL'), 10_000);
      await serve.exit;
      clearTimeout(timer);
    }),
  );
}

/** `btrfs send [-p parent] snapshot` as a readable stream; `done` rejects when send failed. */
export function sendSnapshot(snapshot: string, parent?: string, extra: string[] = []): { child: ChildProcess; stream: Readable; done: Promise<void> } {
  const args = ['send', '-q', ...extra, ...(parent ? ['-p', parent] : []), snapshot];
  const child = spawn('btrfs', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) =>
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`btrfs ${args.join(' ')}: ${signal ?? code} ${stderr}`)))),
  );
  done.catch(() => undefined);
  // Read from the start: Node drops what a child wrote to a pipe nobody listens to once the child exits.
  const stream = new PassThrough();
  child.stdout!.pipe(stream);
  return { child, stream, done };
}

/** The whole output of `btrfs send` as one buffer. */
export function sendToBuffer(snapshot: string, parent?: string, extra: string[] = []): Buffer {
  const args = ['send', '-q', ...extra, ...(parent ? ['-p', parent] : []), snapshot];
  return execFileSync('btrfs', args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Names in a folder, sorted; none when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
