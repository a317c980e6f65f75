import type { ErrorCode } from './errors';
import { parseSnapshotName } from './snapshot-name';
import { STREAM_FILE_NAME } from './stream-manifest';

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
export const MAX_PATH_BYTES = 4096;

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

// ---------------------------------------------------------------------------
// Names

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[/\u0000-\u001f\u007f]/;
/** The same rule as hostName in ./config (a unit test checks that they agree). */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Undefined when `name` is a valid backup folder name (see subvolumeDirName), else why not. */
export function checkSubvolumeDir(name: string): string | undefined {
  if (name !== '' && name !== '.' && name !== '..' && !UNSAFE_IN_NAME.test(name) && utf8Length(name) <= 255) return undefined;
  return `must be one folder name of 1–255 bytes, without "/" or control characters, and not "." or ".."; found ${quote(name)}`;
}

export function checkBackupName(name: string): string | undefined {
  if (parseSnapshotName(name) !== undefined) return undefined;
  return `must be a backup name such as 20260101T120000Z (UTC time, optionally _2, _3...); found ${quote(name)}`;
}

export function checkHostName(name: string): string | undefined {
  if (HOST_NAME.test(name)) return undefined;
  return `must be a host name of 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit; found ${quote(name)}`;
}

/** Undefined when `path` is a valid path inside a backup, else why not. */
export function checkBackupPath(path: string, allowRoot = false): string | undefined {
  if (path === '') return allowRoot ? undefined : 'must name a file inside the backup; found ""';
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (path.startsWith('/')) return `must be relative to the backup's root, not start with "/"; found ${quote(path)}`;
  if (utf8Length(path) > MAX_PATH_BYTES) return `must be at most ${MAX_PATH_BYTES} bytes long`;
  for (const part of path.split('/')) {
    if (part === '') return `must not contain an empty component ("//" or a "/" at the end); found ${quote(path)}`;
    if (part === '.' || part === '..') return `must not contain "${part}"; found ${quote(path)}`;
    if (utf8Length(part) > 255) return 'must not have a component longer than 255 bytes';
  }
  return undefined;
}

/** Undefined when `name` may name a stored file (rule 6); with `partial`, also ".<file>.partial". */
export function checkStoredFileName(name: string, partial = false): string | undefined {
  if (STREAM_FILE_NAME.test(name)) return undefined;
  const hidden = /^\.(.*)\.partial$/.exec(name);
  if (partial && hidden && STREAM_FILE_NAME.test(hidden[1])) return undefined;
  return `must be a plain file name of letters, digits, ".", "_" and "-" not starting with "."${partial ? ' (or ".<name>.partial")' : ''}; found ${quote(name)}`;
}

/** Checks a file-put trailer line; the trailer or why it is not one. */
export function parsePutTrailer(line: string): PutTrailer | string {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return 'The line after a file-put payload must be JSON.';
  }
  const fields = data as Record<string, unknown>;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const keys = Object.keys(fields).sort().join(',');
    if (keys === 'cancel' && fields.cancel === true) return { cancel: true };
    if (keys === 'sha256,size' && Number.isSafeInteger(fields.size) && (fields.size as number) >= 0 && typeof fields.sha256 === 'string' && /^[0-9a-f]{64}$/.test(fields.sha256)) {
      return { size: fields.size as number, sha256: fields.sha256 };
    }
  }
  return 'The line after a file-put payload must be {"size": bytes, "sha256": hex} or {"cancel": true}.';
}

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

