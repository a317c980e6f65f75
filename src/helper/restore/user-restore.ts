import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ADVICE, RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { SNAPSHOT_DIR } from '../../core/ids';
import { asideName, specialBitsRemoved, type RestoreRequest, type RestoreResult, type RestoredItem } from '../../core/restore-request';
import { removeScratchFolder, scratchFolder } from '../system/btrfs';
import { loadConfig } from '../config/config-file';
import { MountSet } from '../system/mount-set';
import { resolveSource } from '../engine/sources';
import { openDestination } from '../destinations/open-destination';
import { isFoundId } from '../../core/discovery';
import { openFoundPoint } from '../recovery/found-point';
import { extractedPoint } from './extract-point';

/**
 * Restoring files for a user (D-Bus RestoreFiles). The helper finds the
 * restore point and opens its root folder; the copy then runs with the
 * caller's own user and groups (setpriv), reading through that open folder
 * (/proc/self/fd/3/…), so the kernel decides, with the snapshot's own owners
 * and modes, what the user may read, and the files written belong to the user
 * and land only where the user may write. When that is refused, the daemon
 * asks polkit for an administrator and runs the same steps as root
 * (`admin`): then symbolic links in the target folder's path are refused, and
 * files that would belong to root in someone's folder go to that folder's owner.
 * What the user restores never carries setuid, setgid or sticky bits (see
 * copyOut); the answer lists what lost them.
 *
 * Steps for each path: copy into a hidden temporary name beside the target;
 * move the current version, if any, aside as "name (before restore)"; move
 * the copy into place. `mv -T -n` renames links themselves, never through
 * them, and never replaces what appeared in the meantime.
 */
export interface RestoreCaller {
  uid: number;
  gid: number;
  admin: boolean;
}

/**
 * The copy as the user was refused: the daemon may ask for an administrator
 * and go on with `remaining`; `done` were restored as the user already.
 */
export class NeedsAdmin extends Error {
  done: RestoredItem[] = [];
  remaining: string[] = [];
  /** Where `done` lost setuid, setgid or sticky bits. */
  specialBitsRemoved: string[] = [];
}

