import * as z from 'zod';
import type { BrowseEntry } from './browse-request';
import { parseJsonRequest, pointFields, relativePath } from './restore-request';
import type { ErrorReport } from './status';

/**
 * What one path was in several restore points of one backed-up folder
 * (D-Bus ListVersions): the previous versions of a file or folder
 * (./file-versions) read in one call for many moments, instead of one
 * ListFolder (a polkit check, the point opened, a process) for each. Each
 * point is read as ListFolder reads, as the caller; the answer has one look
 * per point, in the order asked.
 */
export const LIST_VERSIONS_MAX = 50;

export const listVersionsSchema = z.strictObject({
  source: pointFields.source,
  /** Relative to the backed-up folder; "" for the folder itself. */
  path: z.union([z.literal(''), relativePath]),
  points: z
    .array(z.strictObject({ from: pointFields.from, snapshot: pointFields.snapshot }))
    .min(1)
    .max(LIST_VERSIONS_MAX),
});

export type ListVersionsRequest = z.infer<typeof listVersionsSchema>;
export type ListVersionsInput = z.input<typeof listVersionsSchema>;
export const parseListVersionsRequest = (json: string): ListVersionsRequest => parseJsonRequest(listVersionsSchema, json);

/**
 * What one point had at the path: the entry (and, for a folder, what it
 * holds directly); nothing there (or its folder not there, or a link on the
 * way); or why it could not be read (the caller may not read it then, a
 * fetch failed).
 */
export type PointLook = { kind: 'present'; entry: BrowseEntry; items?: BrowseEntry[] } | { kind: 'absent' } | { kind: 'unreadable'; error: ErrorReport };

export interface VersionsListing {
  path: string;
  looks: PointLook[];
}
