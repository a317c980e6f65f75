/**
 * The names of one subvolume as a chain of send streams builds it: a full
 * stream (SUBVOL) from nothing, then each incremental one (SNAPSHOT) from
 * the tree the one before left. Unlike ./changes, which starts from a parent
 * it cannot see, this model knows the whole tree at every step, so every path
 * a command names resolves to one inode — the same one `btrfs receive` would
 * act on, since it applies the same script to the same tree.
 *
 * Inodes are numbered here in the order they are made (0 is the first full
 * stream's root), not by the stream's inode numbers: the same input gives the
 * same numbers, so a second reading of the chain can name the inodes the
 * first one chose.
 *
 * Names are the stream's bytes, kept as latin1 strings (one character per
 * byte, so any name round-trips). The operations follow the system calls
 * `btrfs receive` makes: a name is created only where none is; LINK names an
 * existing non-directory; RENAME replaces a file by a file, or an empty
 * directory by a directory, and never moves a directory into itself; UNLINK
 * removes a non-directory, RMDIR an empty directory. A stream that asks for
 * anything else does not fit the tree it is applied to, and is refused with
 * a StreamShapeError — btrfs receive would have failed at the same command.
 *
 * For clones out of the parent snapshot, the tree as it was at the start of
 * the current stream stays readable: each directory whose entries change is
 * copied the first time it changes in a stream.
 */
export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chr' | 'blk' | 'socket';

/** A stream that does not fit the tree it applies to (or makes no sense at all). */
export class StreamShapeError extends Error {
  override name = 'StreamShapeError';
}

/** The longest name a Linux filesystem takes. */
export const NAME_MAX = 255;

/** Bytes as a latin1 string: one character per byte. */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(at, at + 4096) as unknown as number[]);
  }
  return text;
}

/** The parts of a stream path ("" is the root); a part that could escape or is not a name is refused. */
export function pathParts(path: string): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.length > NAME_MAX || part.includes('\0')) {
      throw new StreamShapeError(`The stream names the path ${JSON.stringify(path)}, which is not a plain relative path.`);
    }
  }
  return parts;
}

export class TreeModel {
  private readonly types: NodeType[] = [];
  /** Each directory's entries, by name. */
  private readonly entries = new Map<number, Map<string, number>>();
  /** Each directory's parent (a directory has one name). */
  private readonly parents = new Map<number, number>();
  /** This stream's copies of the directories it changed, as they were at its start. */
  private readonly before = new Map<number, Map<string, number>>();
  private rootId = -1;

  get root(): number {
    return this.rootId;
  }

  /** Inodes made so far. */
  get size(): number {
    return this.types.length;
  }

  typeOf(id: number): NodeType {
    return this.types[id];
  }

  /** A directory's entries now (empty for anything else). */
  entriesOf(id: number): ReadonlyMap<string, number> {
    return this.entries.get(id) ?? new Map();
  }

  /** A full stream: a new, empty subvolume. */
  startFull(): void {
    this.entries.clear();
    this.parents.clear();
    this.before.clear();
    this.rootId = this.make('dir');
  }

  /** An incremental stream: the tree the stream before left. */
  startIncremental(): void {
    if (this.rootId < 0) throw new StreamShapeError('An incremental stream comes before any full one.');
    this.before.clear();
  }

  /** The inode at `path` now, or (with `atStart`) when the current stream started; undefined when there is none. */
  lookup(path: string, atStart = false): number | undefined {
    let id = this.rootId;
    for (const part of pathParts(path)) {
      const names = atStart ? (this.before.get(id) ?? this.entries.get(id)) : this.entries.get(id);
      const next = names?.get(part);
      if (next === undefined) return undefined;
      id = next;
    }
    return id;
  }

  /** The inode at `path`, which must exist. */
  existing(path: string, what: string): number {
    const id = this.lookup(path);
    if (id === undefined) throw new StreamShapeError(`The stream ${what} ${JSON.stringify(path)}, which is not there.`);
    return id;
  }

