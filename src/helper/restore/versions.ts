import type { Config } from '../../core/config';
import { LISTING_FORMAT, parentOf, parseListing } from '../../core/browse-request';
import { errorReport, toRewindError } from '../../core/errors';
import type { ListVersionsRequest, PointLook, VersionsListing } from '../../core/versions-request';
import { loadConfig } from '../config/config-file';
import { MountSet } from '../system/mount-set';
import { fetchedPoints, needsFetching, openRoot, runAsCaller, walkFailure, walkTo, type BrowseCaller, type Paths } from './browse';
import { openPoint } from './user-restore';

/**
 * ListVersions: what one path was in each of several restore points, for
 * the previous versions of a file or folder. One call, one configuration
 * read and one set of mounts for all the points; each point is then read as
 * ListFolder reads it (./browse): its root opened as root, the walk to the
 * path's folder and the listing run as the caller, one name at a time,
 * refusing links on the way. Per point: `find ./NAME -maxdepth 1`, so the
 * entry itself and, for a folder, what it holds directly.
 * A point or a path that is not there is "absent" (ListFolder's
 * InvalidArgs); any other failure is that point's own, "unreadable", and
 * the other points are still read.
 */
export async function listVersions(paths: Paths, request: ListVersionsRequest, caller: BrowseCaller): Promise<VersionsListing> {
  const config = await loadConfig(paths.configPath);
  const mounts = MountSet.forReader(paths.runtimeDir, 'browse');
  try {
    const looks: PointLook[] = [];
    for (const point of request.points) {
      looks.push(await lookAt(paths, config, mounts, { ...point, ...(request.source ? { source: request.source } : {}) }, request.path, caller));
    }
    return { path: request.path, looks };
  } finally {
    await mounts.releaseAll();
  }
}

async function lookAt(paths: Paths, config: Config, mounts: MountSet, point: { from: string; snapshot: string; source?: string }, relative: string, caller: BrowseCaller): Promise<PointLook> {
  const read = async (root: string) => {
    const handle = await openRoot(root, point);
    try {
      return await look(handle.fd, relative, caller);
    } finally {
      await handle.close();
    }
  };
  try {
    if (needsFetching(config, point.from)) return await fetchedPoints.use(paths, point, (fetched) => read(fetched.root));
    return await read((await openPoint(paths, point, mounts)).root);
  } catch (e) {
    const error = toRewindError(e);
    return error.code === 'InvalidArgs' ? { kind: 'absent' } : { kind: 'unreadable', error: errorReport(error) };
  }
}

/** The path in one point's root (fd), as the caller sees it. */
async function look(fd: number, relative: string, caller: BrowseCaller): Promise<PointLook> {
  const folder = parentOf(relative);
  const start = relative === '' ? '.' : `./${relative.slice(folder === '' ? 0 : folder.length + 1)}`;
  const output = await runAsCaller(walkTo(folder, ['find', start, '-maxdepth', '1', '-printf', LISTING_FORMAT]), caller, [fd]);
  const listed = parseListing(output.stdout, relative);
  if (output.code !== 0) {
    // The walk to the folder failed (not there, a link, not readable), or find could not see or read the path itself.
    if (output.code !== 1 || !/^find: /m.test(output.stderr)) throw walkFailure(folder, output);
    if (listed.start === undefined) return { kind: 'absent' };
    throw walkFailure(relative, output);
  }
  if (listed.start === undefined) return { kind: 'absent' };
  return listed.start.kind === 'folder' ? { kind: 'present', entry: listed.start, items: listed.entries } : { kind: 'present', entry: listed.start };
}
