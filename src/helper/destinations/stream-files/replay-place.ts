import { execa } from 'execa';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../../core/errors';
import type { StreamEntry } from '../../../core/stream-manifest';
import { deleteSubvolumes, showSubvolume } from '../../system/btrfs';
import { StreamCutOff, StreamGuard, StreamRefused } from '../../serve/stream-guard';
import { receiverFilter } from '../../../core/xattrs-left-out';
import { SendStreamPipe } from '../../codec/send-stream-pipe';
import { localReceiverRules } from '../../system/selinux';
import { receiveComplaint } from '../../system/receive-output';

/**
 * Where a chain of stored streams is received: a folder on a btrfs
 * filesystem that no one else writes to — a new, empty scratch folder, or
 * the folder of a subvolume's snapshots, which hold only read-only
 * subvolumes (a received subvolume cannot be moved to another folder
 * afterwards: its ".." would change, and it is read-only). Each stream goes
 * through the stream guard (../../serve/stream-guard) into
 * `btrfs receive --chroot` there, so that even a stream the guard let
 * through can reach nothing outside the folder. A stream may create exactly
 * the subvolume its manifest entry names — that name, that UUID — based on
 * the chain's previous stream and nothing else; after each, the folder holds
 * what it held before and the chain's subvolumes, nothing else.
 */
/** What a stream must create: the backup's name and the Received UUID it gets. */
export type ExpectedBackup = Pick<StreamEntry, 'name' | 'receivedUuid'>;

export class ReplayPlace {
  private readonly received: string[] = [];
  /** The symbolic links of the chain's subvolume, carried from one stream to the next. */
  private links = new Set<string>();

  private constructor(
    readonly dir: string,
    /** What the folder held before, each entry by name and identity. */
    private readonly before: Map<string, string>,
  ) {}

  /** Takes `dir` (made when missing) as the place. */
  static async create(dir: string): Promise<ReplayPlace> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new Error(`${dir} is not a folder to replay backups into`);
    return new ReplayPlace(dir, await entriesOf(dir));
  }

  /** The names in the folder that were not there before (or are another file now). */
  private async added(): Promise<string[]> {
    const now = await entriesOf(this.dir);
    return [...now].filter(([name, id]) => this.before.get(name) !== id).map(([name]) => name);
  }

  /**
   * Receives one stream of the chain, `parent` being the stream before it.
   * Returns why it was refused or failed, or undefined when the subvolume
   * is here, read-only, with the UUID its entry names.
   */
  async receive(input: Readable, stream: ExpectedBackup, parent: ExpectedBackup | undefined): Promise<RewindError | undefined> {
    const links = new Set(this.links);
    const guard = chainGuard(stream, parent, links);
    const receive = execa('btrfs', ['receive', '-q', '-e', '-C', this.dir], { stdout: 'ignore', buffer: { stderr: true }, encoding: 'utf8', reject: false });
    this.received.push(stream.name);
    // What this machine's kernel refuses (a label its policy does not know, an invalid file capability) is left out:
    // restored files then get this machine's default labels, and the restore does not stop there.
    const filter = new SendStreamPipe({ xattrs: receiverFilter(localReceiverRules()) });
    const piped = await pipeline(input, guard, filter, receive.stdin!).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (piped) receive.kill('SIGKILL');
    const result = await receive;
    if (piped instanceof StreamRefused && !(piped instanceof StreamCutOff)) {
      return new RewindError('BackupDamaged', `${piped.message} Rewind's own backups never do this: the file was changed or made by someone else, and nothing of it was kept.`);
    }
    // btrfs receive that stopped on its own (a full disk, a name that exists) breaks the pipe: its own words say why.
    const receiveFailed = typeof result.exitCode === 'number' && result.exitCode !== 0;
    if (piped && !(receiveFailed && !(piped instanceof StreamCutOff))) {
      return new RewindError('BackupDamaged', `the stream ends early (${(piped as Error).message}).`);
    }
    if (receiveFailed) {
      const stderr = receiveComplaint(String(result.stderr ?? ''));
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
  private async check(stream: ExpectedBackup): Promise<string | undefined> {
    const extra = (await this.added()).filter((name) => !this.received.includes(name));
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

  /** Deletes what was received, and anything else that is new in the folder (after a failure). */
  async remove(): Promise<void> {
    const added = await this.added().catch(() => [] as string[]);
    for (const name of added) {
      const target = path.join(this.dir, name);
      const info = await lstat(target).catch(() => undefined);
      if (info?.isDirectory() && info.ino === 256) await deleteSubvolumes([target]).catch(() => undefined);
      // rm never follows a link; what a failed subvolume delete left goes too.
      await rm(target, { recursive: true, force: true }).catch(() => undefined);
    }
    this.received.length = 0;
  }
}

/**
 * The stream guard for one stream of a chain: the list's name and UUID,
 * the stream before it as the only parent, and the links the chain made so
 * far (`links`, updated as the stream makes, moves and removes them).
 */
export function chainGuard(stream: ExpectedBackup, parent: ExpectedBackup | undefined, links: Set<string>): StreamGuard {
  return new StreamGuard({
    name: stream.name,
    links,
    isOwnParent: (uuid) => (parent !== undefined && uuid === parent.receivedUuid ? undefined : 'The stream is based on a backup other than the one before it in the list.'),
    isNewUuid: (uuid) => (uuid === stream.receivedUuid ? undefined : `The stream holds the backup ${uuid}, not ${stream.receivedUuid} as the list says.`),
  });
}

async function entriesOf(dir: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (info) entries.set(name, `${info.dev}:${info.ino}`);
  }
  return entries;
}
