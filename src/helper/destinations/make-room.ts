import { ADVICE, RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { noRoomMessage } from '../../core/space-notice';
import type { TransferRecord } from '../../core/status';
import type { JobProgress } from './backup-destination';

/**
 * The one make-room-and-retry loop of every destination: run the attempt;
 * when the destination is full, give up what the destination's own rule
 * names next (src/core/make-room.ts for received backups, rule 4 of
 * src/core/stream-chains.ts for stream files) and try again, until it fits
 * or nothing more may go.
 */
export interface RoomMaker<Victim> {
  /** What to remove next, or undefined when nothing may go. */
  next(): Promise<Victim | undefined>;
  /** Removes it; returns what the record names as removed for space. */
  remove(victim: Victim): Promise<string[]>;
  /** The space free once nothing more may go, for the failure's sentence; undefined when not known. */
  freeBytes?(): Promise<number | undefined>;
  /** A disk here, or a backup server (whose space someone else may look after): the failure's sentence says who can free space. */
  place?: 'disk' | 'server';
}

export async function retryUntilItFits<Victim>(
  name: string,
  record: TransferRecord,
  progress: JobProgress,
  attempt: () => Promise<void>,
  room: RoomMaker<Victim>,
): Promise<void> {
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (!(error instanceof RewindError) || error.code !== 'DestinationFull') throw error;
      const victim = await room.next();
      if (victim === undefined) {
        const free = await room.freeBytes?.().catch(() => undefined);
        // One sentence that says why and what to do: the code's own advice would repeat it.
        const removed = record.removedForSpace?.length ?? 0;
        throw new RewindError('DestinationFull', noRoomMessage(name, removed, free, room.place), {
          cause: error,
          advice: ADVICE.inDetail,
          reason: reason('no-room', { destination: name, removed, freeBytes: free, place: room.place ?? 'disk' }),
        });
      }
      progress({ phase: 'cleanup', bytes: 0 });
      record.removedForSpace = [...(record.removedForSpace ?? []), ...(await room.remove(victim))];
    }
  }
}
