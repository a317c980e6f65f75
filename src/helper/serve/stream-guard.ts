import { Transform, type TransformCallback } from 'node:stream';

/**
 * What a received send stream may do, checked before `btrfs receive` sees it.
 *
 * `btrfs receive --chroot` keeps the stream's paths inside the host's folder,
 * but not the subvolumes it reads from: an incremental stream names its parent,
 * and a CLONE command its source, by UUID, and btrfs receive finds them
 * anywhere on the filesystem. Without this guard a key could snapshot or clone
 * another host's backup into its own folder and read it. So:
 *
 * 1. The input is one stream: the header (version 1–3), then exactly one SUBVOL
 *    (full) or SNAPSHOT (incremental) as the first command, named exactly as the
 *    request said; nothing after its END.
 * 2. A SNAPSHOT's parent (its CLONE_UUID) must be accepted by `isOwnParent`:
 *    the server accepts only the received UUID of a complete backup in the same
 *    folder, and only when no subvolume elsewhere has it. The subvolume's own
 *    UUID (the received UUID the backup will get) must be accepted by
 *    `isNewUuid`: the server refuses one that any other subvolume holds.
 * 3. A CLONE may copy only from the subvolume being received or its parent.
 * 4. Paths (PATH, PATH_TO, CLONE_PATH, LINK's PATH_LINK) are relative with no
 *    ".." component. A SYMLINK's target is data and is not checked, but the
 *    links the stream makes are remembered (through renames, hard links and
 *    unlinks, and from one stream of a chain to the next with `links`): no
 *    path may go through one, and no command that follows a link (a write, a
 *    clone, a truncate, a chmod, file attributes) may name one. `btrfs send`
 *    never makes such a stream; a crafted one would write through the link.
 * 5. A command is passed on only once it is whole and checked, so
 *    `btrfs receive` never sees the command that was refused.
 */

const MAGIC = Buffer.from('btrfs-stream\0', 'latin1');
const HEADER_LENGTH = 17;
const COMMAND_HEADER = 10;
const MAX_COMMAND = 16 * 1024 * 1024;

const CMD = { SUBVOL: 1, SNAPSHOT: 2, SYMLINK: 8, RENAME: 9, LINK: 10, UNLINK: 11, CLONE: 16, END: 21 } as const;
/** Commands that act on what their PATH names, following a link there: WRITE, CLONE, TRUNCATE, CHMOD, UPDATE_EXTENT, FALLOCATE, FILEATTR, ENCODED_WRITE, ENABLE_VERITY. */
const FOLLOWS_LINK = new Set([15, 16, 17, 18, 22, 23, 24, 25, 26]);
const ATTR = { UUID: 1, PATH: 15, PATH_TO: 16, PATH_LINK: 17, DATA: 19, CLONE_UUID: 20, CLONE_PATH: 22 } as const;

export class StreamRefused extends Error {
  override name = 'StreamRefused';
}

/** The input ended before the stream did: a client or decompressor that stopped, not a hostile stream. */
export class StreamCutOff extends StreamRefused {
  override name = 'StreamCutOff';
}

export interface GuardOptions {
  /** The backup name the request gave: the stream's subvolume must have it. */
  name: string;
  /** Whether an incremental stream may use the subvolume with this received UUID as its parent. */
  isOwnParent: (uuid: string) => string | undefined;
  /**
   * The paths of the symbolic links in the subvolume, kept up to date as the
   * stream makes, renames and removes them; a chain's next stream is given
   * the set its parent's stream left. A new set when not given.
   */
  links?: Set<string>;
  /** Why a subvolume with this UUID may not be received, or undefined when it may (the UUID is no other subvolume's). */
  isNewUuid: (uuid: string) => string | undefined;
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checkPath(path: Buffer, what: string): void {
  if (path.length > 0 && path[0] === 0x2f) throw new StreamRefused(`The stream names an absolute ${what}.`);
  if (path.toString('latin1').split('/').includes('..')) throw new StreamRefused(`The stream names a ${what} with "..".`);
}

export class StreamGuard extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private version = 0;
  private commands = 0;
  private ended = false;
  /** The received UUID the new backup will have, and its parent's. */
  uuid: string | undefined;
  parentUuid: string | undefined;
  bytes = 0;

  private readonly links: Set<string>;

  constructor(private readonly options: GuardOptions) {
    super();
    this.links = options.links ?? new Set();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    try {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      const passed = this.scan();
      if (passed > 0) this.push(this.pending.subarray(0, passed));
      this.pending = this.pending.subarray(passed);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.ended) done(new StreamCutOff('The stream ended before its END command: it was cut off.'));
    else done();
  }

  /** Checks every whole command in `pending`; returns how many bytes may pass. */
  private scan(): number {
    const buf = this.pending;
    let at = 0;
    if (this.version === 0) {
      if (buf.length < HEADER_LENGTH) return 0;
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new StreamRefused('The data is not a btrfs send stream.');
      this.version = buf.readUInt32LE(MAGIC.length);
      if (this.version < 1 || this.version > 3) throw new StreamRefused(`Send stream version ${this.version} is not supported.`);
      at = HEADER_LENGTH;
    }
    while (buf.length - at >= COMMAND_HEADER) {
      if (this.ended) throw new StreamRefused('The stream goes on after its END command; send one subvolume per request.');
      const length = buf.readUInt32LE(at);
      const type = buf.readUInt16LE(at + 4);
      if (length > MAX_COMMAND) throw new StreamRefused(`A command of ${length} bytes is too long: the stream is corrupt.`);
      if (buf.length - at < COMMAND_HEADER + length) break;
      this.check(type, buf.subarray(at + COMMAND_HEADER, at + COMMAND_HEADER + length));
      at += COMMAND_HEADER + length;
    }
    if (this.ended && at < buf.length) throw new StreamRefused('The stream goes on after its END command; send one subvolume per request.');
    return at;
  }

