/**
 * Which inodes a restore of some paths needs, read from a chain of send
 * streams without receiving it: the first of two readings of the chain
 * (the second, ./extract-commands, writes them). It also records which
 * inode each command acted on, so that the second reading needs neither the
 * names again nor the streams that do nothing to the inodes it writes.
 *
 * The survey applies every command's names to a ./tree-model, resolves the
 * inode each command acts on, and notes two things about each inode:
 * - where its data is cloned from (CLONE): an inode of the subvolume being
 *   made (its own UUID), or of the parent snapshot (the previous stream's
 *   UUID), read in the tree as it was when the stream started;
 * - what the extraction cannot do for it, so the restore must replay the
 *   chain instead: a clone from any other snapshot; a clone from the parent
 *   whose source had already changed in the same stream (the extraction keeps
 *   one copy of each inode, in its newest state, not the parent's);
 *   compressed data it cannot decompress (LZO) or encrypted data; an
 *   UPDATE_EXTENT (a stream without data); a command it does not know.
 *
 * At the end, `plan` resolves the requested paths in the final tree:
 * - each path must be there, and reached through folders, not a link;
 * - wanted: the inodes at and below the paths, and the folders above them
 *   (their owners and modes decide who may read the paths);
 * - staged: the files whose data must be written: those below the paths,
 *   and every file their data was cloned from, and so on (a clone source is
 *   written to a hidden file and deleted after the restore).
 */
import { Attribute, Command } from './format';
import { MetaRecorder } from './node-meta';
import type { SendCommand } from './parser';
import { StreamShapeError, TreeModel, latin1, pathParts, type NodeType } from './tree-model';

/** The compressions of ENCODED_WRITE the extraction can undo: none, zlib and zstd. */
export const DECODABLE_COMPRESSION: ReadonlySet<number> = new Set([0, 1, 2]);

const S_IFMT = 0o170000;
const DEVICE_TYPES: Record<number, NodeType> = { 0o020000: 'chr', 0o060000: 'blk', 0o010000: 'fifo', 0o140000: 'socket' };

/** The inodes one command acts on: its target (`id`) and a clone's source. */
export interface Resolved {
  id?: number;
  source?: number;
}

export type ExtractPlan =
  | { kind: 'plan'; wanted: ReadonlySet<number>; staged: ReadonlySet<number>; targets: number[] }
  | { kind: 'missing'; path: string }
  | { kind: 'through-link'; path: string }
  /** The restore must replay the chain; the reason is for logs. */
  | { kind: 'replay'; reason: string };

export class ChainSurvey {
  readonly model = new TreeModel();
  private readonly clonedFrom = new Map<number, Set<number>>();
  private readonly unsupported = new Map<number, string>();
  /** Inodes whose data changed in the current stream. */
  private readonly changed = new Set<number>();
  private uuid: string | undefined;
  private parentUuid: string | undefined;
  private previousUuid: string | undefined;

  /**
   * For each stream read so far, the inode each command acted on (-1 for
   * none), by the command's place in its stream (0 is SUBVOL or SNAPSHOT),
   * and the source of each clone: what the second reading needs to act on
   * the same inodes without following the names again.
   */
  readonly acted: number[][] = [];
  readonly cloneSources: Array<Map<number, number>> = [];
  /**
   * Every folder's metadata: the streams that change only the times of the
   * folders above a restored file then need no second reading.
   */
  readonly folderMeta = new MetaRecorder();

  /** Applies one command's names; answers the inodes it acts on. */
  command(command: SendCommand): Resolved {
    if (command.type === Command.Subvol || command.type === Command.Snapshot) {
      this.acted.push([]);
      this.cloneSources.push(new Map());
    }
    const resolved = this.resolve(command);
    if (resolved.id !== undefined && this.model.typeOf(resolved.id) === 'dir') this.folderMeta.record(resolved.id, command);
    const acted = this.acted.at(-1);
    if (acted) {
      if (resolved.source !== undefined) this.cloneSources.at(-1)!.set(acted.length, resolved.source);
      acted.push(resolved.id ?? -1);
    }
    return resolved;
  }

