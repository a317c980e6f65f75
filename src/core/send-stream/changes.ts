/**
 * What changed between two snapshots: the paths created, modified, renamed
 * and deleted, read from a send stream (a `--no-data` one is enough and
 * cheap: it has every command but the file data).
 *
 * A send stream is not a list of changes; it is a script that turns the
 * parent snapshot into the new one, and its paths are those of the tree *as
 * the script runs*. New inodes are made under temporary names ("o257-8-0")
 * and renamed into place later, sometimes much later (a file waits for its
 * new directory); existing files and directories are moved out of the way
 * under such names and then moved on, deleted, or put back; a rename is
 * sometimes a LINK to the new name and an UNLINK of the old one. So the
 * collector replays the script on a model of the tree instead of reading the
 * names:
 *
 * 1. The model starts as the parent snapshot, known only where the stream
 *    touches it: the first time a path is used, each of its parts that the
 *    model does not have yet is an original entry, and its original path is
 *    its original parent's original path plus its name (so a file first
 *    touched after its directory moved still has its old path).
 * 2. MKFILE, MKDIR, MKNOD, MKFIFO, MKSOCK and SYMLINK make a new inode with one
 *    name; LINK adds a name to the inode of an existing name; RENAME moves a
 *    name (with everything under it), and replaces a name already at the
 *    target; UNLINK and RMDIR remove a name.
 * 3. Data commands (WRITE, CLONE, TRUNCATE, UPDATE_EXTENT, FALLOCATE,
 *    ENCODED_WRITE) mark the inode's data changed; CHMOD, CHOWN, FILEATTR and
 *    ENABLE_VERITY its metadata; SET_XATTR and REMOVE_XATTR its xattrs;
 *    UTIMES its times.
 * 4. At the end, for each inode:
 *    - a new inode: each name it ends with is created (with its type; a
 *      second name is a hard link); one removed before the end is not listed.
 *    - an existing inode: an original name that ends elsewhere (another
 *      directory or another name) is renamed from its original path; one
 *      that was removed is deleted, unless the same inode gained a name by
 *      LINK, in which case the pair is a rename (a new name in the same
 *      directory is paired first); other new names are created hard links.
 *      What changed (data, metadata, xattrs, times) is attached to its
 *      renames, or, if it has none, listed once as modified under its path.
 * 5. "times" is listed only when it is all that changed: any other change,
 *    a rename, or a change to an entry of a directory gives new times anyway
 *    (send emits UTIMES for every parent directory). A name moved only
 *    because its directory moved is not listed; the directory's rename says it.
 * 6. A rename over an existing name that the stream never mentioned before
 *    replaces it silently: it shows as the rename alone.
 * 7. A full stream (SUBVOL) lists everything as created, its root aside; an
 *    incremental one (SNAPSHOT) lists its root "." when the root itself changed.
 * 8. Each subvolume in the input (a new SUBVOL or SNAPSHOT, also in
 *    concatenated streams) has its own list, sorted by path. Paths are
 *    relative to the subvolume, "." being its root; names that are not UTF-8
 *    show their odd bytes as \xNN (see ./text).
 */
import { Attribute, Command } from './format';
import { SendStreamParser, type SendCommand } from './parser';

export type FileType = 'file' | 'dir' | 'symlink' | 'device' | 'fifo' | 'socket';
export type ChangeAspect = 'data' | 'metadata' | 'xattrs' | 'times';

export interface Change {
  kind: 'created' | 'modified' | 'renamed' | 'deleted';
  /** Where it is now; for a deletion, where it was. */
  path: string;
  /** For a rename: where it was. */
  from?: string;
  type?: FileType;
  /** Created as another name of a file that existed (or was created) already. */
  hardlink?: boolean;
  /** For modified and renamed entries: what else changed. */
  changed?: ChangeAspect[];
}

export interface SubvolumeChanges {
  /** The subvolume's name in the stream. */
  subvolume: string;
  uuid?: string;
  /** Set for an incremental stream: the UUID of the snapshot it is relative to. */
  parentUuid?: string;
  changes: Change[];
}

const ASPECT_BITS: Record<ChangeAspect, number> = { data: 1, metadata: 2, xattrs: 4, times: 8 };
const ASPECTS = Object.keys(ASPECT_BITS) as ChangeAspect[];

class Inode {
  type: FileType | undefined;
  changed = 0;
  /** Its names in the model now. */
  readonly names = new Set<Entry>();
  /** Original names that were removed, in stream order. */
  readonly removed: Entry[] = [];

  constructor(readonly isNew: boolean) {}
}

class Entry {
  children: Map<string, Entry> | undefined;
  /** Something below this entry was touched (it is a directory with changes in it). */
  activeBelow = false;
  /** How a name that was not there at the start came to be. */
  madeBy: 'mk' | 'link' | undefined;
  readonly originalParent: Entry | null;
  readonly originalName: string;
  readonly originalPath: string;

