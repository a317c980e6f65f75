import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import type { DrillRecord } from '../../src/core/drill';
import { drillDestinations } from '../../src/helper/drill/drill';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh } from './exec';
import { writeRandomFile } from './random-file';
import type { ServeFixture } from './serve-fixture';
import { startSshd, type Sshd } from './sshd';

export interface ServerClient {
  sshd: Sshd;
  paths: { configPath: string; stateDir: string; runtimeDir: string };
}

/**
 * A computer named `host` that backs up the serve fixture's home to its
 * server, as the drill tests need it: sshd on 127.0.0.1 running `rewind-helper
 * serve` as the forced command of this computer's key (accepted there with
 * accept-key), the server's host key trusted, and files a drill samples (a
 * text with an xattr, a random photo). `destination` adds to the server's
 * entry (`store`), `config` to the configuration.
 */
export async function serverClient(fx: ServeFixture, host: string, destination: object = {}, config: object = {}): Promise<ServerClient> {
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  const sshd = await startSshd(fx.cleanup, fx.dir);
  const configPath = path.join(fx.dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      hostName: host,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: fx.root, label: 'Home server', ...destination }],
      ...config,
    }),
  );
  const paths = { configPath, stateDir: path.join(fx.dir, 'state'), runtimeDir: path.join(fx.dir, 'client-run') };
  const context = { configPath, stateDir: paths.stateDir };
  const { publicKey } = await setup(context, { path: fx.root });
  const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', fx.root, '--host', host, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
  await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'notes\n'.repeat(10_000));
  writeRandomFile(path.join(fx.home, 'alice/photo.bin'), 2);
  sh('setfattr', ['-n', 'user.rewind.tag', '-v', 'kept', path.join(fx.home, 'alice/notes.txt')]);
  return { sshd, paths };
}

/** One drill of the one destination. */
export async function drillServer(paths: ServerClient['paths']): Promise<DrillRecord> {
  const result = await drillDestinations(paths);
  if (!('drills' in result)) throw new Error(`the drill did not start: ${result.skipped}`);
  expect(result.drills).toHaveLength(1);
  return result.drills[0];
}
