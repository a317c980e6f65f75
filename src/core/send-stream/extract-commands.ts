/**
 * The second reading of a chain for a restore without a replay (the first
 * is ./extract-plan): the same survey runs again, so each command resolves
 * to the same inode, and only the commands on the planned inodes are kept:
 * - for a staged file, what its data needs, in order, as DataOps for the
 *   helper to carry out on one hidden file per inode (a clone copies from
 *   another staged file, which holds the source's data at that moment);
 * - for a wanted inode, its metadata, kept here to the end (owner, mode,
 *   times, xattrs, a link's target, a device's number), since the last
 *   command of the chain on it is what counts.
 * At the end the plan is made again from this reading's tree: a chain whose
 * files changed between the two readings gives another plan and is refused.
 *
 * Bounded: what is kept in memory (xattrs, link targets) may not exceed
 * MAX_KEPT_BYTES; a compressed extent may not unpack to more than
 * MAX_EXTENT_BYTES.
 */
import { Attribute, Command } from './format';
import type { SendCommand, Timespec } from './parser';
import { ChainSurvey, type ExtractPlan } from './extract-plan';
import { StreamShapeError, latin1 } from './tree-model';

export const MAX_KEPT_BYTES = 64 * 1024 * 1024;
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

export interface NodeMeta {
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
  /** Name (latin1) to value. */
  xattrs: Map<string, Uint8Array>;
  /** A symlink's target. */
  target?: Uint8Array;
  /** A device's number, as send encodes it (new_encode_dev). */
  rdev?: number;
}

const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

export class ChainExtraction {
  readonly survey = new ChainSurvey();
  readonly meta = new Map<number, NodeMeta>();
  private kept = 0;

  constructor(
    private readonly wanted: ReadonlySet<number>,
    private readonly staged: ReadonlySet<number>,
  ) {}

  /** One command; the data operations it needs, in order. */
  command(command: SendCommand): DataOp[] {
    const { id, source } = this.survey.command(command);
    if (id === undefined) return [];
    const ops: DataOp[] = [];
    if (this.staged.has(id)) this.data(command, id, source, ops);
    if (this.wanted.has(id)) this.metadata(command, id);
    return ops;
  }

  /** The plan made again from this reading; the caller compares it with the first. */
  plan(paths: readonly string[]): ExtractPlan {
    return this.survey.plan(paths);
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

  private metadata(command: SendCommand, id: number): void {
    let meta = this.meta.get(id);
    if (!meta) this.meta.set(id, (meta = { xattrs: new Map() }));
    switch (command.type) {
      case Command.Symlink:
        meta.target = this.keep(command.get(Attribute.PathLink) ?? new Uint8Array(0));
        break;
      case Command.Mknod:
        meta.rdev = command.number(Attribute.Rdev) ?? 0;
        meta.mode = (command.number(Attribute.Mode) ?? 0) & 0o7777;
        break;
      case Command.Chmod:
        meta.mode = number(command, Attribute.Mode) & 0o7777;
        break;
      case Command.Chown:
        meta.uid = number(command, Attribute.Uid);
        meta.gid = number(command, Attribute.Gid);
        break;
      case Command.Utimes:
        meta.atime = command.timespec(Attribute.Atime) ?? meta.atime;
        meta.mtime = command.timespec(Attribute.Mtime) ?? meta.mtime;
        break;
      case Command.SetXattr: {
        const name = command.get(Attribute.XattrName);
        if (name === undefined || name.length === 0) throw new StreamShapeError('The stream sets an xattr with no name.');
        meta.xattrs.set(latin1(name), this.keep(command.get(Attribute.XattrData) ?? new Uint8Array(0), name.length));
        break;
      }
      case Command.RemoveXattr: {
        const name = command.get(Attribute.XattrName);
        if (name !== undefined) meta.xattrs.delete(latin1(name));
        break;
      }
    }
  }

  /** A copy of bytes kept to the end (the command's own are a view of the input), counted against the bound. */
  private keep(bytes: Uint8Array, extra = 0): Uint8Array {
    this.kept += bytes.length + extra;
    if (this.kept > MAX_KEPT_BYTES) throw new StreamShapeError(`The stream's xattrs and links for the restored files exceed ${MAX_KEPT_BYTES} bytes.`);
    return bytes.slice();
  }
}

function number(command: SendCommand, type: number): number {
  const value = command.number(type);
  if (value === undefined) throw new StreamShapeError(`A ${command.name} command lacks a value it needs.`);
  if (!Number.isSafeInteger(value)) throw new StreamShapeError(`A ${command.name} command has a value too large for any file.`);
  return value;
}
