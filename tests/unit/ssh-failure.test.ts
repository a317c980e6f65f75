import { describe, expect, test } from '@jest/globals';
import { classifySshFailure } from '../../src/helper/destinations/ssh/connection';

/**
 * What ssh says when it fails, as OpenSSH prints it with LogLevel=ERROR. A
 * server that could not be reached is an absence (a run skips it); one that
 * answered and refused is a failure.
 */
const target = { host: 'backup.lan', port: 22, user: 'root' };

describe('classifySshFailure', () => {
  test.each([
    ['nothing listening', 'ssh: connect to host backup.lan port 22: Connection refused'],
    ['no answer', 'ssh: connect to host backup.lan port 22: Connection timed out'],
    ['no route', 'ssh: connect to host 10.0.0.9 port 22: No route to host'],
    ['no network', 'ssh: connect to host 10.0.0.9 port 22: Network is unreachable'],
    ['an unknown name', 'ssh: Could not resolve hostname backup.lan: Name or service not known'],
    ['an answer that never came', 'Connection timed out during banner exchange\nConnection to 10.0.0.9 port 22 timed out'],
  ])('%s: not reached', (_name, stderr) => {
    expect(classifySshFailure(target, stderr, false).code).toBe('HostUnreachable');
  });

  test.each([
    ['a key it does not accept', 'root@backup.lan: Permission denied (publickey).', 'KeyNotAccepted'],
    ['another host key', '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.', 'HostKeyChanged'],
    ['no serve there', 'bash: line 1: /usr/libexec/rewind-helper: No such file or directory', 'TransferFailed'],
    ['a server that closes at once', 'kex_exchange_identification: Connection closed by remote host\nConnection closed by 10.0.0.9 port 22', 'TransferFailed'],
    ['no word at all', '', 'TransferFailed'],
  ])('%s: it answered, so it is a failure', (_name, stderr, code) => {
    expect(classifySshFailure(target, stderr, false).code).toBe(code);
  });

  test('a connection that ended after the hello is lost, whatever ssh says', () => {
    expect(classifySshFailure(target, 'client_loop: send disconnect: Broken pipe', true).code).toBe('ConnectionLost');
  });

  test('each names the server for the app, by its host name', () => {
    const reasonOf = (stderr: string, connected: boolean) => classifySshFailure(target, stderr, connected).reason;
    expect(reasonOf('ssh: connect to host backup.lan port 22: Connection refused', false)).toEqual({ id: 'server-unreachable', params: { server: 'backup.lan' } });
    expect(reasonOf('root@backup.lan: Permission denied (publickey).', false)).toEqual({ id: 'key-not-accepted', params: { server: 'backup.lan' } });
    expect(reasonOf('Host key verification failed.', false)).toEqual({ id: 'host-key-changed', params: { server: 'backup.lan' } });
    expect(reasonOf('', false)).toEqual({ id: 'server-not-rewind', params: { server: 'backup.lan' } });
    expect(reasonOf('client_loop: send disconnect: Broken pipe', true)).toEqual({ id: 'connection-lost', params: { server: 'backup.lan' } });
  });
});
