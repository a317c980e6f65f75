import * as z from 'zod';
import { isFoundId } from '../discovery';
import { parseJsonRequest, pointFields } from '../restore-request';

/**
 * RestoreHome: a whole folder (the home folders) brought back from backups
 * found with no configuration (./discovery), as a subvolume that takes the
 * current one's place from the next start; the current one is kept under
 * another name. Where it goes is the helper's decision (the folder it was on
 * the old computer, on this one), never a path from the caller.
 */
export const restoreHomeSchema = z.strictObject({
  from: z.string().refine(isFoundId, 'must be the id of backups found by DiscoverBackups'),
  snapshot: pointFields.snapshot,
  /** Which backed-up folder ("/home" by default). */
  source: pointFields.source,
  recoveryKey: pointFields.recoveryKey,
});

export type RestoreHomeRequest = z.infer<typeof restoreHomeSchema>;
export type RestoreHomeInput = z.input<typeof restoreHomeSchema>;

export interface RestoreHomeResult {
  /** The folder on this computer that has the restored files from the next start. */
  folder: string;
  /** The restore point. */
  snapshot: string;
  /** What the folder held until now is kept (under another name on the same disk). */
  keptCurrent: boolean;
  /**
   * Folder (account) names of the old computer: whose files were given to
   * the account of the same name here (another number on this computer),
   * and whose keep the owner they had (no such account here, or it would
   * mix them with someone else's; root's folders are not named).
   */
  owners?: { given: string[]; kept: string[] };
}

/**
 * How far a running RestoreHome is (signal RestoreProgress): the bytes of
 * the backup read so far, and where the helper can tell, the fraction done,
 * the rate and the time left.
 */
export interface RestoreProgress {
  bytes: number;
  /** 0 to 1. */
  fraction?: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
}

export const parseRestoreHomeRequest = (json: string): RestoreHomeRequest => parseJsonRequest(restoreHomeSchema, json);

/**
 * KeepBackingUp: "Keep backing up to this disk" after a recovery; the found
 * entry becomes this computer's destination, and for encrypted backups the
 * recovery key becomes its key. The configuration is the helper's to make.
 */
export const keepBackingUpSchema = z.strictObject({
  from: restoreHomeSchema.shape.from,
  source: pointFields.source,
  recoveryKey: pointFields.recoveryKey,
});

export type KeepBackingUpRequest = z.infer<typeof keepBackingUpSchema>;
export type KeepBackingUpInput = z.input<typeof keepBackingUpSchema>;

export const parseKeepBackingUpRequest = (json: string): KeepBackingUpRequest => parseJsonRequest(keepBackingUpSchema, json);
