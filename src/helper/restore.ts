import { lstat, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { RewindError } from '../core/errors';
import { subvolumeDirName } from '../core/snapshot-name';
import { showSubvolume } from './btrfs';
import { loadConfig } from './config-file';
import { deviceOfFilesystem, mountTopLevel } from './mounts';
import { runCommand } from './run-command';

/**
 * Copies one file or folder out of a backup on a btrfs destination into a
 * folder, keeping content, mode, owner, times and xattrs. The restore UI and
 * per-user authorisation come later; this is the administrator's path.
 */
export interface RestoreRequest {
  configPath: string;
  runtimeDir: string;
  destination: string;
  snapshot: string;
  /** Path inside the backed-up subvolume, e.g. "alice/Documents/report.odt". */
  path: string;
  targetDir: string;
  source?: string;
}

function checkRelative(p: string): string {
  const normal = path.posix.normalize(p);
  if (p === '' || path.isAbsolute(p) || normal.split('/').includes('..') || normal === '.') {
    throw new RewindError('InvalidArgs', `The path to restore must be relative to the backed-up folder, without "..": ${JSON.stringify(p)}.`);
  }
  return normal;
}

export async function restorePath(request: RestoreRequest): Promise<string> {
  const relative = checkRelative(request.path);
  if (!/^[0-9]{8}T[0-9]{6}Z(_[0-9]+)?$/.test(request.snapshot)) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(request.snapshot)} is not the name of a backup.`);
  }
  const config = await loadConfig(request.configPath);
  const destination = config.destinations.find((d) => d.id === request.destination);
  if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${request.destination}" in the configuration.`);
  if (destination.kind !== 'btrfs') {
    throw new RewindError('InvalidArgs', `Restoring from the SSH destination "${request.destination}" is not possible yet; copy the file from the server's backup folder instead.`);
  }
  const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
  const source = config.sources.find((s) => s.path !== undefined && s.path === sourcePath);
  if (!source?.path) throw new RewindError('InvalidArgs', `${sourcePath ?? 'The source'} is not one of the backed-up folders; name one with --source.`);
  const device = await deviceOfFilesystem(destination.filesystem);
  if (!device) throw new RewindError('DestinationMissing', `The backup disk ${destination.label ?? destination.id} is not connected.`);

  const subvolume = await showSubvolume(source.path);
  const target = path.join(request.targetDir, path.basename(relative));
  if (await lstat(target).catch(() => undefined)) {
    throw new RewindError('InvalidArgs', `${target} already exists; choose another folder to restore into.`);
  }
  const mount = await mountTopLevel(device, request.runtimeDir, `restore-${destination.filesystem}`);
  try {
    const backup = path.join(mount.mountPoint, destination.path, config.hostName ?? hostname(), subvolumeDirName(subvolume.path), request.snapshot);
    const from = path.join(backup, relative);
    // Refuse anything whose real location is outside the backup (a symlink inside it).
    const real = await runCommand('realpath', ['-e', '--', from]).catch(() => {
      throw new RewindError('InvalidArgs', `${relative} is not in the backup ${request.snapshot}.`);
    });
    if (real !== from) throw new RewindError('InvalidArgs', `${relative} is reached through a link in the backup; restore the link's target instead.`);
    await mkdir(request.targetDir, { recursive: true });
    await runCommand('cp', ['-a', '--reflink=auto', '--no-dereference', '--', from, target]);
  } finally {
    await mount.release();
  }
  return target;
}
