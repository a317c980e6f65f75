import { describeOwners } from '../../src/helper/cli/format/restore';

/**
 * The folder names restore-subvolume reports come from the backup (any name
 * a folder in the restored home had): printed on an administrator's
 * terminal, none may carry a control character that the terminal would obey.
 */
describe('restore-subvolume: whose files are whose, on the terminal', () => {
  it('names a person whose files were given to their account, and one with no account here', () => {
    expect(
      describeOwners({
        given: [{ name: 'alice', uid: [1000, 1001], gid: [1000, 1001] }],
        kept: [{ name: 'bob', reason: 'no-account' }],
        entries: 12,
      }),
    ).toEqual([
      'Files of alice were given to alice on this computer (uid 1000 → 1001, group 1000 → 1001).',
      '  12 files and folders changed owner; modes, times and contents are as they were.',
      'Files of bob keep the owner they had: there is no account of that name here.',
    ]);
  });

  it('shows a folder name with control characters escaped, never as they are', () => {
    const names = ['\u001b]0;owned\u0007x', 'new\nline', 'del\u007f', 'csi\u009b2J'];
    const lines = describeOwners({ given: [], kept: names.map((name) => ({ name, reason: 'no-account' as const })), entries: 0 });
    expect(lines).toHaveLength(4);
    for (const line of lines) expect([...line].filter((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))).toEqual([]);
    expect(lines[0]).toBe('Files of "\\u001b]0;owned\\u0007x" keep the owner they had: there is no account of that name here.');
    expect(lines[1]).toContain('"new\\nline"');
    expect(lines[2]).toContain('"del\\u007f"');
    expect(lines[3]).toContain('"csi\\u009b2J"');
  });
});
