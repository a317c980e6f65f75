import type { ErrorCode } from './errors';
import type { XattrsLeftOut } from './xattrs-left-out';
import { checkBackupName, checkBackupPath, checkStoredFileName, checkSubvolumeDir, quote } from './serve-names';

/**
 * The protocol of `rewind-helper serve`, the receiver on a backup server that
 * an SSH key may run and nothing else (docs/serve-protocol.md). This module is
 * the contract both sides share: message types, limits, and the validation of
 * every request, which the server applies before it touches anything.
 *
 * Rules:
 * 1. A request is one line of JSON, at most MAX_REQUEST_BYTES long, holding an
 *    object with an "op" and exactly that op's fields, each of its type. An
 *    unknown op, an unknown or missing field, or a wrong type is refused with a
 *    message that names the field, what was expected and what was found.
 * 2. A request never names a host or an absolute path. The server acts in
 *    ROOT/HOST/<subvolume>/, HOST being fixed by the key's forced command.
 * 3. "subvolume" is one folder name as subvolumeDirName makes it ("home",
 *    "@home", "var%2Flib%2Fx"): 1–255 bytes, no "/", no control character,
 *    never "." or "..". Other characters, shell metacharacters included, are
 *    only characters: the server runs no shell. "name" is a Rewind backup
 *    name (YYYYMMDDTHHMMSSZ with an optional _N).
 * 4. "path" (read, readdir) is relative to the backup's root: components
 *    separated by single "/", none empty, ".", or "..", no NUL, at most 4096
 *    bytes. readdir accepts "" for the backup's root. That the path crosses no
 *    symbolic link is the server's check, on the filesystem.
 * 5. Binary payloads travel as chunks: a 4-byte big-endian length then that
 *    many bytes, at most MAX_CHUNK_BYTES; a zero length ends the payload.
 * 6. "file" (the file-… ops, stream files on a server without btrfs) is one
 *    plain file name as Rewind names its stream files and manifest
 *    (STREAM_FILE_NAME: letters, digits, ".", "_", "-", not starting with a
 *    dot). file-delete also takes the hidden name of an unfinished write,
 *    ".<file>.partial", so a client can remove what a cut connection left.
 *    After a file-put payload the client sends one trailer line (PutTrailer):
 *    the size and SHA-256 it sent, which the server checks before the file
 *    takes its name.
 */

export const SERVE_PROTOCOL_VERSION = 1;
/** What the client asks SSH to run; the server refuses any other original command. */
export const SERVE_ORIGINAL_COMMAND = 'rewind-helper serve';
export { DEFAULT_HELPER_PATH } from './ids';
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_CHUNK_BYTES = 1024 * 1024;

export type Compression = 'zstd' | 'none';

export type ServeRequest =
  | { op: 'hello'; version: number }
  | { op: 'list'; subvolume: string }
  | { op: 'folders' }
  | { op: 'receive'; subvolume: string; name: string; compression: Compression }
  | { op: 'delete'; subvolume: string; name: string }
  | { op: 'clean'; subvolume: string }
  | { op: 'space' }
  | { op: 'read'; subvolume: string; name: string; path: string }
  | { op: 'readdir'; subvolume: string; name: string; path: string }
  | { op: 'sync' }
  | { op: 'file-list'; subvolume: string }
  | { op: 'file-get'; subvolume: string; file: string }
  | { op: 'file-put'; subvolume: string; file: string }
  | { op: 'file-check'; subvolume: string; file: string }
  | { op: 'file-delete'; subvolume: string; file: string }
  | { op: 'send'; subvolume: string; name: string }
  | { op: 'diff'; subvolume: string; from: string; to: string };

export type ServeOp = ServeRequest['op'];

export interface ServeError {
  code: ErrorCode;
  /** What happened, for a person; the client adds the advice for the code. */
  message: string;
}

export interface ServeFailure {
  ok: false;
  error: ServeError;
}

