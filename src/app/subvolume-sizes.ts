import type { SubvolumeSize } from '../core/subvolume-size';
import type { Failure, HelperClient } from './helper-client';
import { trace } from './trace';

/**
 * ListSubvolumes for what to back up (src/app/what): the mounted subvolumes,
 * `paths`, and the subvolumes inside them, with sizes; or, when the helper
 * did not answer them, why (the Failure: the caller words it), printed for
 * the tests too.
 */
export async function listSubvolumes(client: HelperClient, paths: string[]): Promise<SubvolumeSize[] | Failure> {
  try {
    const list = await client.callJson('ListSubvolumes', { paths });
    trace(`sizes ${list.map((s) => `${s.path}=${s.subvolume ? (s.sizeBytes ?? '?') : 'no'}`).join(' ')}`);
    return list;
  } catch (e) {
    trace(`sizes failed ${(e as Failure).code}`);
    return e as Failure;
  }
}
