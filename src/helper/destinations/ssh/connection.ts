import { execa, type ResultPromise } from 'execa';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import { SERVE_ORIGINAL_COMMAND, type HelloResponse } from '../../../core/serve-protocol';
import { checkSshHost, checkSshPort, checkSshUser } from '../../../core/ssh';
import { ServeClient } from '../../serve/client';
import type { SshPaths } from './identity';
import { pinnedKeys } from './known-hosts';

/**
 * One SSH connection to `rewind-helper serve` on another machine, with the
 * helper's own key and the pinned host key only:
 * - -F /dev/null: no user or system ssh_config changes what is checked;
 * - BatchMode, StrictHostKeyChecking=yes, UserKnownHostsFile=<pinned>,
 *   GlobalKnownHostsFile=/dev/null, UpdateHostKeys=no: an unknown or changed
 *   host key fails the connection and ssh never writes a key itself;
 * - IdentitiesOnly, IdentityAgent=none, -i <key>: only the helper's key;
 * - no forwarding, no terminal, no multiplexing, no ssh compression (the
 *   stream is compressed with zstd instead, where that helps);
 * - ConnectTimeout and ServerAlive*: a server that goes away is noticed within
 *   about a minute, not at the next TCP timeout.
 * A failure is named (unknown or changed host key, key not accepted,
 * unreachable, connection lost) from ssh's exit and its messages.
 */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

export interface SshTimeouts {
  connectSeconds: number;
  aliveIntervalSeconds: number;
  aliveCountMax: number;
}

export const DEFAULT_TIMEOUTS: SshTimeouts = { connectSeconds: 15, aliveIntervalSeconds: 15, aliveCountMax: 4 };

export function sshArguments(target: SshTarget, paths: SshPaths, timeouts: SshTimeouts = DEFAULT_TIMEOUTS): string[] {
  const options = {
    BatchMode: 'yes',
    StrictHostKeyChecking: 'yes',
    UserKnownHostsFile: paths.knownHosts,
    GlobalKnownHostsFile: '/dev/null',
    UpdateHostKeys: 'no',
    CheckHostIP: 'no',
    IdentitiesOnly: 'yes',
    IdentityAgent: 'none',
    IdentityFile: paths.key,
    PasswordAuthentication: 'no',
    KbdInteractiveAuthentication: 'no',
    ConnectTimeout: String(timeouts.connectSeconds),
    ServerAliveInterval: String(timeouts.aliveIntervalSeconds),
    ServerAliveCountMax: String(timeouts.aliveCountMax),
    ClearAllForwardings: 'yes',
    ForwardAgent: 'no',
    ForwardX11: 'no',
    RequestTTY: 'no',
    ControlMaster: 'no',
    ControlPath: 'none',
    PermitLocalCommand: 'no',
    Compression: 'no',
    LogLevel: 'ERROR',
  };
  return [
    '-F', '/dev/null',
    ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    '-p', String(target.port),
    '-l', target.user,
    '--', target.host,
    ...SERVE_ORIGINAL_COMMAND.split(' '),
  ];
}

function where(target: SshTarget): string {
  return `${target.user}@${target.host} (port ${target.port})`;
}

/**
 * ssh's own words for a server it could not reach at all: no address, no
 * route, nothing listening, no answer in time. Anything else before the
 * hello came from a server that answered (and refused, or ran something
 * other than serve).
 */
const NOT_REACHED = /ssh: connect to host|ssh: Could not resolve hostname|Connection timed out|Network is unreachable|No route to host|Host is down|timed out during banner exchange/i;

/** Names what went wrong from ssh's messages; `connected` tells a failure to connect from a connection lost. */
export function classifySshFailure(target: SshTarget, stderr: string, connected: boolean): RewindError {
  const text = stderr.trim().replace(/\s+/g, ' ');
  const detail = text ? ` (ssh: ${text.length > 300 ? `${text.slice(0, 297)}...` : text})` : '';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key for .* has changed/i.test(text)) {
    return new RewindError(
      'HostKeyChanged',
      `The server ${target.host} (port ${target.port}) showed a key other than the one confirmed for it, so Rewind did not connect${detail}.`,
      { reason: reason('host-key-changed', { server: target.host }) },
    );
  }
  if (/Permission denied/i.test(text)) {
    // Before any data: nothing was sent. The key line may never have been added, or was removed since.
    return new RewindError(
      'KeyNotAccepted',
      `The server ${target.host} (port ${target.port}) did not accept this computer’s key for the user ${target.user}: it is not, or no longer, among the keys ${target.user} may sign in with there${detail}.`,
      {
        advice: `An administrator of the server can accept it again with rewind-helper accept-key, as ${target.user}: the command Rewind showed when the server was added, which rewind-helper ssh-setup on this computer prints again. Nothing was sent, and the backups already there are kept.`,
        reason: reason('key-not-accepted', { server: target.host }),
      },
    );
  }
  if (!connected && NOT_REACHED.test(text)) {
    return new RewindError('HostUnreachable', `Could not connect to ${where(target)}${detail}.`, { reason: reason('server-unreachable', { server: target.host }) });
  }
  if (!connected) {
    // It answered: a refusal, not an absence (a run skips only a server it could not reach).
    return new RewindError('TransferFailed', `${where(target)} answered, but did not start rewind-helper serve${detail || ' (ssh gave no reason)'}.`, {
      advice: 'Check that Rewind is installed on the server and that this computer’s key is set up there with rewind-helper accept-key, then try again.',
      reason: reason('server-not-rewind', { server: target.host }),
    });
  }
  return new RewindError('ConnectionLost', `The connection to ${where(target)} was lost${detail}.`, { reason: reason('connection-lost', { server: target.host }) });
}

