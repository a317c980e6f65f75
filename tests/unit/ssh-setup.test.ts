import { describe, expect, test } from '@jest/globals';
import { validateConfig } from '../../src/core/config';
import { destinationSnippet, hostKeyFile } from '../../src/core/ssh';
import { acceptKeyCommand, authorizedKeysFileOf, folderCommand, INSTALL_COMMAND } from '../../src/core/server-setup';
import { parseSetupRequest } from '../../src/core/contract/ssh-requests';

/** What the app's Add Backup Server dialog shows at its end and on its fingerprint step. */
describe('the destination entry the dialog shows', () => {
  const cases = [
    { host: 'backup.example', port: 22, user: 'root', path: '/srv/rewind', expected: { id: 'server', kind: 'ssh', host: 'backup.example', path: '/srv/rewind' } },
    { host: '192.168.1.20', port: 2222, user: 'backup', path: '/mnt/b', expected: { id: 'server', kind: 'ssh', host: '192.168.1.20', port: 2222, user: 'backup', path: '/mnt/b' } },
  ];
  test.each(cases)('$host:$port as $user leaves out only the defaults, and is a valid destination', ({ expected, ...fields }) => {
    const entry = JSON.parse(destinationSnippet(fields)) as Record<string, unknown>;
    expect(entry).toEqual(expected);
    const result = validateConfig({ version: 1, sources: [{ path: '/home' }], destinations: [entry] });
    expect(result.ok).toBe(true);
  });
});

describe('the file whose fingerprint the server shows', () => {
  test.each([
    ['ssh-ed25519', '/etc/ssh/ssh_host_ed25519_key.pub'],
    ['ecdsa-sha2-nistp256', '/etc/ssh/ssh_host_ecdsa_key.pub'],
    ['rsa-sha2-512', '/etc/ssh/ssh_host_rsa_key.pub'],
    ['ssh-rsa', '/etc/ssh/ssh_host_rsa_key.pub'],
  ])('%s: %s', (type, file) => {
    expect(hostKeyFile(type)).toBe(file);
  });
});

/** What the dialog's second step and `rewind-helper ssh-setup` tell a person to run once on the server. */
describe('the one-time server setup', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl rewind@laptop';
  const base = { publicKey: key, helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host: 'laptop' };

  test('installs the helper alone, not the desktop app', () => {
    expect(INSTALL_COMMAND).toBe('sudo dnf install rewind-helper');
  });

  test('root: a folder only root reads, and the key into root’s file with sudo', () => {
    expect(folderCommand('/srv/rewind', 'root')).toBe('sudo mkdir -p -m 0700 /srv/rewind');
    expect(acceptKeyCommand({ ...base, user: 'root' })).toBe(`echo '${key}' | sudo /usr/libexec/rewind-helper accept-key --root /srv/rewind --host laptop`);
    expect(authorizedKeysFileOf('root')).toBe('/root/.ssh/authorized_keys');
  });

  test('an ordinary account: the folder is given to it, and accept-key runs as it, into its own file', () => {
    expect(folderCommand('/srv/rewind', 'alice')).toBe('sudo mkdir -p -m 0700 /srv/rewind && sudo chown alice: /srv/rewind');
    expect(acceptKeyCommand({ ...base, user: 'alice' })).toBe(`echo '${key}' | sudo -u alice /usr/libexec/rewind-helper accept-key --root /srv/rewind --host laptop`);
    expect(authorizedKeysFileOf('alice')).toBe('~alice/.ssh/authorized_keys');
  });

  test('GetSshSetup takes the account, root when left out, and refuses one that is not a user name', () => {
    expect(parseSetupRequest('{"path":"/srv/rewind"}')).toEqual({ path: '/srv/rewind', user: 'root' });
    expect(parseSetupRequest('{"path":"/srv/rewind","user":"alice"}')).toEqual({ path: '/srv/rewind', user: 'alice' });
    expect(() => parseSetupRequest('{"path":"/srv/rewind","user":"-oProxyCommand=x"}')).toThrow(/"user" must be a user name/);
    expect(() => parseSetupRequest('{"path":"/srv/rewind","user":"a b"}')).toThrow(/"user" must be a user name/);
  });
});
