import { checkHostName, quote } from './serve-names';

/**
 * The line of `authorized_keys` that gives one client's key to
 * `rewind-helper serve` and nothing else (docs/serve-protocol.md): parsing a
 * public key, making the line with its forced command and restrictions, and
 * finding whose host a line serves.
 */

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
  /**
   * Only reading ROOT/HOST/ (`serve --read-only`): a new computer's key that
   * finds and restores an existing computer's backups, and changes nothing.
   */
  readOnly?: boolean;
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
  const readOnly = options.readOnly ? ' --read-only' : '';
  return `command="${options.helperPath} serve --root ${options.root} --host ${options.host}${readOnly}",restrict ${type} ${data} ${comment ?? `rewind@${options.host}`}`;
}

/** The host a line written by authorizedKeysLine is for (reading and writing), or undefined for any other line. */
export function hostOfAuthorizedKeysLine(line: string): string | undefined {
  return /^command="\/[^" ]* serve --root \/[^" ]* --host ([A-Za-z0-9._-]+)",restrict /.exec(line)?.[1];
}

/** The host a read-only line written by authorizedKeysLine is for, or undefined for any other line. */
export function readOnlyHostOfAuthorizedKeysLine(line: string): string | undefined {
  return /^command="\/[^" ]* serve --root \/[^" ]* --host ([A-Za-z0-9._-]+) --read-only",restrict /.exec(line)?.[1];
}

/**
 * The new content of an authorized_keys file with `line` installed for
 * `host`: any earlier line of the same kind for that host is replaced (a
 * read-only line replaces the host's earlier read-only line and leaves its
 * backing-up line alone), every other line kept.
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
  const slotOf = readOnlyHostOfAuthorizedKeysLine(line) === undefined ? hostOfAuthorizedKeysLine : readOnlyHostOfAuthorizedKeysLine;
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const result: string[] = [];
  let placed = false;
  for (const old of lines) {
    if (slotOf(old) === host) {
      // The first earlier line for this host is replaced in place, any others dropped.
      if (!placed) result.push(line);
      placed = true;
      continue;
    }
    if (!old.trimStart().startsWith('#') && old.split(/[ \t]+/).includes(keyData)) {
      const owner = hostOfAuthorizedKeysLine(old) ?? readOnlyHostOfAuthorizedKeysLine(old);
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
