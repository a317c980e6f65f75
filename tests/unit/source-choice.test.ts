import { describe, expect, test } from '@jest/globals';
import { isOfferedNested } from '../../src/core/nested-subvolume';
import { choiceOf, MAX_KEEP_OTHERS_APART, othersToKeepApart, planSources, typedFolder, type SourceChoice } from '../../src/core/source-choice';
import type { SubvolumeSize } from '../../src/core/subvolume-size';

const alice = { user: 'alice', home: '/home/alice' };
const choice = (kind: SourceChoice['kind'], folders: string[] = [], nested: string[] = []): SourceChoice => ({ kind, folders, nested });

const home: SubvolumeSize = { path: '/home', subvolume: true, found: true, fsUuid: 'u', sizeBytes: 100 };
const root: SubvolumeSize = { path: '/', subvolume: true, found: true, fsUuid: 'u', sizeBytes: 5000 };
/** Alice's home, a plain folder in /home, with nothing else there. */
const aliceAlone: SubvolumeSize = { path: '/home/alice', subvolume: false, found: false, fsUuid: 'u', problem: 'not-subvolume', holder: '/home', others: [] };
/** … and with Bob's plain home beside it. */
const aliceWithBob: SubvolumeSize = { ...aliceAlone, others: ['/home/bob'] };
/** Alice's home set apart (a subvolume of its own). */
const aliceApart: SubvolumeSize = { path: '/home/alice', subvolume: true, found: false, nestedIn: '/home', fsUuid: 'u', sizeBytes: 40, owner: { user: 'alice' } };
/** Carol's home kept by systemd-homed as a subvolume. */
const carol: SubvolumeSize = { path: '/home/carol.homedir', subvolume: true, found: true, nestedIn: '/home', fsUuid: 'u', sizeBytes: 7, owner: { user: 'carol', realName: 'Carol' } };
/** Alice's own homed subvolume, and her home as mounted while she is logged in. */
const aliceHomed: SubvolumeSize = { ...carol, path: '/home/alice.homedir', owner: { user: 'alice' } };
const aliceMounted: SubvolumeSize = { path: '/home/alice', subvolume: true, found: false, fsUuid: 'u', owner: { user: 'alice' } };
/** A container store inside Alice's home. */
const store: SubvolumeSize = { path: '/home/alice/.local/share/containers', subvolume: true, found: true, nestedIn: '/home/alice', fsUuid: 'u', sizeBytes: 9 };
const notBtrfs: SubvolumeSize = { path: '/', subvolume: false, found: false, problem: 'not-btrfs' };
const gone: SubvolumeSize = { path: '/gone', subvolume: false, found: false, problem: 'missing' };

