import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/core/status';
import type { BackupFixture } from './backup-fixture';
import { shResult, waitFor } from './exec';

/** Runs `rewind-helper run --json` to the end and returns its record. */
export function runBackupCli(fx: BackupFixture): RunRecord {
  const [file, ...args] = fx.helperCli(['run', '--json']);
  const r = spawnSync(file, args, { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout) as RunRecord;
  } catch {
    throw new Error(`rewind-helper run printed no record (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
}

/** Starts `rewind-helper run --json` without waiting for it. */
export function startBackupCli(fx: BackupFixture): { child: ChildProcess; done: Promise<string> } {
  const [file, ...args] = fx.helperCli(['run', '--json']);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  return { child, done };
}

/** Names in a folder, or none when it does not exist (yet). */
export function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Where the helper, while it runs, has the destination's backups of `home`. */
export function liveBackupDir(fx: BackupFixture, fsUuid = fx.destination.uuid): string {
  return path.join(fx.runtimeDir, fsUuid, fx.hostName, 'home');
}

/** Waits for a name in `dir` that is not in `known`. */
export async function waitForNewEntry(dir: string, known: readonly string[], timeoutMs = 30000): Promise<string> {
  return waitFor(`a new entry in ${dir}`, () => entries(dir).find((n) => !known.includes(n)), timeoutMs, 5);
}

/** PIDs of processes whose command line starts with `prefix` and mentions `mention`. */
export function findProcesses(prefix: string, mention: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.startsWith(prefix) && cmdline.includes(mention)) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Every stream codec process on the machine (`node rewind-stream-codec.cjs stream-codec …`); the suites run one at a time. */
export function codecProcesses(): number[] {
  return findProcesses(process.execPath, ' stream-codec ');
}

/** Where a process's descriptor points ("pipe:[123]"), or undefined when it is gone. */
function linkOf(pid: number, fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return false;
  }
}

/**
 * Catches the helper's transfer in the middle: as soon as `btrfs receive`
 * exists it is stopped with SIGSTOP, then let run in short steps until it has
 * created its subvolume in `dir`. Whatever the speed of the machine, the
 * stream is then begun and not finished: `btrfs send` waits on the full pipe.
 * Only the receiver is ever stopped: a SIGSTOP/SIGCONT of `btrfs send`
 * interrupts the kernel's write of the stream and corrupts it.
 * `codec` is the stream codec between them, when the destination filters
 * xattrs (src/helper/engine/transfer.ts); else send writes receive's pipe.
 */
export async function freezeTransfer(
  fx: BackupFixture,
  dir: string,
  known: readonly string[],
): Promise<{ send: number; codec?: number; receive: number }> {
  const deadline = Date.now() + 30000;
  let receive: number[] = [];
  while (receive.length === 0) {
    if (Date.now() > deadline) throw new Error('the helper never started btrfs receive');
    receive = findProcesses('btrfs receive', fx.runtimeDir);
  }
  const pid = receive[0];
  process.kill(pid, 'SIGSTOP');
  // Whatever the test does next, nothing stays frozen after it.
  fx.cleanup.add('end the frozen transfer', () => isRunning(pid) && process.kill(pid, 'SIGKILL'));
  while (!entries(dir).some((n) => !known.includes(n))) {
    if (Date.now() > deadline || !isRunning(pid)) throw new Error('the transfer ended before it could be caught');
    process.kill(pid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 1));
    process.kill(pid, 'SIGSTOP');
  }
  const send = findProcesses('btrfs send', fx.runtimeDir);
  // The process that writes the pipe this receive reads: the codec (`node rewind-stream-codec.cjs stream-codec --options-fd=8`) or send itself.
  const codec = codecProcesses().filter((p) => linkOf(p, 1) === linkOf(pid, 0));
  if (send.length !== 1 || codec.length > 1 || !isRunning(pid)) throw new Error('the transfer ended before it could be caught');
  if (codec.length === 0 && linkOf(send[0], 1) !== linkOf(pid, 0)) throw new Error('btrfs send does not write the pipe that btrfs receive reads');
  return { send: send[0], codec: codec[0], receive: pid };
}

/** Lets a frozen process go on; one already gone (its transfer was stopped for it) is fine. */
export function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone
  }
}

/** Pids of a frozen transfer that still exist. */
export function transferPids(frozen: { send: number; codec?: number; receive: number }): number[] {
  return [frozen.send, frozen.codec, frozen.receive].filter((p): p is number => p !== undefined);
}

/** Runs any helper command on the fixture's config and state; one that hangs is killed after `timeoutMs`. */
export function helperCommand(fx: BackupFixture, args: string[], timeoutMs = 300_000): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The pid of the fixture's D-Bus activated helper (`daemon`), or "" when none runs. */
export function activatedHelperPid(fx: BackupFixture): string {
  return shResult('pgrep', ['-f', `${fx.dist}/helper/rewind-helper.cjs daemon`]).stdout.trim();
}
