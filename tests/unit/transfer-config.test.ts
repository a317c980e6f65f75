import { describe, expect, test } from '@jest/globals';
import { validateConfig, type BtrfsDestinationConfig } from '../../src/core/config';
import { codecOptions } from '../../src/helper/engine/transfer';
import { classifyReceiveFailure, refusedXattr } from '../../src/helper/engine/transfer-outcome';

const disk = '0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1';
const withXattrs = (xattrs: unknown) => validateConfig({ version: 1, destinations: [{ id: 'usb', kind: 'btrfs', filesystem: disk, xattrs }] });

describe('a destination\'s xattrs setting', () => {
  test('defaults to keeping everything', () => {
    const result = withXattrs({});
    expect(result).toMatchObject({ ok: true, config: { destinations: [{ xattrs: { selinux: 'keep', drop: [] } }] } });
    if (result.ok) expect(codecOptions(result.config.destinations[0] as BtrfsDestinationConfig)).toEqual({ selinux: 'keep', dropXattrs: undefined });
    expect(codecOptions({})).toEqual({});
  });

  test.each([
    [{ selinux: 'drop', drop: ['security.capability', 'user.*'] }, { selinux: 'drop', dropXattrs: ['security.capability', 'user.*'] }],
    [{ selinux: { keepOnlyKnown: ['system_u:object_r:user_home_t:s0'] } }, { selinux: { keepOnlyKnown: ['system_u:object_r:user_home_t:s0'] }, dropXattrs: undefined }],
  ])('maps %j to the codec options', (xattrs, options) => {
    const result = withXattrs(xattrs);
    expect(result.ok).toBe(true);
    if (result.ok) expect(codecOptions(result.config.destinations[0] as BtrfsDestinationConfig)).toEqual(options);
  });

  test.each([
    [{ selinux: 'maybe' }, /^destinations\[0\]\.xattrs\.selinux: /],
    [{ selinux: { keepOnlyKnown: [] } }, /^destinations\[0\]\.xattrs\.selinux/],
    [{ drop: ['user. note'] }, /^destinations\[0\]\.xattrs\.drop\[0\]: must be an xattr name or a glob/],
    [{ dorp: [] }, /^destinations\[0\]\.xattrs: unknown field "dorp"$/],
  ])('refuses %j', (xattrs, message) => {
    const result = withXattrs(xattrs);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(message);
  });
});

describe('a failed btrfs receive', () => {
  test('that refused an xattr names it, the file, and what to configure', () => {
    const stderr = 'At subvol 20261126T110626Z\nERROR: lsetxattr alice/my tool security.capability=\x01 failed: Invalid argument\n';
    expect(refusedXattr(stderr)).toEqual({ path: 'alice/my tool', name: 'security.capability', reason: 'Invalid argument' });
    const error = classifyReceiveFailure(stderr);
    expect(error.code).toBe('TransferFailed');
    expect(error.detail).toBe(
      'The backup disk refused the extended attribute security.capability of "alice/my tool" (Invalid argument). ' +
        'Add "security.capability" to "xattrs": {"drop": [...]} for this destination in the configuration, then back up again.',
    );
  });

  test('on an SELinux label points to the selinux setting', () => {
    const error = classifyReceiveFailure('ERROR: lsetxattr f security.selinux=x_u:object_r:x_t:s0 failed: Invalid argument');
    expect(error.detail).toMatch(/security\.selinux of "f" \(Invalid argument\)\. Set "xattrs": \{"selinux": "drop"\}/);
  });

  test('an xattr too large for the destination is not a full disk', () => {
    expect(classifyReceiveFailure('ERROR: lsetxattr big user.blob=aaaa failed: No space left on device').code).toBe('TransferFailed');
    expect(classifyReceiveFailure('ERROR: writing to big failed: No space left on device').code).toBe('DestinationFull');
    expect(classifyReceiveFailure('ERROR: open x failed: Input/output error').code).toBe('DestinationMissing');
  });
});
