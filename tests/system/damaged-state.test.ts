import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { HelperStatus, RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { helperCommand } from '../support/helper-run';
import { mountLoopExt4 } from '../support/loop-ext4';
import { unmount } from '../support/loop-btrfs';
import { sh } from '../support/exec';

/**
 * The state folder damaged the way a disk or a person damages it: bytes
 * written into its files by hand, never through Rewind. Whatever is there,
 * the next two ordinary runs succeed (the second incremental), a damaged
 * cache is rebuilt with a line in the log, and a damaged history is set
 * aside whole, with its date, and told to the user once.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
const historyFile = () => path.join(fx.stateDir, 'history.json');

/** The fixture's helper command, with another configuration file when given. */
function helper(args: string[], config?: string): { status: number; stdout: string; stderr: string } {
  if (!config) return helperCommand(fx, args);
  const [file, ...rest] = fx.helperCli(args);
  rest[rest.indexOf('--config') + 1] = config;
  const r = spawnSync(file, rest, { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Ran {
  record: RunRecord;
  stderr: string;
}

function run(config?: string): Ran {
  const r = helper(['run', '--json'], config);
  expect({ status: r.status, internal: /internal|bug in Rewind|at \w+\.\w+ \(/i.test(r.stderr) }).toEqual({ status: 0, internal: false });
  return { record: JSON.parse(r.stdout) as RunRecord, stderr: r.stderr };
}

function status(config?: string): HelperStatus {
  const r = helper(['status', '--json'], config);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as HelperStatus;
}

function changeHome(): void {
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), `# Notes\n- changed at ${process.hrtime.bigint()}\n`);
}

/** Two ordinary runs after the damage: both succeed, the second incremental. */
function twoOrdinaryRuns(config?: string): [Ran, Ran] {
  changeHome();
  const first = run(config);
  expect(first.record).toMatchObject({ ok: true, transfers: [{ ok: true }] });
  changeHome();
  const second = run(config);
  expect(second.record).toMatchObject({ ok: true, transfers: [{ ok: true, kind: 'incremental', parent: first.record.transfers[0].snapshot }] });
  return [first, second];
}

/** Writes `bytes` into `file` at `offset`, as a disk error would, in place. */
function writeBytesInto(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const setAside = () => readdirSync(fx.stateDir).filter((n) => n.startsWith('history.json.unreadable-'));

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  expect(run().record).toMatchObject({ ok: true, transfers: [{ kind: 'full' }] });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a history that cannot be read', () => {
  /** Damages the history with `damage`, then two runs: it is set aside whole and told once. */
  function expectSetAsideOnce(damage: () => void): void {
    const before = setAside();
    const started = Date.now();
    damage();
    const damaged = readFileSync(historyFile());
    // Read as empty meanwhile, not an error.
    expect(status().lastRun).toBeUndefined();
    const [first, second] = twoOrdinaryRuns();
    const kept = setAside().filter((n) => !before.includes(n));
    expect(kept).toEqual([expect.stringMatching(/^history\.json\.unreadable-\d{8}T\d{6}Z(-\d+)?$/)]);
    const keptFile = path.join(fx.stateDir, kept[0]);
    expect(readFileSync(keptFile)).toEqual(damaged);
    const [, y, mo, d, h, mi, s] = /(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(kept[0])!.map(Number);
    const when = Date.UTC(y, mo - 1, d, h, mi, s);
    expect(when).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(when).toBeLessThanOrEqual(Date.now());
    // The log says it once, in the run that set it aside.
    expect(first.stderr).toContain(`kept as ${keptFile}`);
    expect(second.stderr).toBe('');
    // The new history: both runs, the first telling the user; status shows it until the next run.
    const history = JSON.parse(readFileSync(historyFile(), 'utf8')) as RunRecord[];
    expect(history.map((r) => r.id)).toEqual([first.record.id, second.record.id]);
    expect(history[0].historySetAside).toBe(keptFile);
    expect(history[1].historySetAside).toBeUndefined();
    expect(status().lastRun).toMatchObject({ id: second.record.id, ok: true });
    expect(status().lastRun?.historySetAside).toBeUndefined();
  }

  test('an empty history (a crash while it was written)', () => {
    expectSetAsideOnce(() => writeFileSync(historyFile(), ''));
  });

  test('a history with a block of zeros in it (a disk error)', () => {
    expect(readFileSync(historyFile()).length).toBeGreaterThan(200);
    expectSetAsideOnce(() => writeBytesInto(historyFile(), 100, Buffer.alloc(64)));
  });

  test('the status shows the set-aside history until the next run', () => {
    writeFileSync(historyFile(), '[{"id": "half a rec');
    changeHome();
    const first = run();
    expect(first.record.ok).toBe(true);
    const told = status();
    expect(told.lastRun?.historySetAside).toMatch(/history\.json\.unreadable-/);
    const human = helper(['status']);
    expect(human.stdout).toContain('The history could not be read; it was kept as');
    changeHome();
    run();
    expect(status().lastRun?.historySetAside).toBeUndefined();
    expect(helper(['status']).stdout).not.toContain('could not be read');
  });
});

describe('a cache that cannot be read is rebuilt', () => {
  test('the send-protocol cache with bytes written over its start', () => {
    const cache = path.join(fx.stateDir, 'send-protocol.json');
    const good = JSON.parse(readFileSync(cache, 'utf8')) as { key: string; version: number };
    writeBytesInto(cache, 0, Buffer.from('{\0\0\0garbage'));
    const [first, second] = twoOrdinaryRuns();
    expect(first.stderr).toContain(`the cache ${cache} could not be read`);
    expect(second.stderr).toBe('');
    expect(JSON.parse(readFileSync(cache, 'utf8'))).toEqual(good);
    expect(second.record.transfers[0].protocol).toBe(good.version);
  });
});

describe('the checked copy of the configuration', () => {
  /** Finds `from` on the block device and writes `to` (as long) in its place. */
  function replaceOnDevice(device: string, from: string, to: string): void {
    expect(to.length).toBe(from.length);
    const fd = openSync(device, 'r+');
    try {
      const size = 16 * 1024 * 1024;
      const data = Buffer.alloc(size);
      readSync(fd, data, 0, size, 0);
      const at = data.indexOf(from);
      expect(at).toBeGreaterThan(0);
      expect(data.indexOf(from, at + 1)).toBe(-1);
      writeSync(fd, Buffer.from(to), 0, to.length, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  test('is not taken for a file whose bytes changed under the same name, inode, size and times', () => {
    // The configuration on a disk of its own, with its destination off; the bundled helper keeps its checked copy.
    const disk = path.join(fx.dir, 'etc-disk');
    const { device } = mountLoopExt4(fx.cleanup, fx.dir, 'etc', 16, disk);
    const config = path.join(disk, 'config.json');
    const fixtureConfig = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<Record<string, unknown>> };
    fixtureConfig.destinations[0].enabled = false;
    writeFileSync(config, JSON.stringify(fixtureConfig));
    expect(status(config).destinations[0].enabled).toBe(false);
    expect(readFileSync(path.join(fx.stateDir, 'config-checked.json'), 'utf8')).toContain('"enabled":false');
    const before = statSync(config, { bigint: true });

    // The disk's bytes change under the file (a disk error, an image written back): same identity, other text.
    unmount(disk);
    replaceOnDevice(device, '"enabled":false', '"enabled":true ');
    sh('mount', [device, disk]);
    const after = statSync(config, { bigint: true });
    expect([after.dev, after.ino, after.size, after.mtimeNs, after.ctimeNs]).toEqual([before.dev, before.ino, before.size, before.mtimeNs, before.ctimeNs]);
    expect(readFileSync(config, 'utf8')).toContain('"enabled":true ');

    expect(status(config).destinations[0].enabled).toBe(true);
    const [first] = twoOrdinaryRuns(config);
    expect(first.record.transfers).toHaveLength(1);
  });
});
