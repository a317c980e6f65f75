/**
 * What a restore without a replay keeps of an inode's metadata through a
 * chain of send streams, the last word of the chain on each: owner, mode,
 * times, xattrs, a symbolic link's target, a device's number. The streams
 * give them as commands (CHOWN, CHMOD, UTIMES, SET_XATTR, REMOVE_XATTR,
 * SYMLINK, MKNOD); the values are copied, as the commands' own bytes are
 * views of the input. Bounded: all that is kept may not exceed
 * MAX_KEPT_BYTES.
 */
import { Attribute, Command } from './format';
import type { SendCommand, Timespec } from './parser';
import { StreamShapeError, latin1 } from './tree-model';

export const MAX_KEPT_BYTES = 64 * 1024 * 1024;

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

const RECORDED: ReadonlySet<number> = new Set([
  Command.Symlink, Command.Mknod, Command.Chmod, Command.Chown, Command.Utimes, Command.SetXattr, Command.RemoveXattr,
]);

export class MetaRecorder {
  readonly meta = new Map<number, NodeMeta>();
  private kept = 0;

  /** Applies a command on inode `id` to its record: metadata, and what SYMLINK and MKNOD make; other commands change nothing. */
  record(id: number, command: SendCommand): void {
    if (!RECORDED.has(command.type)) return;
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
        meta.mode = (command.number(Attribute.Mode) ?? meta.mode ?? 0) & 0o7777;
        break;
      case Command.Chown:
        meta.uid = command.number(Attribute.Uid) ?? meta.uid;
        meta.gid = command.number(Attribute.Gid) ?? meta.gid;
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