  private attributes(body: Buffer): Map<number, Buffer> {
    const attrs = new Map<number, Buffer>();
    let at = 0;
    while (at < body.length) {
      if (body.length - at < 2) throw new StreamRefused('A command ends inside an attribute: the stream is corrupt.');
      const type = body.readUInt16LE(at);
      if (this.version >= 2 && type === ATTR.DATA) {
        // From version 2 on, DATA has no length and runs to the end of the command.
        attrs.set(type, body.subarray(at + 2));
        break;
      }
      if (body.length - at < 4) throw new StreamRefused('A command ends inside an attribute: the stream is corrupt.');
      const length = body.readUInt16LE(at + 2);
      if (body.length - at - 4 < length) throw new StreamRefused('An attribute runs past its command: the stream is corrupt.');
      attrs.set(type, body.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return attrs;
  }

  private check(type: number, body: Buffer): void {
    this.commands++;
    const attrs = this.attributes(body);
    const first = this.commands === 1;
    if (type === CMD.SUBVOL || type === CMD.SNAPSHOT) {
      if (!first) throw new StreamRefused('The stream holds more than one subvolume; send one per request.');
      const name = attrs.get(ATTR.PATH)?.toString('utf8');
      if (name !== this.options.name) {
        throw new StreamRefused(`The stream's subvolume is named ${JSON.stringify(name ?? '')}, not ${this.options.name} as the request said.`);
      }
      const uuid = attrs.get(ATTR.UUID);
      if (uuid?.length !== 16) throw new StreamRefused('The stream does not give its subvolume a UUID.');
      this.uuid = formatUuid(uuid);
      const taken = this.options.isNewUuid(this.uuid);
      if (taken) throw new StreamRefused(taken);
      if (type === CMD.SNAPSHOT) {
        const parent = attrs.get(ATTR.CLONE_UUID);
        if (parent?.length !== 16) throw new StreamRefused('The incremental stream does not name its parent.');
        this.parentUuid = formatUuid(parent);
        const problem = this.options.isOwnParent(this.parentUuid);
        if (problem) throw new StreamRefused(problem);
      }
      return;
    }
    if (first) throw new StreamRefused('The stream does not start with a subvolume.');
    if (type === CMD.END) {
      this.ended = true;
      return;
    }
    for (const [attr, what] of [
      [ATTR.PATH, 'path'],
      [ATTR.PATH_TO, 'path'],
      [ATTR.CLONE_PATH, 'clone source path'],
    ] as const) {
      const value = attrs.get(attr);
      if (value) checkPath(value, what);
    }
    if (type === CMD.LINK) {
      const target = attrs.get(ATTR.PATH_LINK);
      if (target) checkPath(target, 'hard link target');
    }
    this.checkLinks(type, attrs);
    if (type === CMD.CLONE) {
      const source = attrs.get(ATTR.CLONE_UUID);
      const uuid = source?.length === 16 ? formatUuid(source) : undefined;
      if (uuid === undefined || (uuid !== this.uuid && uuid !== this.parentUuid)) {
        throw new StreamRefused('The stream copies data from a subvolume other than its own or its parent; that is refused.');
      }
    }
  }

  /** Rule 4's links: refuses a path through a link the subvolume has, and keeps the set of links current. */
  private checkLinks(type: number, attrs: Map<number, Buffer>): void {
    const at = attrs.get(ATTR.PATH)?.toString('latin1');
    if (at === undefined) return;
    const names = [at, attrs.get(ATTR.PATH_TO)?.toString('latin1'), type === CMD.LINK ? attrs.get(ATTR.PATH_LINK)?.toString('latin1') : undefined];
    for (const name of names) {
      if (name === undefined) continue;
      const parts = name.split('/');
      for (let i = 1; i < parts.length; i++) {
        if (this.links.has(parts.slice(0, i).join('/'))) throw new StreamRefused(`The stream reaches ${JSON.stringify(name)} through a symbolic link; that is refused.`);
      }
    }
    if (FOLLOWS_LINK.has(type) && this.links.has(at)) throw new StreamRefused(`The stream writes to ${JSON.stringify(at)} through a symbolic link; that is refused.`);
    if (type === CMD.SYMLINK) this.links.add(at);
    else if (type === CMD.UNLINK) this.links.delete(at);
    else if (type === CMD.LINK && this.links.has(names[2] ?? '')) this.links.add(at);
    else if (type === CMD.RENAME && names[1] !== undefined) {
      const to = names[1];
      for (const link of [...this.links]) if (link === to || link.startsWith(`${to}/`)) this.links.delete(link);
      for (const link of [...this.links]) {
        if (link === at) this.links.add(to);
        else if (link.startsWith(`${at}/`)) this.links.add(to + link.slice(at.length));
        else continue;
        this.links.delete(link);
      }
    }
  }
}