const CLOSED = 'The server closed the connection.';
const HELLO_TIMEOUT_MS = 60_000;

export class SshConnection {
  private stderr = '';
  private ended = false;
  readonly exited: Promise<void>;

  private constructor(
    readonly target: SshTarget,
    private readonly child: ResultPromise,
    readonly client: ServeClient,
    public hello: HelloResponse = undefined as unknown as HelloResponse,
  ) {
    child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 64 * 1024) this.stderr += d.toString('utf8');
    });
    // Writing to an ssh that died fails each write; the failure is reported through the call, not as an event.
    child.stdin!.on('error', () => undefined);
    this.exited = child.then(
      () => undefined,
      () => undefined,
    ).finally(() => (this.ended = true));
  }

  /**
   * Connects and says hello. Refused before anything is sent when no host key
   * is pinned for host:port (HostKeyUnknown).
   */
  static async open(target: SshTarget, paths: SshPaths, timeouts: SshTimeouts = DEFAULT_TIMEOUTS): Promise<SshConnection> {
    const problem = checkSshHost(target.host) ?? checkSshPort(target.port) ?? checkSshUser(target.user);
    if (problem) throw new RewindError('InvalidArgs', `The SSH destination is not valid: ${problem}.`, { advice: 'Correct the server, port or user of this destination in the backup settings.' });
    if ((await pinnedKeys(paths, target.host, target.port)).length === 0) {
      throw new RewindError(
        'HostKeyUnknown',
        `No key is confirmed yet for the server ${target.host} (port ${target.port}), so Rewind cannot tell it is the right machine and did not connect.`,
        { reason: reason('host-key-unknown', { server: target.host }) },
      );
    }
    const child = execa('ssh', sshArguments(target, paths, timeouts), {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      env: { LC_ALL: 'C' },
      extendEnv: false,
    });
    const connection = new SshConnection(target, child, new ServeClient(child.stdin!, child.stdout!));
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        const late = new RewindError('HostUnreachable', `${where(target)} did not answer within ${HELLO_TIMEOUT_MS / 1000} s.`, { reason: reason('server-unreachable', { server: target.host }) });
        timer = setTimeout(() => reject(late), HELLO_TIMEOUT_MS);
      });
      connection.hello = await Promise.race([connection.call(() => connection.client.hello(), false), timeout]);
    } catch (error) {
      await connection.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return connection;
  }

  get alive(): boolean {
    return !this.ended;
  }

  /**
   * Runs one exchange. The server's own refusals pass through; a connection
   * that ended becomes a named error with what ssh said.
   */
  async call<T>(exchange: (client: ServeClient) => Promise<T>, connected = true): Promise<T> {
    if (this.ended) throw classifySshFailure(this.target, this.stderr, connected);
    try {
      return await exchange(this.client);
    } catch (error) {
      const fromServer = error instanceof RewindError && error.detail !== CLOSED;
      if (fromServer) throw error;
      // The connection ended (or never started): wait a little for ssh to exit and say why.
      // The timer is cleared: a helper that is done otherwise (a cancelled restore) would wait for it before it ends.
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3000)))]);
      clearTimeout(timer);
      if (!exited) this.child.kill('SIGKILL');
      await this.exited;
      if (error instanceof SyntaxError) {
        throw new RewindError('TransferFailed', `${where(this.target)} did not answer like rewind-helper serve: ${error.message}.`, {
          cause: error,
          reason: reason('server-not-rewind', { server: this.target.host }),
        });
      }
      throw classifySshFailure(this.target, this.stderr, connected);
    }
  }

  /**
   * Ends the connection now (ssh killed), with a transfer under way: a
   * stopped restore is not left waiting while the server sends the rest of
   * a backup that is only read off the connection and dropped. The
   * connection cannot be used again.
   */
  cut(): void {
    if (!this.ended) this.child.kill('SIGKILL');
  }

  /** Closes stdin (the server ends the session), then waits for ssh; kills it after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    if (!this.ended) {
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
