import { execa } from 'execa';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../../core/errors';
import type { StreamEntry } from '../../../core/stream-manifest';
import { deleteSubvolumes, showSubvolume } from '../../system/btrfs';
import { StreamCutOff, StreamGuard, StreamRefused } from '../../serve/stream-guard';

/**
 * Where a chain of stored streams is received: a new, empty folder that no
 * one else writes to, on a btrfs filesystem. Each stream goes through the
 * stream guard (../../serve/stream-guard) into `btrfs receive --chroot` there,
 * so that even a stream the guard let through can reach nothing but this
 * folder. A stream may create exactly the subvolume its manifest entry names
 * — that name, that UUID — based on the chain's previous stream and nothing
 * else; after each, the folder holds only the chain's subvolumes.
 */
export class ReplayPlace {
  private readonly received: string[] = [];
  /** The symbolic links of the chain's subvolume, carried from one stream to the next. */
  private links = new Set<string>();

  private constructor(readonly dir: string) {}

  /** Takes `dir` (made when missing) as the place; it must be empty. */
  static async create(dir: string): Promise<ReplayPlace> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await lstat(dir);
    if (!info.isDirectory() || (await readdir(dir)).length > 0) throw new Error(`${dir} is not a new, empty folder to replay backups into`);
    return new ReplayPlace(dir);
  }

  /**
   * Receives one stream of the chain, `parent` being the stream before it.
   * Returns why it was refused or failed, or undefined when the subvolume
   * is here, read-only, with the UUID its entry names.
   */
  async receive(input: Readable, stream: StreamEntry, parent: StreamEntry | undefined): Promise<RewindError | undefined> {
    const links = new Set(this.links);
    const guard = new StreamGuard({
      name: stream.name,
      links,
      isOwnParent: (uuid) => (parent !== undefined && uuid === parent.receivedUuid ? undefined : 'The stream is based on a backup other than the one before it in the list.'),
      isNewUuid: (uuid) => (uuid === stream.receivedUuid ? undefined : `The stream holds the backup ${uuid}, not ${stream.receivedUuid} as the list says.`),
    });
    const receive = execa('btrfs', ['receive', '-q', '-e', '-C', this.dir], { stdout: 'ignore', buffer: { stderr: true }, encoding: 'utf8', reject: false });
    this.received.push(stream.name);
    const piped = await pipeline(input, guard, receive.stdin!).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (piped) receive.kill('SIGKILL');
    const result = await receive;
    if (piped instanceof StreamRefused && !(piped instanceof StreamCutOff)) {
      return new RewindError('BackupDamaged', `${piped.message} Rewind's own backups never do this: the file was changed or made by someone else, and nothing of it was kept.`);
    }
    if (piped) return new RewindError('BackupDamaged', `the stream ends early (${(piped as Error).message}).`);
    if (result.exitCode !== 0) {
      const stderr = String(result.stderr ?? '').replace(/^Chroot to .*\n?/gm, '').trim();
      if (/No space left on device/i.test(stderr)) {
        return new RewindError('DestinationFull', `the disk being restored onto ran out of space (${stderr}).`);
      }
      return new RewindError('TransferFailed', `${stderr || `btrfs receive ended with ${result.exitCode}`}.`);
    }
    const problem = await this.check(stream);
    if (problem) return new RewindError('BackupDamaged', problem);
    this.links = links;
    return undefined;
  }

  /** What is wrong with the place after `stream` was received, or undefined. */
  private async check(stream: StreamEntry): Promise<string | undefined> {
    const extra = (await readdir(this.dir)).filter((name) => !this.received.includes(name));
    if (extra.length > 0) return `the stream created ${extra.map((n) => JSON.stringify(n)).join(', ')} beside its backup.`;
    const shown = await showSubvolume(path.join(this.dir, stream.name)).catch(() => undefined);
    if (!shown) return `the stream did not create the backup ${stream.name}.`;
    if (shown.receivedUuid !== stream.receivedUuid) return `the backup ${stream.name} was not received completely.`;
    return undefined;
  }

  /** The path of the chain's last subvolume, the earlier ones deleted. */
  async keep(name: string): Promise<string> {
    const others = this.received.filter((n) => n !== name);
    await deleteSubvolumes(others.map((n) => path.join(this.dir, n)));
    this.received.splice(0, this.received.length, name);
    return path.join(this.dir, name);
  }

  /** Deletes what was received (after a failure). */
  async remove(): Promise<void> {
    const present = await readdir(this.dir).catch(() => [] as string[]);
    await deleteSubvolumes(present.map((n) => path.join(this.dir, n))).catch(() => undefined);
    this.received.length = 0;
  }
}
