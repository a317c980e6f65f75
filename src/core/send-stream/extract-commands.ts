/**
 * The second reading of a chain for a restore without a replay (the first
 * is ./extract-plan): each command acts on the inode the first reading
 * found for it (by its place in its stream), and only the commands on the
 * planned inodes are kept:
 * - for a staged file, what its data needs, in order, as DataOps for the
 *   helper to carry out on one hidden file per inode (a clone copies from
 *   another staged file, which holds the source's data at that moment);
 * - for a wanted inode that is not a folder, its metadata (./node-meta), kept
 *   to the end, since the last command of the chain on it is what counts (the
 *   folders' was kept by the first reading, so that the streams that only
 *   touch the times of the folders above a file need not be read again).
 * A stream with no command on those inodes need not be read again
 * (`needs`). The caller makes sure the streams read are the very bytes the
 * first reading read (the helper checks every part's SHA-256 both times).
 *
 * Bounded: what is kept of metadata (./node-meta); a compressed extent may
 * not unpack to more than MAX_EXTENT_BYTES.
 */
import { Attribute, Command } from './format';
import type { SendCommand } from './parser';
import type { ChainSurvey } from './extract-plan';
import { MetaRecorder, type NodeMeta } from './node-meta';
import { StreamShapeError } from './tree-model';

/** btrfs compresses at most 128 KiB per extent; room for a larger future limit. */
export const MAX_EXTENT_BYTES = 4 * 1024 * 1024;

export type DataOp =
  | { kind: 'create'; id: number }
  | { kind: 'write'; id: number; offset: number; data: Uint8Array }
  | { kind: 'truncate'; id: number; size: number }
  /** Zeroes in [offset, offset+length) that lie inside the file (a punched hole). */
  | { kind: 'zero'; id: number; offset: number; length: number }
  /** The file is at least `size` bytes long (an allocation that did not keep the size). */
  | { kind: 'extend'; id: number; size: number }
  | { kind: 'clone'; id: number; offset: number; length: number; source: number; sourceOffset: number }
  /** Compressed data: unpacked to `unencodedLength` bytes, of which [unencodedOffset, +length) go to `offset`. */
  | { kind: 'encoded'; id: number; offset: number; compression: number; data: Uint8Array; unencodedLength: number; unencodedOffset: number; length: number };

const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

export class ChainExtraction {
  private readonly recorder = new MetaRecorder();
  /** The planned inodes that are not folders: their metadata comes from this reading (the folders' from the first). */
  private readonly entries: ReadonlySet<number>;
  private stream = -1;
  private place = 0;

  constructor(
    private readonly survey: Pick<ChainSurvey, 'acted' | 'cloneSources' | 'model'>,
    wanted: ReadonlySet<number>,
    private readonly staged: ReadonlySet<number>,
  ) {
    this.entries = new Set([...wanted].filter((id) => survey.model.typeOf(id) !== 'dir'));
  }

  /** The metadata of the planned inodes that are not folders. */
  get meta(): ReadonlyMap<number, NodeMeta> {
    return this.recorder.meta;
  }

  /** Whether the chain's stream `index` does anything to the planned files (folders: see ChainSurvey.folderMeta). */
  needs(index: number): boolean {
    return (this.survey.acted[index] ?? []).some((id) => this.entries.has(id) || this.staged.has(id));
  }

  /** The next commands are those of the chain's stream `index`, from its start. */
  begin(index: number): void {
    this.stream = index;
    this.place = 0;
  }

  /** One command; the data operations it needs, in order. */
  command(command: SendCommand): DataOp[] {
    const acted = this.survey.acted[this.stream];
    if (acted === undefined || this.place >= acted.length) throw new StreamShapeError('The stream has more commands than when it was first read.');
    const at = this.place++;
    const id = acted[at];
    if (id < 0) return [];
    const ops: DataOp[] = [];
    if (this.staged.has(id)) this.data(command, id, this.survey.cloneSources[this.stream].get(at), ops);
    if (this.entries.has(id)) this.recorder.record(id, command);
    return ops;
  }

  private data(command: SendCommand, id: number, source: number | undefined, ops: DataOp[]): void {
    switch (command.type) {
      case Command.Mkfile:
        ops.push({ kind: 'create', id });
        break;
      case Command.Write: {
        const data = command.get(Attribute.Data);
        if (data !== undefined) ops.push({ kind: 'write', id, offset: number(command, Attribute.FileOffset), data });
        break;
      }
      case Command.Truncate:
        ops.push({ kind: 'truncate', id, size: number(command, Attribute.Size) });
        break;
      case Command.Fallocate: {
        const mode = command.number(Attribute.FallocateMode) ?? 0;
        const offset = number(command, Attribute.FileOffset);
        const length = number(command, Attribute.Size);
        if (mode & FALLOC_FL_PUNCH_HOLE) ops.push({ kind: 'zero', id, offset, length });
        else if (!(mode & FALLOC_FL_KEEP_SIZE)) ops.push({ kind: 'extend', id, size: offset + length });
        // Space reserved beyond the end, size kept: nothing a reader of the file can see.
        break;
      }
      case Command.Clone:
        if (source === undefined) throw new StreamShapeError('A clone has no source file.');
        ops.push({
          kind: 'clone',
          id,
          offset: number(command, Attribute.FileOffset),
          length: number(command, Attribute.CloneLen),
          source,
          sourceOffset: number(command, Attribute.CloneOffset),
        });
        break;
      case Command.EncodedWrite: {
        const unencodedLength = number(command, Attribute.UnencodedLen);
        const unencodedOffset = number(command, Attribute.UnencodedOffset);
        const length = number(command, Attribute.UnencodedFileLen);
        if (unencodedLength > MAX_EXTENT_BYTES || unencodedOffset + length > unencodedLength) {
          throw new StreamShapeError(`A compressed extent claims ${unencodedLength} bytes, which no btrfs extent holds.`);
        }
        ops.push({
          kind: 'encoded',
          id,
          offset: number(command, Attribute.FileOffset),
          compression: command.number(Attribute.Compression) ?? 0,
          data: command.get(Attribute.Data) ?? new Uint8Array(0),
          unencodedLength,
          unencodedOffset,
          length,
        });
        break;
      }
    }
  }

}

function number(command: SendCommand, type: number): number {
  const value = command.number(type);
  if (value === undefined) throw new StreamShapeError(`A ${command.name} command lacks a value it needs.`);
  if (!Number.isSafeInteger(value)) throw new StreamShapeError(`A ${command.name} command has a value too large for any file.`);
  return value;
}