describe('what a choice backs up', () => {
  test.each([
    ['my home, a subvolume of its own', choice('my-home'), [home, aliceApart], [{ path: '/home/alice' }], true],
    ['my home, alone in /home: /home', choice('my-home'), [home, aliceAlone], [{ path: '/home' }], true],
    ['my home beside another home: not yet', choice('my-home'), [home, aliceWithBob], [], false],
    ['my home, not measured yet', choice('my-home'), null, [], false],
    ['my home kept by systemd-homed: its store, not the mount', choice('my-home'), [home, aliceMounted, aliceHomed], [{ path: '/home/alice.homedir' }], true],
    ['all homes: /home and each home kept apart', choice('all-homes'), [home, aliceWithBob, carol], [{ path: '/home' }, { path: '/home/carol.homedir' }], true],
    ['all homes, with a nested folder added', choice('all-homes', [], [store.path]), [home, aliceApart, store], [{ path: '/home' }, { path: '/home/alice' }, { path: store.path }], true],
    ['a nested folder counts only inside what is chosen', choice('folders', ['/home/carol.homedir'], [store.path]), [home, carol, store], [{ path: '/home/carol.homedir' }], true],
    ['the whole system', choice('system'), [root], [{ allSubvolumesOf: '/' }], true],
    ['the whole system, not on btrfs', choice('system'), [notBtrfs], [{ allSubvolumesOf: '/' }], false],
    ['folders: none picked', choice('folders'), [home], [], false],
    ['folders: one missing', choice('folders', ['/home', '/gone']), [home, gone], [{ path: '/home' }], false],
  ])('%s', (_name, c, listing, sources, ready) => {
    const plan = planSources(c, alice, listing);
    expect({ sources: plan.sources, ready: plan.ready }).toEqual({ sources: ready || sources.length > 0 ? sources : [], ready });
  });

  test('the whole system with a stand-in for its root: that folder, on btrfs or not, and read back as the whole system', () => {
    const standIn = { ...alice, systemRoot: '/tmp/sysroot' };
    const mounted: SubvolumeSize = { ...root, path: '/tmp/sysroot' };
    expect(planSources(choice('system'), standIn, [notBtrfs, mounted])).toMatchObject({ sources: [{ allSubvolumesOf: '/tmp/sysroot' }], ready: true });
    // The real root says nothing about the stand-in.
    expect(planSources(choice('system'), standIn, [root]).ready).toBe(false);
    expect(choiceOf([{ allSubvolumesOf: '/tmp/sysroot' }], standIn, [mounted])).toEqual(choice('system'));
    expect(choiceOf([{ allSubvolumesOf: '/tmp/sysroot' }], alice, [mounted]).kind).toBe('folders');
  });

  test('keeping the others apart is offered with their count while it is at most MAX_KEEP_OTHERS_APART', () => {
    const blocked = (others: string[], othersMore?: number) => planSources(choice('my-home'), alice, [home, { ...aliceAlone, others, ...(othersMore ? { othersMore } : {}) }]).folders[0];
    expect(othersToKeepApart(blocked(['/home/bob']))).toBe(1);
    // The listing names a few and counts the rest: offered all the same, with the whole count.
    expect(othersToKeepApart(blocked(['/home/bob', '/home/carol'], 38))).toBe(40);
    expect(othersToKeepApart(blocked(['/home/bob'], MAX_KEEP_OTHERS_APART - 1))).toBe(MAX_KEEP_OTHERS_APART);
    expect(othersToKeepApart(blocked(['/home/bob'], MAX_KEEP_OTHERS_APART))).toBeUndefined();
    // Nothing else there: /home is backed up as it is, nothing to offer.
    expect(othersToKeepApart(blocked([]))).toBeUndefined();
    // A folder not held by a subvolume (the top level) has no others to keep apart.
    expect(othersToKeepApart({ path: '/x', state: 'blocked', problem: 'not-subvolume' })).toBeUndefined();
  });

  test('files beside a folder cannot be kept apart: with no other folder there, the holder is backed up, files and all, and says how many', () => {
    const withFiles = { ...aliceAlone, filesBeside: 3 };
    expect(planSources(choice('my-home'), alice, [home, withFiles])).toEqual({
      folders: [{ path: '/home/alice', state: 'ok', source: '/home', filesBeside: 3 }],
      sources: [{ path: '/home' }],
      ready: true,
    });
    // Beside a folder too: the folder is what keeping the others apart is for, and the files are carried along for the words.
    const blocked = planSources(choice('my-home'), alice, [home, { ...aliceWithBob, filesBeside: 3 }]).folders[0];
    expect(blocked).toEqual({ path: '/home/alice', state: 'blocked', problem: 'not-subvolume', holder: '/home', others: ['/home/bob'], filesBeside: 3 });
    expect(othersToKeepApart(blocked)).toBe(1);
  });

  test('a folder beside others says what holds it and what else is there', () => {
    expect(planSources(choice('my-home'), alice, [home, aliceWithBob]).folders).toEqual([
      { path: '/home/alice', state: 'blocked', problem: 'not-subvolume', holder: '/home', others: ['/home/bob'] },
    ]);
  });
});

describe('the choice a configuration reads as', () => {
  test.each([
    ['my home', [{ path: '/home/alice' }], [home, aliceApart], choice('my-home')],
    ['my home with its container store', [{ path: '/home/alice' }, { path: store.path }], [home, aliceApart, store], choice('my-home', [], [store.path])],
    ['/home alone, holding only my home', [{ path: '/home' }], [home, aliceAlone], choice('my-home')],
    ['all homes', [{ path: '/home' }, { path: '/home/carol.homedir' }], [home, aliceWithBob, carol], choice('all-homes')],
    ['the whole system', [{ allSubvolumesOf: '/' }], [root], choice('system')],
    ['other folders', [{ path: '/srv' }], [home, aliceWithBob], choice('folders', ['/srv'])],
    ['before the sizes are known', [{ path: '/home' }], null, choice('folders', ['/home'])],
  ])('%s', (_name, sources, listing, expected) => {
    expect(choiceOf(sources, alice, listing)).toEqual(expected);
  });
});

describe('a folder typed by a person', () => {
  test.each([
    ['~/Documents', '/home/alice/Documents'],
    ['~', '/home/alice'],
    ['Documents/', '/home/alice/Documents'],
    ['  /srv//data/./x/ ', '/srv/data/x'],
    ['/', '/'],
    ['/home/../etc', undefined],
    ['~bob/x', undefined],
    ['', undefined],
  ])('%s', (text, folder) => {
    expect(typedFolder(text, '/home/alice')).toBe(folder);
  });
});

describe('subvolumes found inside a folder', () => {
  test.each([
    ['home/alice/.local/share/containers', true],
    ['home/carol.homedir', true],
    ['home/alice/.local/share/containers/storage/btrfs/subvolumes/3f2a', false],
    ['var/lib/docker/btrfs/subvolumes/ab12', false],
    ['home/alice/..cache.rewind-new', false],
    ['home/alice/.Downloads.rewind-old', false],
  ])('%s is offered: %s', (below, offered) => {
    expect(isOfferedNested(below)).toBe(offered);
  });
});
