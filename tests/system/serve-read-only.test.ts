import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { RewindError } from '../../src/core/errors';
import { sh } from '../support/exec';
import { createServeFixture, sendSnapshot, startServeProcess, stopServes, type ServeFixture, type ServeProcess } from '../support/serve-fixture';
import { makeKey, startSshd, type Sshd } from '../support/sshd';

/**
 * A computer is lost; a fresh install has a new key. The server's
 * administrator runs `accept-key --read-only` naming the lost computer's
 * folder, and the new key can then list and read that computer's backups
 * through a real sshd, and nothing else: every changing request is refused,
 * the lost computer's own key stays accepted, and names that are not an
 * existing computer's folder are refused before anything is written.
 */
jest.setTimeout(300_000);

const OLD = 'alice-laptop';
const NAME = '20260101T080000Z';

let fx: ServeFixture;
let sshd: Sshd;
let helper: string;
let oldKey: string;
let newKey: string;

function acceptKey(key: string, host: string, extra: string[] = []): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', fx.root, '--host', host, '--authorized-keys', sshd.authorizedKeys, '--helper', helper, ...extra], {
    input: readFileSync(`${key}.pub`),
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function connect(key: string): ServeProcess {
  return startServeProcess(fx, 'ssh', [...sshd.sshArgs(key), 'rewind-helper', 'serve']);
}

/** Everything in the old computer's folder that a change would show. */
function stateOfFolder(): string {
  return [
    sh('find', [path.join(fx.root, OLD), '-printf', '%P %y %m %s\\n']),
    sh('btrfs', ['subvolume', 'show', path.join(fx.root, OLD, 'home', NAME)]).replace(/^\s*(Generation|Snapshot\(s\)).*$/gm, ''),
  ].join('\n');
}

async function refusal(promise: Promise<unknown>): Promise<RewindError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RewindError,
  );
  if (!error) throw new Error('the request was not refused');
  return error;
}

beforeAll(async () => {
  fx = createServeFixture('rewind-serve-read-only');
  helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  oldKey = makeKey(fx.dir, 'key-old', `rewind@${OLD}`);
  newKey = makeKey(fx.dir, 'key-new', `rewind@${OLD}`);
  expect(acceptKey(oldKey, OLD)).toMatchObject({ status: 0, stderr: '' });

  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'what alice wrote\n');
  const serve = connect(oldKey);
  const send = sendSnapshot(fx.snapshot(NAME));
  await serve.client.receive({ subvolume: 'home', name: NAME, compression: 'zstd', stream: send.stream });
  await send.done;
  serve.child.stdin!.end();
  expect(await serve.exit).toBe(0);

  // Things in ROOT that are not a computer's folder.
  writeFileSync(path.join(fx.root, 'notes.txt'), 'not a computer\n');
  symlinkSync(path.join(fx.root, OLD), path.join(fx.root, 'alias-laptop'));
});

afterEach(async () => {
  await stopServes(fx);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('accept-key --read-only', () => {
  test('refuses a name that is not an existing computer folder, and writes nothing', () => {
    const before = readFileSync(sshd.authorizedKeys, 'utf8');
    for (const host of ['bob-desktop', 'notes.txt', 'alias-laptop']) {
      expect(acceptKey(newKey, host, ['--read-only'])).toEqual({
        status: 1,
        stdout: '',
        stderr: `${host} is not a computer whose backups are in ${fx.root} (those there: ${OLD}); give the name of the folder that holds its backups.\n`,
      });
    }
    expect(acceptKey(newKey, '../etc', ['--read-only']).status).toBe(1);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(before);
  });

  test("adds a read-only line beside the old computer's own, once", () => {
    const oldLine = readFileSync(sshd.authorizedKeys, 'utf8').trim();
    const r = acceptKey(newKey, OLD, ['--read-only']);
    expect(r).toMatchObject({ status: 0, stderr: '', stdout: expect.stringContaining('Added in') });
    const blob = readFileSync(`${newKey}.pub`, 'utf8').split(' ')[1];
    const lines = readFileSync(sshd.authorizedKeys, 'utf8').trim().split('\n');
    expect(lines).toEqual([oldLine, `command="${helper} serve --root ${fx.root} --host ${OLD} --read-only",restrict ssh-ed25519 ${blob} rewind@${OLD}`]);
    expect(acceptKey(newKey, OLD, ['--read-only'])).toMatchObject({ status: 0, stdout: expect.stringContaining('Already present') });
    expect(readFileSync(sshd.authorizedKeys, 'utf8').trim().split('\n')).toEqual(lines);
  });
});

describe('the new key, read-only', () => {
  test('lists and reads the old computer\'s backups', async () => {
    const serve = connect(newKey);
    const hello = await serve.client.hello();
    expect(hello).toMatchObject({ ok: true, host: OLD, readOnly: true, writable: false });
    expect(await serve.client.folders()).toEqual(['home']);
    expect((await serve.client.list('home')).map((b) => [b.name, b.complete])).toEqual([[NAME, true]]);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await serve.client.read({ subvolume: 'home', name: NAME, path: 'alice/notes.txt', sink });
    expect(Buffer.concat(chunks).toString()).toBe('what alice wrote\n');
  });

  test('every changing request is refused, and the folder is as it was', async () => {
    const before = stateOfFolder();
    const serve = connect(newKey);
    const refused = (op: string) => ({ code: 'InvalidArgs', detail: `This key may only read ${OLD}'s backups on this server; ${op} is refused.` });
    expect(await refusal(serve.client.delete('home', NAME))).toMatchObject(refused('delete'));
    expect(await refusal(serve.client.clean('home'))).toMatchObject(refused('clean'));
    expect(await refusal(serve.client.fileDelete('home', `${NAME}.full.btrfs.zst`))).toMatchObject(refused('file-delete'));
    expect(await refusal(serve.client.filePut('home', `${NAME}.full.btrfs.zst`))).toMatchObject(refused('file-put'));
    expect(
      await refusal(serve.client.receive({ subvolume: 'other', name: '20260102T080000Z', compression: 'none', stream: Readable.from([Buffer.alloc(10)]) })),
    ).toMatchObject(refused('receive'));
    // The connection still answers after its refusals.
    expect((await serve.client.list('home')).map((b) => b.name)).toEqual([NAME]);
    expect(stateOfFolder()).toBe(before);
  });

  test("the old computer's key still backs up", async () => {
    const serve = connect(oldKey);
    expect(await serve.client.hello()).toMatchObject({ host: OLD, writable: true });
    expect((await serve.client.hello()).readOnly).toBeUndefined();
  });
});