interface Paths {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

function run(args: string[], caller: RestoreCaller, fd?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = caller.admin ? args : ['setpriv', `--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--init-groups', '--inh-caps=-all', '--', ...args];
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe', ...(fd === undefined ? [] : [fd])], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: -1, stdout, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stdout, stderr: stderr.trim() }));
  });
}

async function step(args: string[], caller: RestoreCaller, what: string, fd?: number): Promise<string> {
  const r = await run(args, caller, fd);
  if (r.code === 0) return r.stdout;
  if (!caller.admin && /Permission denied|Operation not permitted|Read-only file system/.test(r.stderr)) {
    throw new NeedsAdmin(`${what}: ${r.stderr}`);
  }
  throw new RewindError('TransferFailed', `${what} failed: ${r.stderr || `exit ${r.code}`}.`);
}

/** The folder the restore point's tree starts at, and how to put it away again. */
export async function openPoint(
  paths: Paths,
  request: Pick<RestoreRequest, 'from' | 'snapshot' | 'source' | 'recoveryKey'> & { paths?: readonly string[] },
  mounts: MountSet,
): Promise<{ root: string; sourcePath: string; done: () => Promise<void> }> {
  // Backups found with no configuration (after a reinstall): a configuration made in memory for them.
  if (isFoundId(request.from)) return openFoundPoint(paths, request, mounts);
  const config = await loadConfig(paths.configPath);
  const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
  if (!sourcePath || !config.sources.some((s) => s.path === sourcePath)) {
    throw new RewindError('InvalidArgs', `${sourcePath ?? 'The source'} is not one of the backed-up folders.`, { advice: ADVICE.chooseAgain });
  }
  const [source] = await resolveSource({ path: sourcePath }, mounts);
  const nothing = async () => undefined;
  if (request.from === 'local') {
    return { root: path.join(source.top, SNAPSHOT_DIR, source.dirName, request.snapshot), sourcePath, done: nothing };
  }
  const destination = config.destinations.find((d) => d.id === request.from);
  if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${request.from}" in the configuration.`, { advice: ADVICE.chooseAgain });
  const host = config.hostName ?? hostname();
  // A server's backup is received, and stream files are replayed, into a scratch folder on the source's filesystem.
  const scratch = scratchFolder(source.top);
  const done = () => removeScratchFolder(scratch);
  try {
    const opened = await openDestination(destination, host, mounts, paths.stateDir);
    const fetch = async () => {
      // From stream files, only the paths asked for (and the folders above them) are extracted, when they can be (./extract-point).
      const only = request.paths && (await extractedPoint(opened, paths.stateDir, source.dirName, request.snapshot, request.paths, async () => scratch));
      return only ?? opened.pointFolder(source.dirName, request.snapshot, async () => scratch);
    };
    const root = await fetch().finally(() => opened.close());
    return { root, sourcePath, done };
  } catch (error) {
    await done();
    throw error;
  }
}

// The copy as the user runs with umask 0, so that modes are the backup's (minus the special bits) as with `cp -a`.
// A fixed script: the arguments after it are cp's, passed as they are, never read by the shell.
const WITHOUT_UMASK = ['sh', '-c', 'umask 0 && exec "$@"', 'sh'];

/**
 * Copies `relative` out of the point (fd 3) to `temp`; answers which entries,
 * below `temp` ('' for itself), had setuid, setgid or sticky bits that the
 * copy left out. An administrator's copy is faithful. The user's is too when
 * nothing has such bits (found by `find` as the user, in the read-only point);
 * otherwise cp runs without preserving modes, so that it creates each file
 * with the backup's mode minus those bits and never sets them afterwards.
 * That copy loses ACLs, and a file capability or another security xattr the
 * user may not set fails it (then an administrator is asked).
 */
async function copyOut(rootFd: number, relative: string, temp: string, caller: RestoreCaller): Promise<string[]> {
  const source = `/proc/self/fd/3/${relative}`;
  const what = `Copying ${relative} out of the backup`;
  if (caller.admin) {
    await step(['cp', '-a', '--no-dereference', '--', source, temp], caller, what, rootFd);
    return [];
  }
  const special = await run(['find', source, '-perm', '/7000', '-printf', '%P\\0'], caller, rootFd);
  const found = special.stdout.split('\0').slice(0, -1);
  if (special.code === 0 && found.length === 0) {
    await step(['cp', '-a', '--no-preserve=ownership', '--no-dereference', '--', source, temp], caller, what, rootFd);
    return [];
  }
  await step([...WITHOUT_UMASK, 'cp', '-R', '--no-dereference', '--preserve=timestamps,links,xattr', '--', source, temp], caller, what, rootFd);
  // cp keeps a folder's sticky bit even so (mkdir takes it); it only limits who may delete there, and goes now.
  await step(['find', temp, '-type', 'd', '-perm', '-1000', '-exec', 'chmod', '--', '-t', '{}', '+'], caller, `Clearing the sticky bit in ${relative}`);
  return found;
}

async function restoreOne(rootFd: number, relative: string, target: string, caller: RestoreCaller): Promise<{ item: RestoredItem; stripped: string[] }> {
  const parent = path.dirname(target);
  const name = path.basename(target);
  if (caller.admin) {
    // As root, never through a link: the target folder must be exactly where it says.
    const real = await realpath(parent).catch(() => undefined);
    if (real !== undefined && real !== parent) {
      throw new RewindError('InvalidArgs', `${parent} is reached through a symbolic link; restore into the folder it points to instead.`, { advice: ADVICE.inDetail });
    }
  }
  await step(['mkdir', '-p', '--', parent], caller, `Making the folder ${parent}`);
  const temp = path.join(parent, `.${name}.rewind-restore-${randomBytes(4).toString('hex')}`);
  let stripped: string[];
  try {
    stripped = await copyOut(rootFd, relative, temp, caller);
  } catch (error) {
    await run(['rm', '-rf', '--', temp], caller);
    if (error instanceof RewindError && /No such file or directory/.test(error.message)) {
      throw new RewindError('InvalidArgs', `${relative} is not in this backup.`, { advice: ADVICE.chooseAgain, reason: reason('restore-not-in-backup', { name: relative }) });
    }
    throw error;
  }
  let keptAsideAs: string | undefined;
  try {
    if (await lstat(target).catch(() => undefined)) {
      keptAsideAs = path.join(parent, asideName(name, (candidate) => existsSync(path.join(parent, candidate))));
      await step(['mv', '-T', '-n', '--', target, keptAsideAs], caller, `Keeping the current ${name} aside`);
    }
    await step(['mv', '-T', '-n', '--', temp, target], caller, `Putting ${name} in place`);
    if (await lstat(temp).catch(() => undefined)) {
      throw new RewindError('TransferFailed', `Something new appeared at ${target} during the restore; the restored copy is at ${temp}.`, {
        reason: reason('restore-target-changed', { folder: parent }),
      });
    }
  } catch (error) {
    await run(['rm', '-rf', '--', temp], caller);
    throw error;
  }
  if (caller.admin) {
    // Never leave root's files in someone's folder: they get the folder's owner.
    const owner = await stat(parent);
    if (owner.uid !== 0) await step(['chown', '-R', '-h', '--from=0', `${owner.uid}:${owner.gid}`, '--', target], caller, `Giving ${name} to its folder's owner`);
  }
  // SELinux: labels for the new place, not the ones the backup had.
  if (existsSync('/sys/fs/selinux/enforce') && existsSync('/usr/sbin/restorecon')) await run(['restorecon', '-R', '-F', '--', target], { ...caller, admin: true });
  return { item: { path: relative, restoredTo: target, ...(keptAsideAs ? { keptAsideAs } : {}) }, stripped: stripped.map((below) => (below === '' ? target : path.join(target, below))) };
}

export async function restoreFiles(paths: Paths, request: RestoreRequest, caller: RestoreCaller): Promise<RestoreResult> {
  const mounts = MountSet.forReader(paths.runtimeDir, 'restore');
  let point: Awaited<ReturnType<typeof openPoint>> | undefined;
  try {
    point = await openPoint(paths, request, mounts);
    const handle = await open(point.root, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => {
      throw new RewindError('InvalidArgs', `There is no snapshot or backup ${request.snapshot} in ${request.from === 'local' ? 'the local snapshots' : request.from}.`, { advice: ADVICE.chooseAgain });
    });
    try {
      const restored: RestoredItem[] = [];
      const stripped: string[] = [];
      for (const [index, relative] of request.paths.entries()) {
        const target = 'original' in request.to ? path.join(point.sourcePath, relative) : path.join(request.to.folder, path.basename(relative));
        try {
          const one = await restoreOne(handle.fd, relative, target, caller);
          restored.push(one.item);
          stripped.push(...one.stripped);
        } catch (error) {
          if (error instanceof NeedsAdmin) {
            error.done = restored;
            error.remaining = request.paths.slice(index);
            error.specialBitsRemoved = stripped;
          }
          throw error;
        }
      }
      return { restored, as: caller.admin ? 'admin' : 'user', ...specialBitsRemoved(stripped) };
    } finally {
      await handle.close();
    }
  } finally {
    await point?.done();
    await mounts.releaseAll();
  }
}
