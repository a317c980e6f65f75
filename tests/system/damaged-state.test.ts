import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { HelperStatus, RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { helperCommand } from '../support/helper-run';

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

const helper = (args: string[]) => helperCommand(fx, args);

interface Ran {
  record: RunRecord;
  stderr: string;
}

function run(): Ran {
  const r = helper(['run', '--json']);
  expect({ status: r.status, internal: /internal|bug in Rewind|at \w+\.\w+ \(/i.test(r.stderr) }).toEqual({ status: 0, internal: false });
  return { record: JSON.parse(r.stdout) as RunRecord, stderr: r.stderr };
}

function status(): HelperStatus {
  const r = helper(['status', '--json']);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as HelperStatus;
}

function changeHome(): void {
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), `# Notes\n- changed at ${process.hrtime.bigint()}\n`);
}

/** Two ordinary runs after the damage: both succeed, the second incremental. */
function twoOrdinaryRuns(): [Ran, Ran] {
  changeHome();
  const first = run();
  expect(first.record).toMatchObject({ ok: true, transfers: [{ ok: true }] });
  changeHome();
  const second = run();
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
