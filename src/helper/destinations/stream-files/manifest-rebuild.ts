import { Attribute, Command } from '../../../core/send-stream/format';
import type { SendCommand } from '../../../core/send-stream/parser';
import { parseSnapshotName } from '../../../core/snapshot-name';
import { chainTo } from '../../../core/stream-chains';
import { streamsOfParts, type StreamEntry, type StreamPart } from '../../../core/stream-manifest';
import { isWrongKey, type ChainReader } from './chain-reader';
import type { StreamStore } from './stream-store';

/**
 * What can be recovered of a folder's backups once its list is lost or
 * damaged. Each stream carries what the list said about it: its name and
 * kind are in its file names (src/core/stream-manifest), the subvolume's
 * UUID and, for an incremental, its parent's UUID in its first command.
 * A stream is listed again only when every part is there, it decodes to
 * its end with every checksum right (a file damaged since it was written
 * must never become a parent again), and its chain leads to a full stream
 * that is listed too; anything else stays kept aside, untouched.
 */
export interface RebuiltStreams {
  streams: StreamEntry[];
  /** Encrypted streams were left out: this machine holds no key that opens them. */
  lockedOut: boolean;
  /** The key's public half, when encrypted streams were read with it. */
  recipient?: string;
}

/** The machine's own key for a destination: the file `age -d -i` takes, and its public half. */
export interface OwnKey {
  file: string;
  recipient: string;
}

export async function rebuildStreams(store: StreamStore, reader: ChainReader, dirName: string, key: OwnKey | undefined): Promise<RebuiltStreams> {
  const identity = key?.file;
  const found: StreamEntry[] = [];
  let lockedOut = false;
  for (const candidate of streamsOfParts(await store.files(dirName))) {
    if (candidate.encrypted && !identity) {
      lockedOut = true;
      continue;
    }
    const parts = await hashedParts(store, dirName, candidate.files);
    if (!parts) continue;
    const entry = await readEntry(reader, dirName, { name: candidate.name, kind: candidate.kind, encrypted: candidate.encrypted, parts }, identity);
    if (entry === 'wrong key') lockedOut = true;
    else if (entry) found.push(entry);
  }
  // One stream per UUID (the oldest), and only whole chains: a stream whose parent is not among them cannot be restored.
  const byUuid = new Map<string, StreamEntry>();
  for (const stream of found.sort((a, b) => a.created.localeCompare(b.created))) if (!byUuid.has(stream.receivedUuid)) byUuid.set(stream.receivedUuid, stream);
  const unique = [...byUuid.values()];
  return { streams: unique.filter((s) => chainTo(unique, s) !== undefined), lockedOut, ...(key ? { recipient: key.recipient } : {}) };
}

/** Each part's size and SHA-256 as it is now, or undefined when one cannot be read. */
async function hashedParts(store: StreamStore, dirName: string, files: readonly string[]): Promise<StreamPart[] | undefined> {
  const sizes = await store.sizes(dirName, files);
  const parts: StreamPart[] = [];
  for (const file of files) {
    const size = sizes.get(file);
    if (size === undefined) return undefined;
    const hashed = await store.hashFile(dirName, file, size);
    if ('error' in hashed || hashed.size !== size) return undefined;
    parts.push({ file, size, sha256: hashed.sha256 });
  }
  return parts;
}

/** The list's entry for a stream that decodes whole, from its first command; 'wrong key' when this machine's key does not open it; undefined for anything else. */
async function readEntry(
  reader: ChainReader,
  dirName: string,
  candidate: { name: string; kind: StreamEntry['kind']; encrypted: boolean; parts: StreamPart[] },
  identity: string | undefined,
): Promise<StreamEntry | 'wrong key' | undefined> {
  const created = parseSnapshotName(candidate.name.replace(/_\d+$/, ''));
  if (!created) return undefined;
  let first: { type: number; uuid?: string; parentUuid?: string } | undefined;
  const onCommand = (command: SendCommand): void => {
    first ??= { type: command.type, uuid: command.uuid(Attribute.Uuid), parentUuid: command.uuid(Attribute.CloneUuid) };
  };
  const placeholder = '00000000-0000-0000-0000-000000000000';
  const provisional: StreamEntry = {
    ...candidate,
    snapshotUuid: placeholder,
    receivedUuid: placeholder,
    created: created.toISOString(),
    streamBytes: 0,
    compression: 'zstd',
  };
  const decoded = await reader.decodeStream(dirName, provisional, identity, onCommand);
  if (decoded.problem && candidate.encrypted && isWrongKey(decoded.problem)) return 'wrong key';
  if (decoded.problem || !first?.uuid) return undefined;
  const full = first.type === Command.Subvol;
  if (full !== (candidate.kind === 'full') || (!full && (first.type !== Command.Snapshot || !first.parentUuid))) return undefined;
  return {
    ...provisional,
    // Rewind sends snapshots made here, which have no received UUID: the stream's UUID is the snapshot's own.
    snapshotUuid: first.uuid,
    receivedUuid: first.uuid,
    ...(full ? {} : { parentUuid: first.parentUuid }),
    streamBytes: decoded.bytes,
  };
}