export interface HelloResponse {
  ok: true;
  version: number;
  /** The host folder this key is confined to. */
  host: string;
  /** Send stream versions `btrfs receive` understands here. */
  sendProtocols: number[];
  /** Whether "compression": "zstd" is accepted. */
  zstd: boolean;
  /**
   * Whether ROOT is on btrfs, so "receive" works; without it the server keeps
   * stream files only (the file-… ops). Servers before the file ops omit it.
   */
  btrfs?: boolean;
  /*
   * What the server can do, for the client's choice of store and Add Backup
   * Server's connection test (../core/server-capabilities). Servers before
   * them omit them all; a client treats every one as untrusted input.
   */
  /** The server's Rewind version. */
  serverVersion?: string;
  /** The filesystem of ROOT ("btrfs", "xfs", "ext4", … or "other"). */
  filesystem?: string;
  /** Whether "receive" works: ROOT on btrfs, btrfs-progs installed, serve running as root. */
  canReceive?: boolean;
  /** Whether SELinux is enabled on the server. */
  selinux?: boolean;
  /** ROOT's free and total space, as "space" answers. */
  freeBytes?: number;
  totalBytes?: number;
  /** Whether serve may write in ROOT (the host's folder is made there). */
  writable?: boolean;
  /** Whether "receive" leaves out the xattrs this server's kernel refuses, and says how many in its answer. */
  filtersXattrs?: boolean;
  /** This key only lists and reads the host's backups (accept-key --read-only); every changing op is refused. */
  readOnly?: boolean;
}

export interface BackupInfo {
  name: string;
  uuid: string;
  receivedUuid?: string;
  parentUuid?: string;
  readOnly: boolean;
  createdGeneration: number;
  /** Read-only with a received UUID: a finished receive. */
  complete: boolean;
}

/** The backup folders of this host (one per source subvolume), sorted. */
export interface FoldersResponse {
  ok: true;
  folders: string[];
}

export interface ListResponse {
  ok: true;
  backups: BackupInfo[];
}

/** Sent after a valid receive request: now send the payload. */
export interface ReceiveReady {
  ok: true;
  ready: true;
}

export interface ReceiveResponse {
  ok: true;
  name: string;
  uuid: string;
  receivedUuid: string;
  parentUuid?: string;
  /** Payload bytes as sent, and send-stream bytes after decompression. */
  wireBytes: number;
  streamBytes: number;
  /** The xattrs left out because this server would refuse them (servers that filter; see hello's filtersXattrs). */
  leftOut?: XattrsLeftOut;
}

export interface DeleteResponse {
  ok: true;
  deleted: string;
}

export interface CleanResponse {
  ok: true;
  removed: string[];
}

export interface SpaceResponse {
  ok: true;
  freeBytes: number;
  totalBytes: number;
}

/** Sent before a file's bytes. */
export interface ReadStart {
  ok: true;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string (too big for a JSON number). */
  mtimeNs: string;
}

/** Sent after a file's bytes. */
export interface ReadEnd {
  ok: true;
  bytes: number;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: string;
  /** A symbolic link's target, shown as text; the server never follows it. */
  target?: string;
}

export interface ReaddirResponse {
  ok: true;
  entries: DirEntry[];
}

export interface SyncResponse {
  ok: true;
}

export interface StoredFile {
  name: string;
  size: number;
}

/** The regular files of a folder (stream files, the manifest, unfinished ".….partial" writes), sorted. */
export interface FileListResponse {
  ok: true;
  files: StoredFile[];
}

/** What the server read of a file: its size and SHA-256 in hex. */
export interface FileCheckResponse {
  ok: true;
  size: number;
  sha256: string;
}

/** Sent by the client after a file-put payload. */
export type PutTrailer = { size: number; sha256: string } | { cancel: true };

export interface FilePutResponse {
  ok: true;
  file: string;
  size: number;
  sha256: string;
}

export interface FileDeleteResponse {
  ok: true;
  /** False when there was no such file. */
  deleted: boolean;
}

/** Each op's final response line. */
export interface ServeResponses {
  hello: HelloResponse;
  list: ListResponse;
  folders: FoldersResponse;
  receive: ReceiveResponse;
  delete: DeleteResponse;
  clean: CleanResponse;
  space: SpaceResponse;
  read: ReadEnd;
  readdir: ReaddirResponse;
  sync: SyncResponse;
  'file-list': FileListResponse;
  'file-get': ReadEnd;
  'file-put': FilePutResponse;
  'file-check': FileCheckResponse;
  'file-delete': FileDeleteResponse;
  send: ReadEnd;
  diff: ReadEnd;
}

export function serveFailure(code: ErrorCode, message: string): ServeFailure {
  return { ok: false, error: { code, message } };
}

export * from './serve-names';
export * from './authorized-keys';

// ---------------------------------------------------------------------------
// Requests