  constructor(
    public name: string,
    public parent: Entry | null,
    readonly inode: Inode,
    readonly original: boolean,
  ) {
    this.originalParent = parent;
    this.originalName = name;
    this.originalPath = parent === null ? '' : join(parent.original ? parent.originalPath : pathOf(parent), name);
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function pathOf(entry: Entry): string {
  const parts: string[] = [];
  for (let e: Entry | null = entry; e !== null && e.parent !== null; e = e.parent) parts.push(e.name);
  return parts.reverse().join('/');
}

function isWithin(entry: Entry, ancestor: Entry): boolean {
  for (let e: Entry | null = entry; e !== null; e = e.parent) if (e === ancestor) return true;
  return false;
}

function display(path: string): string {
  return path === '' ? '.' : path;
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFIFO = 0o010000;

interface Model {
  info: Omit<SubvolumeChanges, 'changes'>;
  root: Entry;
  /** Every inode the stream touched, in order. */
  inodes: Inode[];
}

export class ChangeCollector {
  private readonly done: SubvolumeChanges[] = [];
  private current: Model | undefined;

  command(command: SendCommand): void {
    const type = command.type;
    if (type === Command.Subvol || type === Command.Snapshot) {
      this.finish();
      // A full stream makes the subvolume; its root is part of that, not a change.
      const root = new Entry('', null, new Inode(type === Command.Subvol), true);
      root.inode.type = 'dir';
      root.inode.names.add(root);
      this.current = {
        info: {
          subvolume: command.path ?? '',
          uuid: command.uuid(Attribute.Uuid),
          parentUuid: type === Command.Snapshot ? command.uuid(Attribute.CloneUuid) : undefined,
        },
        root,
        inodes: [root.inode],
      };
      return;
    }
    if (type === Command.End) {
      this.finish();
      return;
    }
    const state = this.current;
    const path = command.path;
    if (state === undefined || path === undefined) return;
    switch (type) {
      case Command.Mkfile:
      case Command.Mkdir:
      case Command.Mknod:
      case Command.Mkfifo:
      case Command.Mksock:
      case Command.Symlink: {
        const inode = new Inode(true);
        inode.type = typeOf(command);
        state.inodes.push(inode);
        this.attach(new Entry('', null, inode, false), path, 'mk');
        break;
      }
      case Command.Link: {
        const target = command.string(Attribute.PathLink);
        if (target === undefined) break;
        const existing = this.lookup(target);
        this.attach(new Entry('', null, existing.inode, false), path, 'link');
        break;
      }
      case Command.Rename: {
        const to = command.string(Attribute.PathTo);
        if (to === undefined) break;
        const entry = this.lookup(path);
        // The root cannot move, nor anything into itself; a stream that says so is ignored here.
        const parts = split(to);
        parts.pop();
        if (entry.parent === null || isWithin(this.lookup(parts.join('/')), entry)) break;
        this.detach(entry, false);
        this.attach(entry, to, entry.madeBy);
        break;
      }
      case Command.Unlink:
      case Command.Rmdir: {
        const entry = this.lookup(path);
        if (type === Command.Rmdir) entry.inode.type = 'dir';
        this.detach(entry, true);
        break;
      }
      case Command.Write:
      case Command.Clone:
      case Command.Truncate:
      case Command.UpdateExtent:
      case Command.Fallocate:
      case Command.EncodedWrite:
        this.mark(path, 'data');
        break;
      case Command.Chmod:
      case Command.Chown:
      case Command.Fileattr:
      case Command.EnableVerity:
        this.mark(path, 'metadata');
        break;
      case Command.SetXattr:
      case Command.RemoveXattr:
        this.mark(path, 'xattrs');
        break;
      case Command.Utimes:
        this.mark(path, 'times');
        break;
    }
  }

  /** The lists so far, ending the current subvolume's (call after the input ends). */
  result(): SubvolumeChanges[] {
    this.finish();
    return this.done;
  }

  private mark(path: string, aspect: ChangeAspect): void {
    const inode = this.lookup(path).inode;
    inode.changed |= ASPECT_BITS[aspect];
    if (aspect === 'data') inode.type ??= 'file';
  }

  /** The entry at a path, adding original entries for the parts not seen yet (rule 1). */
  private lookup(path: string): Entry {
    const state = this.current as Model;
    let entry = state.root;
    for (const part of split(path)) {
      entry.activeBelow = true;
      entry.children ??= new Map();
      let child = entry.children.get(part);
      if (child === undefined) {
        const inode = new Inode(false);
        state.inodes.push(inode);
        child = new Entry(part, entry, inode, true);
        entry.children.set(part, child);
        inode.names.add(child);
      }
      if (entry.inode.type === undefined) entry.inode.type = 'dir';
      entry = child;
    }
    return entry;
  }

  private attach(entry: Entry, path: string, madeBy: Entry['madeBy']): void {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) return;
    const parent = this.lookup(parts.join('/'));
    parent.activeBelow = true;
    parent.children ??= new Map();
    const replaced = parent.children.get(name);
    if (replaced !== undefined && replaced !== entry) this.detach(replaced, true);
    entry.name = name;
    entry.parent = parent;
    if (!entry.original) entry.madeBy = madeBy;
    parent.children.set(name, entry);
    entry.inode.names.add(entry);
  }

  private detach(entry: Entry, removed: boolean): void {
    const parent = entry.parent;
    if (parent === null) return;
    if (parent.children?.get(entry.name) === entry) parent.children.delete(entry.name);
    parent.activeBelow = true;
    entry.inode.names.delete(entry);
    if (removed && entry.original) entry.inode.removed.push(entry);
  }

  private finish(): void {
    const state = this.current;
    if (state === undefined) return;
    this.current = undefined;
    const changes: Change[] = [];
    for (const inode of state.inodes) changes.push(...report(inode));
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : KIND_ORDER[a.kind] - KIND_ORDER[b.kind]));
    this.done.push({ ...state.info, changes });
  }
}

