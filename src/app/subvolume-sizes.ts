import GLib from 'gi://GLib';
import type { SubvolumeSize } from '../core/subvolume-size';
import type { Failure, HelperClient } from './helper-client';
import { _ } from './i18n';
import { trace } from './trace';
import { isPlainText } from '../core/plain-text';

/**
 * ListSubvolumes for the What page and Preferences: the mounted subvolumes
 * and `paths`, with sizes. Sizes are a help, not a step: a failure leaves
 * them out (null) and prints why for the tests.
 */
export async function listSubvolumes(client: HelperClient, paths: string[]): Promise<SubvolumeSize[] | null> {
  try {
    const list = await client.callJson('ListSubvolumes', { paths });
    trace(`sizes ${list.map((s) => `${s.path}=${s.subvolume ? (s.sizeBytes ?? '?') : 'no'}`).join(' ')}`);
    return list;
  } catch (e) {
    trace(`sizes failed ${(e as Failure).code}`);
    return null;
  }
}

/** A folder's size line: "3.2 GB", "Measuring…", "Size not known", or why it cannot be backed up. */
export function describeSize(entry: SubvolumeSize | undefined, loading: boolean): { text: string; problem: boolean } {
  if (!entry) return { text: loading ? _('Measuring…') : '', problem: false };
  if (!entry.subvolume) {
    // The helper's reason names btrfs and subvolumes, for the CLI; the screen says it in the user's words.
    const why = entry.why && isPlainText(entry.why) ? entry.why : _('Rewind cannot back up this folder: it backs up folders it can take snapshots of, such as /home on Fedora.');
    return { text: why, problem: true };
  }
  if (entry.sizeBytes === undefined) return { text: _('Size not known: measuring it took too long'), problem: false };
  return { text: GLib.format_size(entry.sizeBytes), problem: false };
}
