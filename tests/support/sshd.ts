import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh, startProcess, stopProcess, waitFor } from './exec';

/**
 * A real OpenSSH server for one test: its own host key and config in the
 * test's directory, listening only on 127.0.0.1 at a free high port, reading
 * authorized keys from one file there, and stopped by the cleanup. Clients pin
 * its host key through a known_hosts file of their own.
 */
export interface Sshd {
  port: number;
  /** The authorized_keys file sshd reads (for root). */
  authorizedKeys: string;
  knownHosts: string;
  output: () => string;
  /** ssh arguments up to and including the destination, for the key `key`. */
  sshArgs: (key: string, options?: string[]) => string[];
  /** The listening sshd; each connection is a child of it. */
  pid: number;
  hostKey: string;
  /** Makes a new host key and has sshd load it (SIGHUP): the server's key "changed". */
  regenerateHostKey: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An ed25519 key pair without passphrase; returns the private key's path. */
export function makeKey(dir: string, name: string, comment: string): string {
  const key = path.join(dir, name);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', key]);
  return key;
}

export interface SshdOptions {
  /**
   * Ordinary accounts that may log in too, each with the keys in its own
   * ~/.ssh/authorized_keys (as on a real server); their shell runs the
   * forced command, so it must be a real shell.
   */
  users?: string[];
}

export async function startSshd(cleanup: Cleanup, dir: string, options: SshdOptions = {}): Promise<Sshd> {
  const users = options.users ?? [];
  const sshDir = path.join(dir, 'sshd');
  mkdirSync(sshDir, { mode: 0o700 });
  const hostKey = makeKey(sshDir, 'ssh_host_ed25519_key', 'rewind-test-host');
  const authorizedKeys = path.join(sshDir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  // sshd refuses to start without its privilege separation directory.
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 });
    cleanup.add('remove /run/sshd', () => existsSync('/run/sshd') && readdirSync('/run/sshd').length === 0 && rmdirSync('/run/sshd'));
  }
  const port = await freePort();
  const config = path.join(sshDir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'AuthorizedPrincipalsFile none',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${['root', ...users].join(' ')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'HostbasedAuthentication no',
      'PermitUserEnvironment no',
      'PermitUserRC no',
      'X11Forwarding no',
      // A subsystem the forced command must override.
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // Match blocks last: everything after one belongs to it.
      ...(users.length > 0 ? [`Match User ${users.join(',')}`, '  AuthorizedKeysFile .ssh/authorized_keys'] : []),
      '',
    ].join('\n'),
  );
  sh('/usr/sbin/sshd', ['-t', '-f', config]);
  const { child, output } = startProcess('/usr/sbin/sshd', ['-D', '-e', '-f', config]);
  cleanup.add(`stop sshd on port ${port}`, () => stopProcess(child));
  await waitFor('sshd to listen', () => output().includes(`Server listening on 127.0.0.1 port ${port}`) || undefined, 10_000);

  const knownHosts = path.join(dir, 'known_hosts');
  const [type, blob] = readFileSync(`${hostKey}.pub`, 'utf8').split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${type} ${blob}\n`);
  // ssh keeps the first value of each option: the caller's come first.
  const sshArgs = (key: string, options: string[] = []) => [
    ...options,
    '-F', '/dev/null',
    '-i', key,
    '-p', String(port),
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'LogLevel=ERROR',
    'root@127.0.0.1',
  ];
  const regenerateHostKey = async () => {
    rmSync(hostKey);
    rmSync(`${hostKey}.pub`);
    makeKey(sshDir, 'ssh_host_ed25519_key', 'rewind-test-host');
    const listening = () => output().split(`Server listening on 127.0.0.1 port ${port}`).length - 1;
    const before = listening();
    child.kill('SIGHUP');
    await waitFor('sshd to listen again', () => listening() > before || undefined, 10_000);
  };
  return { port, authorizedKeys, knownHosts, output, sshArgs, pid: child.pid!, hostKey, regenerateHostKey };
}

/**
 * PIDs of the sshd processes that serve connections: the listener's children
 * (the privileged monitors) and their sshd children (which hold the network
 * connection), but not the commands they run.
 */
export function connectionProcesses(sshd: Sshd): number[] {
  const parent = new Map<number, number>();
  const isSshd = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').startsWith('sshd:')) isSshd.add(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === sshd.pid) return true;
    return false;
  };
  return [...isSshd].filter(below);
}

/** Runs `ssh ... command` to the end. */
export function runSsh(sshd: Sshd, key: string, command: string[], options: string[] = [], input = ''): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('ssh', [...sshd.sshArgs(key, options), ...command], { encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