const KIND_ORDER: Record<Change['kind'], number> = { deleted: 0, renamed: 1, created: 2, modified: 3 };

function typeOf(command: SendCommand): FileType {
  switch (command.type) {
    case Command.Mkdir:
      return 'dir';
    case Command.Symlink:
      return 'symlink';
    case Command.Mkfifo:
      return 'fifo';
    case Command.Mksock:
      return 'socket';
    case Command.Mknod: {
      const format = (command.number(Attribute.Mode) ?? 0) & S_IFMT;
      return format === S_IFIFO ? 'fifo' : format === S_IFSOCK ? 'socket' : 'device';
    }
    default:
      return 'file';
  }
}

function aspects(bits: number): ChangeAspect[] {
  return ASPECTS.filter((aspect) => bits & ASPECT_BITS[aspect]);
}

function withType<T extends Change>(change: T, type: FileType | undefined): T {
  if (type !== undefined) change.type = type;
  return change;
}

/** The changes one inode stands for (rule 4). */
function report(inode: Inode): Change[] {
  const names = [...inode.names];
  if (inode.isNew) {
    return names.filter((e) => e.parent !== null).map((e) => {
      const change = withType<Change>({ kind: 'created', path: display(pathOf(e)) }, inode.type);
      if (e.madeBy === 'link') change.hardlink = true;
      return change;
    });
  }
  const moved =
    inode.removed.length > 0 || names.some((e) => e.madeBy === 'link' || (e.original && (e.parent !== e.originalParent || e.name !== e.originalName)));
  const activeBelow = names.some((e) => e.activeBelow) || inode.removed.some((e) => e.activeBelow);
  let bits = inode.changed;
  if (bits !== ASPECT_BITS.times || moved || activeBelow) bits &= ~ASPECT_BITS.times;
  const changed = aspects(bits);
  const out: Change[] = [];
  const renamed = (from: string, to: Entry): void => {
    const change = withType<Change>({ kind: 'renamed', path: display(pathOf(to)), from: display(from) }, inode.type);
    if (changed.length > 0) change.changed = changed;
    out.push(change);
  };
  const removed = [...inode.removed];
  const linked = names.filter((e) => e.madeBy === 'link');
  const pairs = new Map<Entry, Entry>();
  for (const sameDirectory of [true, false]) {
    for (const name of linked) {
      if (pairs.has(name) || removed.length === 0) continue;
      const at = sameDirectory ? removed.findIndex((r) => r.originalParent === name.parent) : 0;
      if (at >= 0) pairs.set(name, removed.splice(at, 1)[0]);
    }
  }
  for (const name of linked) {
    const from = pairs.get(name);
    if (from !== undefined) renamed(from.originalPath, name);
    else out.push(withType<Change>({ kind: 'created', path: display(pathOf(name)), hardlink: true }, inode.type));
  }
  let unmoved: Entry | undefined;
  for (const name of names) {
    if (!name.original) continue;
    if (name.parent !== name.originalParent || name.name !== name.originalName) renamed(name.originalPath, name);
    else unmoved ??= name;
  }
  for (const gone of removed) out.push(withType<Change>({ kind: 'deleted', path: display(gone.originalPath) }, inode.type));
  if (changed.length > 0 && !out.some((c) => c.kind === 'renamed')) {
    const where = unmoved ?? names[0];
    if (where !== undefined) out.push(withType<Change>({ kind: 'modified', path: display(pathOf(where)), changed }, inode.type));
  }
  return out;
}

/** Parses a whole stream (in one or more pieces) and lists its changes. */
export function listChanges(input: Uint8Array | Iterable<Uint8Array>): SubvolumeChanges[] {
  const collector = new ChangeCollector();
  const parser = new SendStreamParser({ onCommand: (command) => collector.command(command) });
  for (const chunk of input instanceof Uint8Array ? [input] : input) parser.push(chunk);
  parser.end();
  return collector.result();
}
