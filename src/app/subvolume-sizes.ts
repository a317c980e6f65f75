import type { SubvolumeSize } from '../core/subvolume-size';
import type { Failure, HelperClient } from './helper-client';
import { trace } from './trace';

/**
 * ListSubvolumes for what to back up (src/app/what): the mounted subvolumes,
 * `paths`, and the subvolumes inside them, with sizes. Sizes are a help, not
 * a step: a failure leaves them out (null) and prints why for the tests.
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
