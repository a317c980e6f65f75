import { describe, expect, test } from '@jest/globals';
import { leaveOutCandidates, leaveOutChanges, leaveOutState, leftOutNow } from '../../src/core/leave-out';
import type { SubvolumeSize } from '../../src/core/subvolume-size';

const home = '/home/alice';
const candidates = leaveOutCandidates(home, `${home}/Téléchargements`);
const folder = (path: string): SubvolumeSize => ({ path, subvolume: false, found: false, fsUuid: 'u', problem: 'not-subvolume', holder: home, others: [] });
const apart = (path: string): SubvolumeSize => ({ path, subvolume: true, found: true, fsUuid: 'u', nestedIn: home, sizeBytes: 1 });
const missing = (path: string): SubvolumeSize => ({ path, subvolume: false, found: false, problem: 'missing' });

const cache = `${home}/.cache`;
const trash = `${home}/.local/share/Trash`;
const downloads = `${home}/Téléchargements`;
const boxes = `${home}/.local/share/gnome-boxes/images`;
const containers = `${home}/.local/share/containers`;

describe('folders to leave out', () => {
  test('are offered with Downloads in the person’s language, unticked', () => {
    expect(candidates.map((c) => [c.id, c.path, c.byDefault])).toEqual([
      ['cache', cache, true],
      ['trash', trash, true],
      ['downloads', downloads, false],
      ['vm-images', boxes, true],
      ['containers', containers, true],
    ]);
  });

  test.each([
    ['not measured', null, [], 'absent'],
    ['missing', [missing(cache)], [], 'absent'],
    ['a plain folder', [folder(cache)], [], 'included'],
    ['set apart by Rewind', [apart(cache)], [cache], 'set-apart'],
    ['a subvolume of someone else’s', [apart(cache)], [], 'apart'],
  ] as const)('state: %s', (_name, listing, exclude, state) => {
    expect(leaveOutState(cache, listing, exclude)).toBe(state);
  });

  const listing = [folder(cache), apart(trash), folder(downloads), apart(containers), missing(boxes)];
  test('first offered: the defaults that are there, and what is apart already', () => {
    expect(leftOutNow(candidates, listing, [trash], [], true)).toEqual([cache, trash, containers]);
    // Later (Preferences), a plain folder is backed up until the person says otherwise.
    expect(leftOutNow(candidates, listing, [trash], [], false)).toEqual([trash, containers]);
    // A subvolume chosen as a source is not left out.
    expect(leftOutNow(candidates, listing, [trash], [containers], false)).toEqual([trash]);
  });

  test('changes: set apart, join again, or back up what is apart', () => {
    const none = { setApart: [], joinAgain: [], backUpApart: [], excludeApart: [], excludeNoMore: [] };
    expect(leaveOutChanges(candidates, [cache, downloads], listing, [trash])).toEqual({ ...none, setApart: [cache, downloads], joinAgain: [trash], backUpApart: [containers] });
    expect(leaveOutChanges(candidates, [trash, containers], listing, [trash])).toEqual(none);
  });

  describe('the whole system, which backs up every subvolume unless excluded', () => {
    const none = { setApart: [], joinAgain: [], backUpApart: [], excludeApart: [], excludeNoMore: [] };
    test('a subvolume ticked to leave out goes into exclude, with nothing changed on the disk', () => {
      // The container store is a subvolume already: ticking it must exclude it, or every backup of the system holds it.
      expect(leaveOutChanges(candidates, [containers], listing, [], true)).toEqual({ ...none, excludeApart: [containers] });
      expect(leaveOutChanges(candidates, [cache, containers], listing, [], true)).toEqual({ ...none, setApart: [cache], excludeApart: [containers] });
    });
    test('a subvolume unticked leaves exclude and stays a subvolume, whoever made it', () => {
      expect(leaveOutChanges(candidates, [], listing, [trash, containers], true)).toEqual({ ...none, excludeNoMore: [trash, containers] });
      // Already as wanted: nothing to do.
      expect(leaveOutChanges(candidates, [trash, containers], listing, [trash, containers], true)).toEqual(none);
      expect(leaveOutChanges(candidates, [], listing, [], true)).toEqual(none);
    });
    test('a subvolume not excluded is backed up, so it is shown included (ticked only in a first setup, by default)', () => {
      expect(leftOutNow(candidates, listing, [], ['/'], false, true)).toEqual([]);
      expect(leftOutNow(candidates, listing, [containers], ['/'], false, true)).toEqual([containers]);
      expect(leftOutNow(candidates, listing, [], ['/'], true, true)).toEqual([cache, trash, containers]);
      // The same subvolume in a home choice is left out without being excluded.
      expect(leftOutNow(candidates, listing, [], ['/home'], false, false)).toEqual([trash, containers]);
    });
  });
});
