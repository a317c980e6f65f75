import { describe, expect, test } from '@jest/globals';
import { planDestinationPrune, planLocalPrune, type PruneContext } from '../../src/core/prune-plan';
import { policyRules } from '../../src/core/retention-policy';
import type { Subvolume } from '../../src/core/subvolume';

// Daily snapshots of /home for ten days; retention keeps only the last 2 days.
const context: PruneContext = {
  rules: policyRules({ preset: 'custom', daily: 2 }),
  now: new Date('2026-11-10T12:00:00Z'),
  timeZone: 'UTC',
};
const snapshots: Subvolume[] = Array.from({ length: 10 }, (_, i) => ({
  id: 300 + i,
  path: `.rewind/home/202611${String(i + 1).padStart(2, '0')}T060000Z`,
  uuid: `s${i + 1}`,
  parentUuid: 'home',
  createdGeneration: 10 * (i + 1),
  readOnly: true,
}));
const backupOf = (s: Subvolume): Subvolume => ({ ...s, id: s.id + 100, uuid: `b-${s.uuid}`, parentUuid: undefined, receivedUuid: s.uuid, path: `host/home/${s.path.split('/').pop()}` });
const names = (list: Subvolume[]) => list.map((s) => s.path.split('/').pop());

describe('local pruning', () => {
  test('keeps what retention keeps, the newest, and each destination\'s next parent', () => {
    const usb = { id: 'usb', connected: true as const, backups: [backupOf(snapshots[0]), backupOf(snapshots[3])] };
    const decision = planLocalPrune(snapshots, [usb], context);
    expect(decision.skipped).toBeUndefined();
    const kept = decision.keep.map((k) => [k.subvolume.uuid, k.reasons]);
    expect(kept).toEqual([
      ['s4', ['next parent for usb']],
      ['s9', ['daily 2026-11-09']],
      ['s10', ['daily 2026-11-10', 'newest']],
    ]);
    expect(planLocalPrune(snapshots, [{ id: 'usb', connected: true, backups: [backupOf(snapshots[9])] }], context).keep.at(-1)?.reasons).toEqual([
      'daily 2026-11-10',
      'newest',
      'next parent for usb',
    ]);
    expect(names(decision.remove)).toHaveLength(7);
  });

  test('protects what a disconnected destination last received, from the history', () => {
    const decision = planLocalPrune(snapshots, [{ id: 'usb', connected: false, lastSentUuid: 's2' }], context);
    expect(decision.keep.map((k) => k.subvolume.uuid)).toEqual(['s2', 's9', 's10']);
  });

  test('deletes nothing when a disconnected destination\'s parent is unknown', () => {
    const decision = planLocalPrune(snapshots, [{ id: 'usb', connected: false }], context);
    expect(decision.skipped).toBe('destination usb is not connected');
    expect(decision.remove).toEqual([]);
  });

  test('keeps snapshots renamed by hand', () => {
    const renamed = { ...snapshots[1], path: '.rewind/home/before-upgrade' };
    const decision = planLocalPrune([snapshots[0], renamed, ...snapshots.slice(2)], [], context);
    expect(decision.keep.find((k) => k.subvolume.uuid === 's2')?.reasons).toEqual(['unknown name']);
  });
});

describe('destination pruning', () => {
  test('never removes the newest backup shared with the source, even if retention would', () => {
    const backups = snapshots.slice(0, 5).map(backupOf);
    // The source kept only s1..s3: s3 is the newest shared one, the next parent.
    const decision = planDestinationPrune(backups, snapshots.slice(0, 3), context);
    expect(decision.keep.map((k) => [k.subvolume.uuid, k.reasons])).toEqual([
      ['b-s3', ['next parent']],
      ['b-s4', ['daily 2026-11-04']],
      ['b-s5', ['daily 2026-11-05']],
    ]);
    expect(decision.remove.map((b) => b.uuid)).toEqual(['b-s1', 'b-s2']);
  });

  test('leaves incomplete backups alone', () => {
    const partial = { ...backupOf(snapshots[0]), readOnly: false };
    const decision = planDestinationPrune([partial, backupOf(snapshots[9])], snapshots, context);
    expect(decision.remove).toEqual([]);
    expect(decision.keep.map((k) => k.subvolume.uuid)).toEqual(['b-s10']);
  });
});

describe('a backup a drill found damaged', () => {
  const backups = snapshots.map(backupOf);
  const damaged = new Set(['b-s10']);

  test('is kept at the destination until a full backup has landed after it, and is no next parent', () => {
    const decision = planDestinationPrune(backups.slice(0, 10), snapshots, context, damaged);
    const kept = new Map(decision.keep.map((k) => [k.subvolume.uuid, k.reasons]));
    expect(kept.get('b-s10')).toContain('damaged, kept until a full backup has landed after it');
    expect([...kept.values()].flat()).not.toContain('next parent');
  });

  test('once a newer backup has landed, retention alone decides', () => {
    const later = { ...backupOf(snapshots[9]), uuid: 'b-new', receivedUuid: 's-new', createdGeneration: 1000, path: 'host/home/20261110T070000Z' };
    const old = { ...backups[1], uuid: 'b-old-damaged' };
    const decision = planDestinationPrune([backups[0], old, later], snapshots, { ...context, rules: policyRules({ preset: 'custom', daily: 1 }) }, new Set(['b-old-damaged']));
    expect(decision.remove.map((r) => r.uuid)).toContain('b-old-damaged');
  });

  test('locally, the snapshot it was made from is no next parent', () => {
    const usb = { id: 'usb', connected: true as const, backups: [backupOf(snapshots[3])], damaged: new Set(['b-s4']) };
    const decision = planLocalPrune(snapshots, [usb], context);
    expect(decision.keep.flatMap((k) => k.reasons)).not.toContain('next parent for usb');
  });
});
