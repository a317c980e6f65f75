/**
 * What the helper's SSH side validates before anything reaches ssh, a file or
 * a shell: host names, ports, user names, fingerprints, and the name a host
 * has in the pinned known_hosts file. Everything here is refused early with a
 * message that names the field, what was expected and what was found.
 */

/** A DNS name (letters, digits, "-" inside labels), an IPv4 address or an IPv6 address without brackets. */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:]{2,39}$/;
/** POSIX portable user names, never starting with "-". */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/;
/** OpenSSH's SHA256 fingerprint: base64 of 32 bytes without padding. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_USER = 'root';

function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return value === null ? 'null' : `${typeof value} ${String(value)}`;
}

export function checkSshHost(value: unknown): string | undefined {
  if (typeof value === 'string' && (DNS_NAME.test(value) || (value.includes(':') && IPV6.test(value)))) return undefined;
  return `"host" must be a host name (letters, digits, "-" and "."), an IPv4 address or an IPv6 address without brackets; found ${quote(value)}`;
}

export function checkSshPort(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return undefined;
  return `"port" must be a whole number from 1 to 65535; found ${quote(value)}`;
}

export function checkSshUser(value: unknown): string | undefined {
  if (typeof value === 'string' && USER_NAME.test(value)) return undefined;
  return `"user" must be a user name of 1–32 letters, digits, ".", "_" or "-", not starting with "-" or "."; found ${quote(value)}`;
}

export function checkFingerprint(value: unknown): string | undefined {
  if (typeof value === 'string' && FINGERPRINT.test(value)) return undefined;
  return `"fingerprint" must be an SSH SHA256 fingerprint such as SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU; found ${quote(value)}`;
}

/** ssh compares host names without case; the pinned file keeps them in lower case. */
export function normalizeSshHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** The name ssh looks a host up by in known_hosts: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = normalizeSshHost(host);
  return port === DEFAULT_SSH_PORT ? h : `[${h}]:${port}`;
}

/** Loopback: compressing a stream that never leaves the machine costs CPU for nothing. */
export function isLoopbackHost(host: string): boolean {
  const h = normalizeSshHost(host);
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** What ProbeHost answers: the server's key and whether it is the pinned one. */
export interface HostProbe {
  host: string;
  port: number;
  /** The key type ssh will use, e.g. ssh-ed25519. */
  keyType: string;
  /** SHA256:… of that key, as `ssh-keygen -l` shows it. */
  fingerprint: string;
  /** known: pinned and unchanged; changed: another key is pinned for this host; unknown: nothing pinned. */
  state: 'known' | 'changed' | 'unknown';
  /** The fingerprint pinned earlier, when it differs. */
  pinnedFingerprint?: string;
}

/** What GetSshSetup answers: what to do once on the server (./server-setup). */
export interface SshSetup {
  /** This machine's name on the server: backups go to PATH/<host>/. */
  host: string;
  publicKey: string;
  authorizedKeysLine: string;
  acceptKeyCommand: string;
  /** The account backups arrive as there. */
  user: string;
  /** Installs the server's package. */
  installCommand: string;
  /** Makes the backup folder (the account's, when it is not root). */
  folderCommand: string;
  /** Where authorizedKeysLine goes, by hand. */
  authorizedKeysFile: string;
}

/** Validates a JSON object with exactly the given fields; returns the problems. */
export function checkFields(value: unknown, required: readonly string[], optional: readonly string[] = []): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['expected a JSON object'];
  const keys = Object.keys(value);
  const problems = required.filter((k) => !keys.includes(k)).map((k) => `"${k}" is missing`);
  for (const k of keys) if (!required.includes(k) && !optional.includes(k)) problems.push(`unknown field "${k}"`);
  return problems;
}

/** The entry to add to "destinations" in the configuration (docs/config.md). */
export function destinationSnippet(fields: { host: string; port: number; user: string; path: string }): string {
  const entry: Record<string, unknown> = { id: 'server', kind: 'ssh', host: fields.host };
  if (fields.port !== DEFAULT_SSH_PORT) entry.port = fields.port;
  if (fields.user !== DEFAULT_SSH_USER) entry.user = fields.user;
  entry.path = fields.path;
  return JSON.stringify(entry, null, 2);
}

/** The file on the server whose fingerprint `ssh-keygen -lf` shows for a host key of this type. */
export function hostKeyFile(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return '/etc/ssh/ssh_host_ecdsa_key.pub';
  if (keyType === 'ssh-rsa' || keyType.startsWith('rsa-')) return '/etc/ssh/ssh_host_rsa_key.pub';
  return '/etc/ssh/ssh_host_ed25519_key.pub';
}
