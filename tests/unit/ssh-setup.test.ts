import { describe, expect, test } from '@jest/globals';
import { validateConfig } from '../../src/core/config';
import { destinationSnippet, hostKeyFile } from '../../src/core/ssh';

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