// ---------------------------------------------------------------------------
// authorized_keys

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface PublicKey {
  type: (typeof KEY_TYPES)[number];
  /** The base64 key blob. */
  data: string;
  comment?: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBase64(text: string): number[] | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const quad = [...text.slice(i, i + 4)].map((c) => (c === '=' ? 0 : BASE64.indexOf(c)));
    const n = (quad[0] << 18) | (quad[1] << 12) | (quad[2] << 6) | quad[3];
    bytes.push((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return bytes.slice(0, bytes.length - padding);
}

const SAFE_COMMENT = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;

/**
 * Parses one OpenSSH public key line ("ssh-ed25519 AAAA... comment"). Options
 * before the type are refused: the forced command is ours to write. The blob
 * must decode and name the same key type as the line.
 */
export function parsePublicKey(line: string): { ok: true; key: PublicKey } | { ok: false; problem: string } {
  const text = line.trim();
  if (text.includes('\n')) return { ok: false, problem: 'give exactly one public key line' };
  const [type, data, ...rest] = text.split(/[ \t]+/);
  if (!(KEY_TYPES as readonly string[]).includes(type ?? '')) {
    return {
      ok: false,
      problem: `a public key line starts with its type (${KEY_TYPES.join(', ')}), without options; found ${quote(type ?? '')}`,
    };
  }
  const blob = data === undefined ? undefined : decodeBase64(data);
  if (!blob || blob.length < 4) return { ok: false, problem: 'the key data is not valid base64' };
  const length = ((blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3]) >>> 0;
  const inner = String.fromCharCode(...blob.slice(4, 4 + length));
  if (length > blob.length - 4 || inner !== type) {
    return { ok: false, problem: `the key data is not a ${type} key` };
  }
  const comment = rest.join(' ');
  return { ok: true, key: { type: type as PublicKey['type'], data: data as string, comment: SAFE_COMMENT.test(comment) ? comment : undefined } };
}

/** sshd runs the forced command through the account's shell: allow only characters no shell treats specially. */
const SHELL_SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;

function checkShellSafePath(what: string, value: string): void {
  if (!SHELL_SAFE_PATH.test(value) || value.split('/').includes('..')) {
    throw new Error(`${what} must be an absolute path of letters, digits, ".", "_", "+", "-" and "/", without ".."; found ${quote(value)}`);
  }
}

export interface AuthorizedKeyOptions {
  /** The helper's path on the server, e.g. /usr/libexec/rewind-helper. */
  helperPath: string;
  /** The folder that holds every host's backups on the server. */
  root: string;
  /** The client's host name: the key may act only in ROOT/HOST/. */
  host: string;
  /** The client's public key line. */
  publicKey: string;
}

/**
 * The exact authorized_keys line that lets the client's key run
 * `serve --root ROOT --host HOST` and nothing else: `restrict` turns off
 * pty, port, agent and X11 forwarding and ~/.ssh/rc. Throws with a message
 * naming the bad input.
 */
export function authorizedKeysLine(options: AuthorizedKeyOptions): string {
  checkShellSafePath('The helper path', options.helperPath);
  checkShellSafePath('The backup folder', options.root);
  const hostProblem = checkHostName(options.host);
  if (hostProblem) throw new Error(`The host name ${hostProblem}`);
  const parsed = parsePublicKey(options.publicKey);
  if (!parsed.ok) throw new Error(`The public key is not valid: ${parsed.problem}`);
  const { type, data, comment } = parsed.key;
  return `command="${options.helperPath} serve --root ${options.root} --host ${options.host}",restrict ${type} ${data} ${comment ?? `rewind@${options.host}`}`;
}

/** The host a line written by authorizedKeysLine is for, or undefined for any other line. */
export function hostOfAuthorizedKeysLine(line: string): string | undefined {
  return /^command="\/[^" ]* serve --root \/[^" ]* --host ([A-Za-z0-9._-]+)",restrict /.exec(line)?.[1];
}

/**
 * The new content of an authorized_keys file with `line` installed for
 * `host`: any earlier line for that host is replaced, every other line kept.
 * Refused when the same key appears in another line, because sshd would use
 * whichever line comes first and the key could escape its forced command.
 */
export function installAuthorizedKey(
  existing: string,
  line: string,
  host: string,
): { ok: true; text: string; changed: boolean } | { ok: false; problem: string } {
  const keyData = /",restrict \S+ (\S+)/.exec(line)?.[1];
  if (keyData === undefined) return { ok: false, problem: 'the line was not made by authorizedKeysLine' };
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const result: string[] = [];
  let placed = false;
  for (const old of lines) {
    if (hostOfAuthorizedKeysLine(old) === host) {
      // The first earlier line for this host is replaced in place, any others dropped.
      if (!placed) result.push(line);
      placed = true;
      continue;
    }
    if (!old.trimStart().startsWith('#') && old.split(/[ \t]+/).includes(keyData)) {
      const owner = hostOfAuthorizedKeysLine(old);
      return {
        ok: false,
        problem: owner
          ? `this key is already allowed for the host ${owner}; each host needs its own key`
          : 'this key is already in the file with other permissions; remove that line first, or the key could do more than receive backups',
      };
    }
    result.push(old);
  }
  if (!placed) result.push(line);
  const text = `${result.join('\n')}\n`;
  return { ok: true, text, changed: text !== existing };
}