  private resolve(command: SendCommand): Resolved {
    const m = this.model;
    const path = command.get(Attribute.Path);
    const p = path === undefined ? undefined : latin1(path);
    switch (command.type) {
      case Command.Subvol:
      case Command.Snapshot: {
        const full = command.type === Command.Subvol;
        this.uuid = command.uuid(Attribute.Uuid);
        this.parentUuid = full ? undefined : command.uuid(Attribute.CloneUuid);
        if (!full && (this.parentUuid === undefined || this.parentUuid !== this.previousUuid)) {
          throw new StreamShapeError('An incremental stream is not based on the stream before it in the chain.');
        }
        this.changed.clear();
        if (full) m.startFull();
        else m.startIncremental();
        return {};
      }
      case Command.End:
        this.previousUuid = this.uuid;
        return {};
      case Command.Mkfile:
        return { id: m.create(need(p), 'file') };
      case Command.Mkdir:
        return { id: m.create(need(p), 'dir') };
      case Command.Mkfifo:
        return { id: m.create(need(p), 'fifo') };
      case Command.Mksock:
        return { id: m.create(need(p), 'socket') };
      case Command.Symlink:
        return { id: m.create(need(p), 'symlink') };
      case Command.Mknod: {
        const type = DEVICE_TYPES[(command.number(Attribute.Mode) ?? 0) & S_IFMT];
        if (type === undefined) throw new StreamShapeError(`The stream makes ${JSON.stringify(p)} as a device of no known kind.`);
        return { id: m.create(need(p), type) };
      }
      case Command.Link:
        return { id: m.link(need(p), latin1(need(command.get(Attribute.PathLink)))) };
      case Command.Rename:
        return { id: m.rename(need(p), latin1(need(command.get(Attribute.PathTo)))) };
      case Command.Unlink:
        return { id: m.remove(need(p), false) };
      case Command.Rmdir:
        return { id: m.remove(need(p), true) };
      case Command.Write:
      case Command.Truncate:
      case Command.Fallocate:
        return { id: this.data(need(p)) };
      case Command.EncodedWrite: {
        const id = this.data(need(p));
        const compression = command.number(Attribute.Compression) ?? 0;
        if (!DECODABLE_COMPRESSION.has(compression)) this.cannot(id, `data compressed with method ${compression} (LZO)`);
        if ((command.number(Attribute.Encryption) ?? 0) !== 0) this.cannot(id, 'encrypted data');
        return { id };
      }
      case Command.UpdateExtent:
        return { id: this.cannot(this.data(need(p)), 'a stream without data') };
      case Command.Clone:
        return this.clone(command, need(p));
      case Command.Chmod:
      case Command.Chown:
      case Command.Utimes:
      case Command.SetXattr:
      case Command.RemoveXattr:
      case Command.Fileattr:
      case Command.EnableVerity:
        return { id: m.existing(need(p), 'changes') };
      default: {
        // A command this codec does not know: what it does to its path cannot be followed here.
        const id = p === undefined ? undefined : m.lookup(p);
        if (id !== undefined) this.cannot(id, `a command it does not know (${command.type})`);
        return { id };
      }
    }
  }

  private data(path: string): number {
    const id = this.model.existing(path, 'writes to');
    if (this.model.typeOf(id) !== 'file') throw new StreamShapeError(`The stream writes data to ${JSON.stringify(path)}, which is not a file.`);
    this.changed.add(id);
    return id;
  }

  private cannot(id: number, why: string): number {
    if (!this.unsupported.has(id)) this.unsupported.set(id, why);
    return id;
  }

  private clone(command: SendCommand, path: string): Resolved {
    const id = this.data(path);
    const uuid = command.uuid(Attribute.CloneUuid);
    const from = command.get(Attribute.ClonePath);
    if (from === undefined) throw new StreamShapeError(`The stream clones into ${JSON.stringify(path)} from no path.`);
    let source: number | undefined;
    if (uuid !== undefined && uuid === this.uuid) {
      source = this.model.lookup(latin1(from));
    } else if (uuid !== undefined && uuid === this.parentUuid) {
      source = this.model.lookup(latin1(from), true);
      // One copy of each inode is kept, in its newest state: a source changed earlier in this stream no longer has the parent's data.
      if (source !== undefined && this.changed.has(source)) this.cannot(id, 'a clone from a file that changed earlier in the same stream');
    } else {
      // A clone from a snapshot outside the chain: only a replay, which has it, can do it.
      return { id: this.cannot(id, 'a clone from another snapshot') };
    }
    if (source === undefined || this.model.typeOf(source) !== 'file') {
      throw new StreamShapeError(`The stream clones into ${JSON.stringify(path)} from ${JSON.stringify(latin1(from))}, which is not a file there.`);
    }
    let sources = this.clonedFrom.get(id);
    if (!sources) this.clonedFrom.set(id, (sources = new Set()));
    sources.add(source);
    return { id, source };
  }

  /** What restoring `paths` (relative to the subvolume, checked by the caller) needs, in the tree the chain left. */
  plan(paths: readonly string[]): ExtractPlan {
    const m = this.model;
    const wanted = new Set<number>([m.root]);
    const below = new Set<number>();
    const targets: number[] = [];
    for (const path of paths) {
      let id = m.root;
      for (const part of pathParts(path)) {
        if (m.typeOf(id) === 'symlink') return { kind: 'through-link', path };
        if (m.typeOf(id) !== 'dir') return { kind: 'missing', path };
        const next = m.entriesOf(id).get(part);
        if (next === undefined) return { kind: 'missing', path };
        wanted.add(id);
        id = next;
      }
      targets.push(id);
      const stack = [id];
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (below.has(next)) continue;
        below.add(next);
        wanted.add(next);
        for (const child of m.entriesOf(next).values()) stack.push(child);
      }
    }
    const staged = new Set<number>();
    const stack = [...below].filter((id) => m.typeOf(id) === 'file');
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (staged.has(id)) continue;
      staged.add(id);
      const why = this.unsupported.get(id);
      if (why !== undefined) return { kind: 'replay', reason: why };
      for (const source of this.clonedFrom.get(id) ?? []) stack.push(source);
    }
    return { kind: 'plan', wanted, staged, targets };
  }
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new StreamShapeError('A command of the stream lacks a path it needs.');
  return value;
}
