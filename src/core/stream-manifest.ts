import * as z from 'zod';

/**
 * The manifest of one subvolume's stream-file backups
 * (<folder>/<host>/<subvolume>/manifest.json), version 1.
 *
 * A stream is a backup only once the manifest lists it: the data files are
 * written and flushed first, the manifest is replaced atomically after them.
 * A file the manifest does not list (an interrupted write) is never read as a
 * backup; the next run deletes it. The manifest comes from a disk anyone may
 * have handled, so every field is checked before it is used, and file names
 * may not leave the folder.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Names Rewind gives its files: safe on vfat and exFAT, no folder parts. */
export const STREAM_FILE_NAME = /^[0-9A-Za-z][0-9A-Za-z._-]{0,200}$/;

const uuid = z.string().regex(UUID, 'must be a UUID');

/** How Rewind names a stream's part files ("<snapshot>.<full|incr>.btrfs.zst[.age].<nnn>", see partFileName). */
const PART_FILE = /^(\d{8}T\d{6}Z(?:_\d+)?)\.(full|incr)\.btrfs\.zst(\.age)?\.(\d{3,})$/;

const partSchema = z.strictObject({
  // Only a name Rewind gives a part: a list that names its own file, or another, as a part is not ours.
  file: z.string().regex(PART_FILE, 'must be the name of a part file'),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
});

const streamSchema = z.strictObject({
  /** The snapshot's name, its time (src/core/snapshot-name). */
  name: z.string().regex(STREAM_FILE_NAME, 'must be a snapshot name'),
  kind: z.enum(['full', 'incremental']),
  /** UUID of the snapshot at the source, which parent choice pairs with. */
  snapshotUuid: uuid,
  /** The UUID in the stream: what a receive of it sets as Received UUID. */
  receivedUuid: uuid,
  /** For an incremental: the receivedUuid of the stream it applies on. */
  parentUuid: uuid.optional(),
  created: z.iso.datetime(),
  /** Bytes of the send stream itself, before compression. */
  streamBytes: z.number().int().min(0),
  compression: z.literal('zstd'),
  encrypted: z.boolean(),
  /** The stored file in parts (vfat holds at most 4 GiB per file), in order. */
  parts: z.array(partSchema).min(1),
});

export const manifestSchema = z.strictObject({
  version: z.literal(MANIFEST_VERSION),
  host: z.string().min(1),
  subvolume: z.string().min(1),
  /** The age recipient the encrypted streams are for, so a wrong key is named before any work. */
  recipient: z.string().regex(/^age1[0-9a-z]{20,}$/).optional(),
  streams: z.array(streamSchema),
  /**
   * Files of a damaged list set aside (the list itself, kept under another
   * name, and the parts it may have named): kept as they are, never deleted
   * as leftovers, so that whatever they still hold can be recovered by hand.
   */
  keptAside: z.array(z.string().regex(STREAM_FILE_NAME, 'must be a plain file name')).optional(),
});

export type StreamManifest = z.infer<typeof manifestSchema>;
export type StreamEntry = StreamManifest['streams'][number];
export type StreamPart = StreamEntry['parts'][number];

export function emptyManifest(host: string, subvolume: string): StreamManifest {
  return { version: MANIFEST_VERSION, host, subvolume, streams: [] };
}

/** Parses a manifest's text; the error says which field is wrong. */
export function parseManifest(text: string): StreamManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`it is not JSON (${(error as Error).message})`, { cause: error });
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${issue.path.join('.') || 'the manifest'}: ${issue.message}`);
  }
  const names = new Set<string>();
  for (const stream of result.data.streams) {
    for (const part of stream.parts) {
      if (names.has(part.file)) throw new Error(`the file ${part.file} is listed twice`);
      names.add(part.file);
    }
  }
  return result.data;
}

export function serializeManifest(manifest: StreamManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}


/**
 * Whether `name` is a file Rewind may have left unfinished in a subvolume's
 * folder: a part (written under a temporary name first) or a manifest's
 * temporary file. Only such names are cleaned up when no manifest lists
 * them; anything else in the folder is someone else's and stays.
 */
export function isOwnLeftover(name: string): boolean {
  const temp = /^\.(.+)\.partial$/.exec(name);
  if (temp) return PART_FILE.test(temp[1]);
  if (/^\.(damaged-\d{8}T\d{6}Z\.)?manifest\.json\.\d+\.tmp$/.test(name)) return true;
  return PART_FILE.test(name);
}

/** The name a damaged manifest is kept under, set aside at `stamp` (a snapshot-style UTC time). */
export function damagedManifestName(stamp: string): string {
  return `damaged-${stamp}.${MANIFEST_FILE}`;
}

/** The file name of part `index` of a stream: "<name>.<full|incr>.zst[.age].<nnn>". */
export function partFileName(entry: Pick<StreamEntry, 'name' | 'kind' | 'encrypted'>, index: number): string {
  return `${entry.name}.${entry.kind === 'full' ? 'full' : 'incr'}.btrfs.zst${entry.encrypted ? '.age' : ''}.${String(index).padStart(3, '0')}`;
}

/** A stream as its part files name it: what a lost list can be rebuilt from. */
export interface NamedStream {
  name: string;
  kind: StreamEntry['kind'];
  encrypted: boolean;
  /** Its part files, in order, numbered from 000 without a gap. */
  files: string[];
}

/**
 * The streams that a folder's file names describe (see partFileName), each
 * with its parts in order; a stream whose numbering has a gap, or does not
 * start at 000, is left out: it cannot be read whole.
 */
export function streamsOfParts(files: readonly string[]): NamedStream[] {
  const streams = new Map<string, NamedStream & { numbered: Map<number, string> }>();
  for (const file of files) {
    const match = PART_FILE.exec(file);
    if (!match) continue;
    const [, name, kind, encrypted, index] = match;
    const key = `${name}.${kind}.${encrypted ? 'age' : ''}`;
    if (!streams.has(key)) streams.set(key, { name, kind: kind === 'full' ? 'full' : 'incremental', encrypted: Boolean(encrypted), files: [], numbered: new Map() });
    streams.get(key)!.numbered.set(Number(index), file);
  }
  const whole: NamedStream[] = [];
  for (const { numbered, ...stream } of streams.values()) {
    const files = [...Array(numbered.size).keys()].map((i) => numbered.get(i));
    if (files.every((f) => f !== undefined)) whole.push({ ...stream, files: files as string[] });
  }
  return whole;
}
