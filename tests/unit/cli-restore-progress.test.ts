import { describeRestoreProgress } from '../../src/helper/cli/format/restore';

describe('restore-subvolume progress on the terminal', () => {
  it('says what was read, the share, the rate and the time left', () => {
    expect(describeRestoreProgress({ bytes: 1288490189, fraction: 0.4261, bytesPerSecond: 89128960, etaSeconds: 19.6 })).toBe(
      'restoring: 1.3 GB read (42 %), 89.1 MB/s, about 20 s left',
    );
  });

  it('says only what it knows before the estimate', () => {
    expect(describeRestoreProgress({ bytes: 512 })).toBe('restoring: 512 bytes read');
  });

  it('tells long waits in minutes and hours, and keeps a share beyond the ends within 0–100 %', () => {
    expect(describeRestoreProgress({ bytes: 0, fraction: 1.2, etaSeconds: 600 })).toBe('restoring: 0 bytes read (100 %), about 10 min left');
    expect(describeRestoreProgress({ bytes: 0, fraction: -0.1, etaSeconds: 7500 })).toBe('restoring: 0 bytes read (0 %), about 2 h 5 min left');
  });
});
