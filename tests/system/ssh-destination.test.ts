import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SshDestinationConfig } from '../../src/core/config';
import { RewindError } from '../../src/core/errors';
import { authorizedKeysLine } from '../../src/core/serve-protocol';
import { SshDestination } from '../../src/helper/destinations/ssh-destination';
import { sshPaths, type SshPaths } from '../../src/helper/destinations/ssh/identity';
import { sendToStream } from '../../src/helper/destinations/ssh/send';
import { parseProbeRequest, parseSetupRequest, parseTrustRequest, probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh, waitFor } from '../support/exec';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, stopServes, type ServeFixture } from '../support/serve-fixture';
import { connectionProcesses, startSshd, type Sshd } from '../support/sshd';
import { findProcesses } from '../support/helper-run';
import { compareTrees } from '../support/tree-compare';

/**
 * The client side of SSH destinations against a real sshd on 127.0.0.1 and
 * a real `rewind-helper serve` on a btrfs loop filesystem: the helper's key
 * made on first use, host keys probed, confirmed and pinned, unknown and
 * changed host keys refused, and every operation the engine uses, including
 * a connection cut in the middle of a stream.
 */
jest.setTimeout(120_000);

const HOST = 'alice-laptop';
let fx: ServeFixture;
let sshd: Sshd;
let stateDir: string;
let configPath: string;
let paths: SshPaths;
let context: { configPath: string; stateDir: string };
let destination: SshDestinationConfig;