  /** MKFILE, MKDIR, MKNOD, MKFIFO, MKSOCK, SYMLINK: a new inode with one name. */
  create(path: string, type: NodeType): number {
    const [dir, name] = this.place(path);
    if (this.entries.get(dir)!.has(name)) throw new StreamShapeError(`The stream creates ${JSON.stringify(path)}, which exists already.`);
    const id = this.make(type);
    this.add(dir, name, id);
    return id;
  }

  /** LINK: `path` becomes another name of the non-directory at `target`. */
  link(path: string, target: string): number {
    const id = this.existing(target, 'links to');
    if (this.types[id] === 'dir') throw new StreamShapeError(`The stream makes a hard link to the folder ${JSON.stringify(target)}.`);
    const [dir, name] = this.place(path);
    if (this.entries.get(dir)!.has(name)) throw new StreamShapeError(`The stream links ${JSON.stringify(path)}, which exists already.`);
    this.add(dir, name, id);
    return id;
  }

  /** RENAME, as rename(2) does it. */
  rename(from: string, to: string): number {
    const fromParts = pathParts(from);
    if (fromParts.length === 0) throw new StreamShapeError('The stream renames the root of the subvolume.');
    const id = this.existing(from, 'renames');
    const fromDir = this.lookup(fromParts.slice(0, -1).join('/'))!;
    const fromName = fromParts[fromParts.length - 1];
    const [dir, name] = this.place(to);
    const replaced = this.entries.get(dir)!.get(name);
    if (replaced === id) return id;
    if (this.types[id] === 'dir') {
      for (let d: number | undefined = dir; d !== undefined; d = this.parents.get(d)) {
        if (d === id) throw new StreamShapeError(`The stream moves the folder ${JSON.stringify(from)} into itself.`);
      }
    }
    if (replaced !== undefined) {
      const isDir = this.types[replaced] === 'dir';
      if (isDir !== (this.types[id] === 'dir') || (isDir && this.entriesOf(replaced).size > 0)) {
        throw new StreamShapeError(`The stream renames ${JSON.stringify(from)} over ${JSON.stringify(to)}, which rename(2) refuses.`);
      }
      this.drop(dir, name);
    }
    this.drop(fromDir, fromName);
    this.add(dir, name, id);
    return id;
  }

  /** UNLINK (a non-directory) or RMDIR (an empty directory); the inode, which may keep other names. */
  remove(path: string, directory: boolean): number {
    const parts = pathParts(path);
    if (parts.length === 0) throw new StreamShapeError('The stream removes the root of the subvolume.');
    const id = this.existing(path, 'removes');
    if ((this.types[id] === 'dir') !== directory || (directory && this.entriesOf(id).size > 0)) {
      throw new StreamShapeError(`The stream removes ${JSON.stringify(path)} with ${directory ? 'RMDIR' : 'UNLINK'}, which that call refuses.`);
    }
    this.drop(this.lookup(parts.slice(0, -1).join('/'))!, parts[parts.length - 1]);
    return id;
  }

  private make(type: NodeType): number {
    const id = this.types.length;
    this.types.push(type);
    if (type === 'dir') this.entries.set(id, new Map());
    return id;
  }

  /** The directory a new name goes in, and the name. */
  private place(path: string): [number, string] {
    const parts = pathParts(path);
    const name = parts.pop();
    if (name === undefined) throw new StreamShapeError('The stream makes a new root for the subvolume.');
    const dir = this.lookup(parts.join('/'));
    if (dir === undefined || this.types[dir] !== 'dir') {
      throw new StreamShapeError(`The stream puts ${JSON.stringify(path)} in a folder that is not there.`);
    }
    return [dir, name];
  }

  private touch(dir: number): Map<string, number> {
    const names = this.entries.get(dir)!;
    if (!this.before.has(dir)) this.before.set(dir, new Map(names));
    return names;
  }

  private add(dir: number, name: string, id: number): void {
    this.touch(dir).set(name, id);
    if (this.types[id] === 'dir') this.parents.set(id, dir);
  }

  private drop(dir: number, name: string): void {
    this.touch(dir).delete(name);
  }
}
