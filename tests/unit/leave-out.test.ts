import { describe, expect, test } from '@jest/globals';
import { leaveOutCandidates, leaveOutChanges, leaveOutState, leftOutNow } from '../../src/core/leave-out';
import type { SubvolumeSize } from '../../src/core/subvolume-size';

const home = '/home/alice';
const candidates = leaveOutCandidates(home, `${home}/Téléchargements`);
const folder = (path: string): SubvolumeSize => ({ path, subvolume: false, found: false, fsUuid: 'u', problem: 'not-subvolume', holder: home, others: [] });
/** A subvolume another program made (a container store): Rewind never turns it into a folder. */
const apart = (path: string): SubvolumeSize => ({ path, subvolume: true, found: true, fsUuid: 'u', nestedIn: home, sizeBytes: 1 });
/** One Rewind made by keeping the folder apart (the helper's record). */
const madeApart = (path: string): SubvolumeSize => ({ ...apart(path), keptApartByRewind: true });
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
    ['set apart by Rewind', [madeApart(cache)], [cache], 'set-apart'],
    ['set apart by Rewind, not in exclude', [madeApart(cache)], [], 'set-apart'],
    ['a subvolume of someone else’s', [apart(cache)], [], 'apart'],
    // The whole system names subvolumes Rewind did not make in exclude: that does not make them Rewind's.
    ['someone else’s, in exclude', [apart(cache)], [cache], 'apart'],
  ] as const)('state: %s', (_name, listing, exclude, state) => {
    expect(leaveOutState(cache, listing, exclude)).toBe(state);
  });

  const listing = [folder(cache), madeApart(trash), folder(downloads), apart(containers), missing(boxes)];
  test('first offered: the defaults that are there, and what is apart already', () => {
    expect(leftOutNow(candidates, listing, [trash], [], true)).toEqual([cache, trash, containers]);
    // Later (Preferences), a plain folder is backed up until the person says otherwise.
    expect(leftOutNow(candidates, listing, [trash], [], false)).toEqual([trash, containers]);
    // A subvolume chosen as a source is not left out.
    expect(leftOutNow(candidates, listing, [trash], [containers], false)).toEqual([trash]);
  });

  test('changes: set apart, join again, or back up what is apart', () => {
    const none = { setApart: [], joinAgain: [], backUpApart: [], backUpNoMore: [], excludeApart: [], excludeNoMore: [] };
    expect(leaveOutChanges(candidates, [cache, downloads], listing, [trash])).toEqual({ ...none, setApart: [cache, downloads], joinAgain: [trash], backUpApart: [containers] });
    expect(leaveOutChanges(candidates, [trash, containers], listing, [trash])).toEqual(none);
  });

  describe('a subvolume Rewind did not make, left out under the whole system, then a home choice', () => {
    const none = { setApart: [], joinAgain: [], backUpApart: [], backUpNoMore: [], excludeApart: [], excludeNoMore: [] };
    test('is shown left out, and included again it is backed up on its own: never joined into a folder', () => {
      expect(leftOutNow(candidates, listing, [trash, containers], [home], false)).toEqual([trash, containers]);
      expect(leaveOutChanges(candidates, [trash], listing, [trash, containers], false, [home])).toEqual({ ...none, backUpApart: [containers] });
    });
    test('once a source of its own it is shown included, and ticked again it is a source no more', () => {
      expect(leftOutNow(candidates, listing, [trash], [home, containers], false)).toEqual([trash]);
      expect(leaveOutChanges(candidates, [trash], listing, [trash], false, [home, containers])).toEqual(none);
      expect(leaveOutChanges(candidates, [trash, containers], listing, [trash], false, [home, containers])).toEqual({ ...none, backUpNoMore: [containers] });
    });
    test('one Rewind made is joined again, and only while it is not a source of its own', () => {
      expect(leaveOutChanges(candidates, [], listing, [trash], false, [home, containers])).toEqual({ ...none, joinAgain: [trash] });
      expect(leaveOutChanges(candidates, [], listing, [trash], false, [home, trash, containers])).toEqual(none);
    });
  });

  describe('the whole system, which backs up every subvolume unless excluded', () => {
    const none = { setApart: [], joinAgain: [], backUpApart: [], backUpNoMore: [], excludeApart: [], excludeNoMore: [] };
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
