import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import { knownHostsName, type HostProbe } from '../../../core/ssh';
import { writeFileAtomic } from '../../system/atomic-write';
import { ensureSshDir, type SshPaths } from './identity';

/**
 * Pinned host keys. The helper connects only to a server whose key the user
 * confirmed:
 * 1. probe: ssh-keyscan asks the server for its keys; the one ssh would use
 *    (ed25519, else ECDSA, else RSA) is shown as a SHA256 fingerprint, with
 *    whether it is the pinned one;
 * 2. trust: the server is scanned again and exactly the key whose
 *    fingerprint the user confirmed is written to <state>/ssh/known_hosts,
 *    replacing what was pinned for that host and port. A server that now
 *    shows another key (a different server, or someone in between) gets
 *    nothing pinned;
 * 3. every connection uses that file alone, with StrictHostKeyChecking=yes
 *    and UpdateHostKeys=no, so ssh neither asks nor adds keys itself.
 */
export interface ScannedKey {
  type: string;
  /** The base64 key blob as in known_hosts. */
  data: string;
  fingerprint: string;
}

const PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
const SCAN_TIMEOUT_SECONDS = 10;

export function fingerprintOf(data: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(data, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

function parseKeyLines(text: string, name?: string): ScannedKey[] {
  const keys: ScannedKey[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [names, type, data] = trimmed.split(/\s+/);
    if (!type || !data || !/^[A-Za-z0-9+/]+=*$/.test(data)) continue;
    if (name !== undefined && !names.split(',').includes(name)) continue;
    keys.push({ type, data, fingerprint: fingerprintOf(data) });
  }
  return keys.sort((a, b) => rank(a.type) - rank(b.type));
}

function rank(type: string): number {
  const i = PREFERENCE.indexOf(type);
  return i < 0 ? PREFERENCE.length : i;
}

/** The server's host keys, preferred first. */
export async function scanHost(host: string, port: number): Promise<ScannedKey[]> {
  const result = await execa('ssh-keyscan', ['-T', String(SCAN_TIMEOUT_SECONDS), '-p', String(port), '-t', 'ed25519,ecdsa,rsa', '--', host], {
    reject: false,
    stdin: 'ignore',
    timeout: (SCAN_TIMEOUT_SECONDS + 5) * 1000,
  });
  const keys = parseKeyLines(String(result.stdout ?? ''));
  if (keys.length === 0) {
    const why = String(result.stderr ?? '')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join(' ')
      .trim();
    throw new RewindError('HostUnreachable', `The server ${host} (port ${port}) did not show its SSH key${why ? ` (${why})` : ''}.`, { reason: reason('server-unreachable', { server: host }) });
  }
  return keys;
}

async function readPinnedFile(paths: SshPaths): Promise<string> {
  return readFile(paths.knownHosts, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}

/** The keys pinned for host:port, preferred first. */
export async function pinnedKeys(paths: SshPaths, host: string, port: number): Promise<ScannedKey[]> {
  return parseKeyLines(await readPinnedFile(paths), knownHostsName(host, port));
}

export async function probeHost(paths: SshPaths, host: string, port: number): Promise<HostProbe> {
  const [scanned, pinned] = await Promise.all([scanHost(host, port), pinnedKeys(paths, host, port)]);
  const match = scanned.find((k) => pinned.some((p) => p.type === k.type && p.data === k.data));
  if (match) return { host, port, keyType: match.type, fingerprint: match.fingerprint, state: 'known' };
  const shown = scanned[0];
  if (pinned.length === 0) return { host, port, keyType: shown.type, fingerprint: shown.fingerprint, state: 'unknown' };
  return { host, port, keyType: shown.type, fingerprint: shown.fingerprint, state: 'changed', pinnedFingerprint: pinned[0].fingerprint };
}

/**
 * Pins the key of host:port whose fingerprint is `fingerprint`, replacing
 * any key pinned for it before. Refused, with nothing written, when the
 * server does not show that key now.
 */
export async function trustHost(paths: SshPaths, host: string, port: number, fingerprint: string): Promise<ScannedKey> {
  const scanned = await scanHost(host, port);
  const key = scanned.find((k) => k.fingerprint === fingerprint);
  if (!key) {
    throw new RewindError(
      'HostKeyChanged',
      `The server ${host} (port ${port}) now shows the key ${scanned[0].fingerprint}, not the ${fingerprint} that was confirmed; nothing was trusted.`,
      { reason: reason('host-key-changed', { server: host }) },
    );
  }
  await ensureSshDir(paths);
  const name = knownHostsName(host, port);
  const kept = (await readPinnedFile(paths))
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().split(/\s+/)[0].split(',').includes(name));
  await writeFileAtomic(paths.knownHosts, [...kept, `${name} ${key.type} ${key.data}`, ''].join('\n'), 0o600);
  return key;
}