function hostFingerprint(): string {
  return sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKey}.pub`]).split(' ')[1];
}

async function refusal(promise: Promise<unknown>): Promise<RewindError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RewindError)) throw new Error(`expected a RewindError, got ${String(error)}`);
  return error;
}

function pinnedText(): string {
  return existsSync(paths.knownHosts) ? readFileSync(paths.knownHosts, 'utf8') : '';
}

beforeAll(async () => {
  fx = createServeFixture('rewind-ssh-dest');
  stateDir = path.join(fx.dir, 'state');
  configPath = path.join(fx.dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ version: 1, hostName: HOST, destinations: [] }));
  paths = sshPaths(stateDir);
  context = { configPath, stateDir };
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  destination = { id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user: 'root', path: fx.root, enabled: true, compression: 'zstd' };
});

afterEach(async () => {
  await stopServes(fx);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('the helper’s key', () => {
  test('is made on first use, kept private, and shown with the line to install', async () => {
    expect(existsSync(paths.dir)).toBe(false);
    const first = await setup(context, parseSetupRequest(JSON.stringify({ path: fx.root })));
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.key).mode & 0o777).toBe(0o600);
    expect(first.host).toBe(HOST);
    expect(first.publicKey).toMatch(new RegExp(`^ssh-ed25519 [A-Za-z0-9+/]+=* rewind@${HOST}$`));
    expect(first.publicKey).toBe(readFileSync(`${paths.key}.pub`, 'utf8').trim());
    expect(first.authorizedKeysLine).toBe(authorizedKeysLine({ helperPath: '/usr/libexec/rewind-helper', root: fx.root, host: HOST, publicKey: first.publicKey }));
    expect(first.acceptKeyCommand).toBe(`echo '${first.publicKey}' | sudo /usr/libexec/rewind-helper accept-key --root ${fx.root} --host ${HOST}`);
    // The same key afterwards.
    expect((await setup(context, { path: fx.root })).publicKey).toBe(first.publicKey);

    // Installed the way the user is told to (with this test's helper path and authorized_keys).
    const r = spawnSync(
      process.execPath,
      [fx.bundle, 'accept-key', '--root', fx.root, '--host', HOST, '--authorized-keys', sshd.authorizedKeys, '--helper', path.join(fx.dir, 'rewind-helper')],
      { input: `${first.publicKey}\n`, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test.each([
    ['{"path":"relative/dir"}', /"path" must be an absolute path/],
    ['{"path":"/srv/a b"}', /"path" must be an absolute path/],
    ['{"path":"/srv/$(touch x)"}', /"path" must be an absolute path/],
    ['{"path":"/srv/../etc"}', /without "\.\."/],
    ['{"path":"/srv","host":"x"}', /unknown field "host"/],
    ['[]', /expected a JSON object/],
    ['not json', /must be a JSON object/],
  ])('GetSshSetup refuses %s', (json, message) => {
    let error: unknown;
    try {
      parseSetupRequest(json);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RewindError);
    expect((error as RewindError).code).toBe('InvalidArgs');
    expect((error as RewindError).detail).toMatch(message);
  });
});

describe('host keys', () => {
  test('an unknown server is refused before anything is sent', async () => {
    const error = await refusal(SshDestination.open(destination, paths));
    expect(error.code).toBe('HostKeyUnknown');
    expect(error.message).toMatch(/No key is confirmed yet for the server 127\.0\.0\.1 \(port \d+\).*Confirm the server’s key fingerprint/);
    expect(existsSync(paths.knownHosts)).toBe(false);
  });

  test.each([
    ['{"host":"-oProxyCommand=touch /tmp/x"}', /"host" must be a host name/],
    ['{"host":"a;b"}', /"host" must be a host name/],
    ['{"host":"[::1]"}', /"host" must be a host name/],
    ['{"host":"example.org","port":0}', /"port" must be a whole number from 1 to 65535; found number 0/],
    ['{"host":"example.org","port":65536}', /"port" must be a whole number/],
    ['{"host":"example.org","port":"22"}', /"port" must be a whole number/],
    ['{"host":"example.org","port":22.5}', /"port" must be a whole number/],
    ['{"host":"example.org","user":"-l"}', /"user" must be a user name/],
    ['{"host":"example.org","path":"/"}', /unknown field "path"/],
    ['{}', /"host" is missing/],
  ])('ProbeHost refuses %s', (json, message) => {
    expect(() => parseProbeRequest(json)).toThrow(message);
  });

  test.each([
    ['{"host":"example.org"}', /"fingerprint" is missing/],
    ['{"host":"example.org","fingerprint":"MD5:00:11"}', /"fingerprint" must be an SSH SHA256 fingerprint/],
    ['{"host":"example.org","fingerprint":"SHA256:abc"}', /"fingerprint" must be/],
    ['{"host":"example.org","fingerprint":"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU","key":"x"}', /unknown field "key"/],
  ])('TrustHost refuses %s', (json, message) => {
    expect(() => parseTrustRequest(json)).toThrow(message);
  });

  test('probe shows the fingerprint; trust pins exactly the confirmed key', async () => {
    const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
    expect(shown).toEqual({ host: '127.0.0.1', port: sshd.port, keyType: 'ssh-ed25519', fingerprint: hostFingerprint(), state: 'unknown' });

    // A fingerprint the server does not have: nothing is written.
    const wrong = await refusal(trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' }));
    expect(wrong.code).toBe('HostKeyChanged');
    expect(wrong.detail).toMatch(/now shows the key SHA256:\S+, not the SHA256:47DEQ\S+ that was confirmed; nothing was trusted/);
    expect(existsSync(paths.knownHosts)).toBe(false);

    await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
    const blob = readFileSync(`${sshd.hostKey}.pub`, 'utf8').split(' ')[1];
    expect(pinnedText()).toBe(`[127.0.0.1]:${sshd.port} ssh-ed25519 ${blob}\n`);
    expect(statSync(paths.knownHosts).mode & 0o777).toBe(0o600);
    expect(await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' })).toMatchObject({ state: 'known', fingerprint: shown.fingerprint });
  });
});

describe('an SSH destination', () => {
  let sent1: string;
  let sent2: string;

  test('connects, sends a full and an incremental backup, and each matches its snapshot', async () => {
    mkdirSync(path.join(fx.home, 'alice'), { recursive: true });
    writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'hello\n'.repeat(100_000));
    writeRandomFile(path.join(fx.home, 'alice/random.bin'), 4);
    sent1 = fx.snapshot('20260101T080000Z');
    const d = await SshDestination.open(destination, paths);
    try {
      expect(d.host).toBe(HOST);
      expect(d.compression).toBe('zstd');
      expect(await d.backups('home')).toEqual([]);
      const progress: number[] = [];
      const full = await sendToStream(d, { snapshot: sent1, dirName: 'home', name: '20260101T080000Z', onBytes: (b) => progress.push(b) });
      const uuid1 = sh('btrfs', ['subvolume', 'show', sent1]).match(/^\s*UUID:\s+(\S+)/m)![1];
      expect(full.receivedUuid).toBe(uuid1);
      expect(full.bytes).toBe(progress.at(-1));
      expect(full.wireBytes).toBeLessThan(full.bytes);
      const backups = await d.backups('home');
      expect(backups).toEqual([expect.objectContaining({ path: `${HOST}/home/20260101T080000Z`, receivedUuid: uuid1, readOnly: true })]);

      writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'changed\n');
      writeFileSync(path.join(fx.home, 'alice/new.txt'), 'new\n');
      sent2 = fx.snapshot('20260102T080000Z');
      const inc = await sendToStream(d, { snapshot: sent2, parent: sent1, dirName: 'home', name: '20260102T080000Z' });
      expect(inc.bytes).toBeLessThan(full.bytes / 10);
      await d.flush();
      const all = await d.allBackups();
      expect([...all.keys()]).toEqual(['home']);
      expect(all.get('home')!.map((b) => b.path)).toEqual([`${HOST}/home/20260101T080000Z`, `${HOST}/home/20260102T080000Z`]);
      expect(await d.freeBytes()).toBeGreaterThan(0);
    } finally {
      await d.close();
    }
    for (const [snapshot, name] of [
      [sent1, '20260101T080000Z'],
      [sent2, '20260102T080000Z'],
    ]) {
      expect(compareTrees(snapshot, path.join(fx.root, HOST, 'home', name))).toEqual([]);
    }
  });

  test('a server refusal passes through and leaves the connection usable', async () => {
    const d = await SshDestination.open(destination, paths);
    try {
      // The name is taken already.
      const error = await refusal(sendToStream(d, { snapshot: sent2, parent: sent1, dirName: 'home', name: '20260102T080000Z' }));
      expect(error.code).toBe('InvalidArgs');
      expect(await d.backups('home')).toHaveLength(2);
    } finally {
      await d.close();
    }
  });

  test('a connection cut mid-stream is a clear error; the server is clean for the next run', async () => {
    writeRandomFile(path.join(fx.home, 'alice/big.bin'), 64);
    const snap = fx.snapshot('20260103T080000Z');
    const d = await SshDestination.open({ ...destination, compression: 'none' }, paths);
    const before = connectionProcesses(sshd);
    expect(before.length).toBeGreaterThan(0);
    let cut = false;
    const transfer = sendToStream(d, {
      snapshot: snap,
      parent: sent2,
      dirName: 'home',
      name: '20260103T080000Z',
      onBytes: (bytes) => {
        if (!cut && bytes > 8 * 1024 * 1024) {
          cut = true;
          for (const pid of connectionProcesses(sshd)) process.kill(pid, 'SIGKILL');
        }
      },
    });
    const error = await refusal(transfer);
    expect(cut).toBe(true);
    expect(error.code).toBe('ConnectionLost');
    expect(error.message).toMatch(/^The connection to root@127\.0\.0\.1 \(port \d+\) was lost.*Check the network and the server/);
    expect(d.connection.alive).toBe(false);
    await d.close();
    // The orphaned serve notices and removes its partial receive.
    await waitFor('the cut serve to exit', () => findProcesses(process.execPath, `${fx.bundle} serve`).length === 0 || undefined, 30_000);

    const next = await SshDestination.open(destination, paths);
    try {
      expect(await next.removeIncomplete('home')).toEqual([]);
      expect((await next.backups('home')).map((b) => b.path)).toEqual([`${HOST}/home/20260101T080000Z`, `${HOST}/home/20260102T080000Z`]);
      const again = await sendToStream(next, { snapshot: snap, parent: sent2, dirName: 'home', name: '20260103T080000Z' });
      expect(again.receivedUuid).toBeDefined();
      expect(compareTrees(snap, path.join(fx.root, HOST, 'home', '20260103T080000Z'))).toEqual([]);
      // Retention: the oldest goes.
      await next.remove((await next.backups('home'))[0]);
      await next.reclaim();
      expect((await next.backups('home')).map((b) => b.path.split('/')[2])).toEqual(['20260102T080000Z', '20260103T080000Z']);
    } finally {
      await next.close();
    }
  });

  test('a changed host key is refused, and shown as changed until the new key is confirmed', async () => {
    const old = hostFingerprint();
    const pinned = pinnedText();
    await sshd.regenerateHostKey();
    const error = await refusal(SshDestination.open(destination, paths));
    expect(error.code).toBe('HostKeyChanged');
    expect(error.message).toMatch(/showed a key other than the one confirmed for it, so Rewind did not connect.*someone may be intercepting/);
    expect(pinnedText()).toBe(pinned);
    const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
    expect(shown).toMatchObject({ state: 'changed', fingerprint: hostFingerprint(), pinnedFingerprint: old });
    await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
    expect(pinnedText().trim().split('\n')).toHaveLength(1);
    const d = await SshDestination.open(destination, paths);
    await d.close();
  });

  test('a key the server does not know is refused with what to do', async () => {
    const other = { ...paths, key: path.join(fx.dir, 'other-key') };
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other.key]);
    const error = await refusal(SshDestination.open(destination, other));
    expect(error.code).toBe('KeyNotAccepted');
    expect(error.message).toMatch(/did not accept this computer’s key.*accept-key/);
  });

  test('a server that is not listening is unreachable', async () => {
    const error = await refusal(probe(context, { host: '127.0.0.1', port: 1, user: 'root' }));
    expect(error.code).toBe('HostUnreachable');
  });
});
