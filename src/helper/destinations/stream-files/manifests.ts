import { RewindError } from '../../../core/errors';
import { snapshotName } from '../../../core/snapshot-name';
import {
  damagedManifestName,
  emptyManifest,
  isOwnLeftover,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  parseManifest,
  serializeManifest,
  type StreamEntry,
  type StreamManifest,
} from '../../../core/stream-manifest';
import type { RebuiltStreams } from './manifest-rebuild';
import type { StreamStore } from './stream-store';

/**
 * The manifests of one destination's subvolume folders: read (a list that is
 * not ours is damaged, never guessed at), written after the files they name,
 * and the only authority on which files Rewind may delete there: files named
 * as Rewind names its parts that no manifest lists, and the parts of streams
 * taken out of it.
 */
export class Manifests {
  constructor(
    readonly store: StreamStore,
    /** Recovers what a damaged list named from the stream files themselves (./manifest-rebuild). */
    private readonly rebuild: (dirName: string) => Promise<RebuiltStreams>,
  ) {}

  async manifest(dirName: string): Promise<StreamManifest> {
    const file = `${this.store.where}/${this.store.host}/${dirName}/${MANIFEST_FILE}`;
    let text: string | undefined;
    try {
      text = await this.store.readText(dirName, MANIFEST_FILE);
    } catch (error) {
      if (error instanceof RewindError && error.code !== 'InvalidArgs') throw error;
      throw new RewindError('DestinationMissing', `The backup list ${file} cannot be read (${(error as Error).message}).`, { cause: error });
    }
    if (text === undefined) return emptyManifest(this.store.host, dirName);
    const version = listVersion(text);
    if (version !== undefined && version > MANIFEST_VERSION) {
      // Not damage: a newer Rewind's list is never set aside or overwritten by this one.
      throw new RewindError('TransferFailed', `The backup list ${file} was written by a newer version of Rewind (list version ${version}).`, {
        advice: 'Update Rewind on this computer to use these backups.',
      });
    }
    try {
      return parseManifest(text);
    } catch (error) {
      throw new RewindError('BackupDamaged', `The backup list ${file} is damaged: ${(error as Error).message}.`, { cause: error });
    }
  }

  async saveManifest(dirName: string, manifest: StreamManifest): Promise<void> {
    await this.store.writeText(dirName, MANIFEST_FILE, serializeManifest(manifest));
  }

  /**
   * Deletes what interrupted writes left: files named as Rewind names its
   * parts and temporary files that the manifest does not list, each only when
   * it is a plain file. Anything else in the folder is left alone. Returns
   * the names deleted.
   */
  async removeUnlisted(dirName: string, manifest?: StreamManifest): Promise<string[]> {
    const current = manifest ?? (await this.manifest(dirName));
    const listed = new Set([...current.streams.flatMap((s) => s.parts.map((p) => p.file)), ...(current.keptAside ?? [])]);
    const leftovers = (await this.store.files(dirName)).filter((f) => isOwnLeftover(f) && !listed.has(f));
    const removed: string[] = [];
    for (const file of leftovers) {
      const gone = await this.store.remove(dirName, file).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RewindError && error.code === 'BackupDamaged') return false;
          throw error;
        },
      );
      if (gone) removed.push(file);
    }
    return removed;
  }

  /**
   * The folder's list of backups; a damaged one is set aside (below), what
   * the stream files themselves still say is listed again, and the folder
   * goes on from there (with a new chain when nothing could be recovered),
   * `setAside` saying so in words: a damaged list must never stop every run
   * after it.
   */
  async usable(dirName: string): Promise<{ manifest: StreamManifest; setAside?: string }> {
    try {
      return { manifest: await this.manifest(dirName) };
    } catch (error) {
      if (!(error instanceof RewindError) || error.code !== 'BackupDamaged') throw error;
      const aside = await this.setAside(dirName, snapshotName(new Date()));
      const kept = aside.keptAs ? `it was kept as ${aside.keptAs}` : 'it could not be read at all';
      const recovered =
        aside.recovered > 0
          ? `${aside.recovered} of the backups were recovered from the backup files themselves and are listed again`
          : 'No backup could be recovered from the backup files, so a new chain of backups was started';
      const locked = aside.lockedOut ? ' Some encrypted backup files cannot be opened with the key this computer has for them now and were left out; the recovery key kept when encryption was switched on opens them.' : '';
      const setAside =
        `${error.detail} ${recovered}; ${kept}, and the ${aside.parts} backup files it could not account for were left as they are, ` +
        `for whatever can still be recovered from them by hand.${locked}`;
      return { manifest: aside.manifest, setAside };
    }
  }

  /**
   * Sets a damaged list aside, so that no run fails on it again: its text,
   * when it can be read at all, is kept as damaged-<stamp>.manifest.json;
   * the streams that can be read whole from the files are listed anew
   * (./manifest-rebuild), and every other part file stays where it is,
   * named in the new list as kept aside, so that the cleanup of leftovers
   * never deletes it. Returns the new list, the name the old one is kept
   * under (none when it could not be read), how many streams were
   * recovered and how many part files were kept aside.
   */
  async setAside(
    dirName: string,
    stamp: string,
  ): Promise<{ manifest: StreamManifest; keptAs?: string; recovered: number; parts: number; lockedOut: boolean }> {
    const keptAs = damagedManifestName(stamp);
    const text = await this.store.readText(dirName, MANIFEST_FILE).catch(() => undefined);
    if (text !== undefined) await this.store.writeText(dirName, keptAs, text);
    const rebuilt = await this.rebuild(dirName);
    const listed = new Set(rebuilt.streams.flatMap((s) => s.parts.map((p) => p.file)));
    const parts = (await this.store.files(dirName)).filter((f) => isOwnLeftover(f) && !f.startsWith('.') && !listed.has(f));
    const manifest: StreamManifest = {
      ...emptyManifest(this.store.host, dirName),
      ...(rebuilt.recipient && rebuilt.streams.some((s) => s.encrypted) ? { recipient: rebuilt.recipient } : {}),
      streams: rebuilt.streams,
      keptAside: [...(text !== undefined ? [keptAs] : []), ...parts],
    };
    await this.saveManifest(dirName, manifest);
    return { manifest, ...(text !== undefined ? { keptAs } : {}), recovered: rebuilt.streams.length, parts: parts.length, lockedOut: rebuilt.lockedOut };
  }

  /** Takes streams out of the manifest first, then deletes their files: a crash in between leaves only unlisted files. */
  async removeStreams(dirName: string, streams: readonly StreamEntry[]): Promise<void> {
    if (streams.length === 0) return;
    const manifest = await this.manifest(dirName);
    const gone = new Set(streams.map((s) => s.receivedUuid));
    await this.saveManifest(dirName, { ...manifest, streams: manifest.streams.filter((s) => !gone.has(s.receivedUuid)) });
    for (const stream of streams) for (const part of stream.parts) await this.store.remove(dirName, part.file).catch(() => undefined);
  }
}

/** The "version" a list's text gives, when it is JSON with a numeric one. */
function listVersion(text: string): number | undefined {
  try {
    const version = (JSON.parse(text) as { version?: unknown } | null)?.version;
    return typeof version === 'number' ? version : undefined;
  } catch {
    return undefined;
  }
}
