import * as z from 'zod';
import { parseJsonRequest } from '../restore-request';

/**
 * CheckBackups ("Check Backups Now"): a restore drill of every enabled
 * destination, or of the one named (src/helper/drill, docs/drills.md).
 * Without an argument, every enabled destination.
 */
export const checkBackupsSchema = z.strictObject({
  destination: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a destination id').optional(),
});

export type CheckBackupsRequest = z.infer<typeof checkBackupsSchema>;

export const parseCheckBackupsRequest = (json: string | undefined): CheckBackupsRequest => (json === undefined ? {} : parseJsonRequest(checkBackupsSchema, json));