type FieldRule = { type: 'string' | 'number'; check?: (value: never) => string | undefined };

const SUBVOLUME: FieldRule = { type: 'string', check: (v: string) => checkSubvolumeDir(v) };
const NAME: FieldRule = { type: 'string', check: (v: string) => checkBackupName(v) };
const FILE: FieldRule = { type: 'string', check: (v: string) => checkStoredFileName(v) };

const OPS: Record<ServeOp, Record<string, FieldRule>> = {
  hello: {
    version: {
      type: 'number',
      check: (v: number) =>
        v === SERVE_PROTOCOL_VERSION ? undefined : `must be ${SERVE_PROTOCOL_VERSION}, the only version this server speaks; found ${v}`,
    },
  },
  list: { subvolume: SUBVOLUME },
  folders: {},
  receive: {
    subvolume: SUBVOLUME,
    name: NAME,
    compression: { type: 'string', check: (v: string) => (v === 'zstd' || v === 'none' ? undefined : `must be "zstd" or "none"; found ${quote(v)}`) },
  },
  delete: { subvolume: SUBVOLUME, name: NAME },
  clean: { subvolume: SUBVOLUME },
  space: {},
  read: { subvolume: SUBVOLUME, name: NAME, path: { type: 'string', check: (v: string) => checkBackupPath(v) } },
  readdir: { subvolume: SUBVOLUME, name: NAME, path: { type: 'string', check: (v: string) => checkBackupPath(v, true) } },
  sync: {},
  'file-list': { subvolume: SUBVOLUME },
  'file-get': { subvolume: SUBVOLUME, file: FILE },
  'file-put': { subvolume: SUBVOLUME, file: FILE },
  'file-check': { subvolume: SUBVOLUME, file: FILE },
  'file-delete': { subvolume: SUBVOLUME, file: { type: 'string', check: (v: string) => checkStoredFileName(v, true) } },
  send: { subvolume: SUBVOLUME, name: NAME },
  diff: { subvolume: SUBVOLUME, from: NAME, to: NAME },
};

export const SERVE_OPS = Object.keys(OPS) as ServeOp[];

export type ParsedRequest = { ok: true; request: ServeRequest } | ServeFailure;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Checks a decoded request; the result is either the typed request or the first problem found. */
export function validateRequest(data: unknown): ParsedRequest {
  const refuse = (message: string) => serveFailure('InvalidArgs', message);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return refuse(`A request must be a JSON object; found ${describe(data)}.`);
  }
  const fields = data as Record<string, unknown>;
  const op = fields.op;
  if (typeof op !== 'string') return refuse(`A request needs "op", a string; found ${op === undefined ? 'none' : describe(op)}.`);
  if (!Object.prototype.hasOwnProperty.call(OPS, op)) {
    return refuse(`Unknown op ${quote(op)}; this server does only ${SERVE_OPS.join(', ')}.`);
  }
  const rules = OPS[op as ServeOp];
  const unknown = Object.keys(fields).filter((k) => k !== 'op' && !Object.prototype.hasOwnProperty.call(rules, k));
  if (unknown.length > 0) {
    return refuse(`${op}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => quote(k)).join(', ')}.`);
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = fields[key];
    if (value === undefined) return refuse(`${op}: "${key}" is missing; it must be a ${rule.type}.`);
    if (typeof value !== rule.type || (rule.type === 'number' && !Number.isFinite(value))) {
      return refuse(`${op}: "${key}" must be a ${rule.type}; found ${describe(value)}.`);
    }
    const problem = rule.check?.(value as never);
    if (problem) return refuse(`${op}: "${key}" ${problem}.`);
  }
  return { ok: true, request: fields as ServeRequest };
}

/** Parses one request line (without its newline). */
export function parseRequest(line: string): ParsedRequest {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (error) {
    return serveFailure('InvalidArgs', `A request must be one line of JSON: ${(error as Error).message}.`);
  }
  return validateRequest(data);
}

/** Checks the original command the client asked SSH to run (SSH_ORIGINAL_COMMAND). */
export function checkOriginalCommand(command: string | undefined): string | undefined {
  if (command === SERVE_ORIGINAL_COMMAND) return undefined;
  const what = command === undefined ? 'an interactive shell' : `the command ${quote(command)}`;
  return `This key may only run "${SERVE_ORIGINAL_COMMAND}"; it asked for ${what}, which is refused.`;
}
