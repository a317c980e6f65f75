import * as z from 'zod';
import { DEFAULT_DRILL_BUDGET } from './drill-sample';
import { DEFAULT_NOTIFICATIONS } from './notification-settings';
import { WEEKDAYS } from './schedule';
import { retentionPolicySchema, retentionSettingsSchema } from './retention-policy-schema';
import { checkSshHost, checkSshUser, DEFAULT_SSH_PORT, DEFAULT_SSH_USER, normalizeSshHost } from './ssh';

/**
 * The configuration file (/etc/rewind/config.json), version 1.
 * docs/config.md documents every field; this schema is the source of truth.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const relativePath = z
  .string()
  .refine((p) => !p.startsWith('/'), 'must be relative to the filesystem top level, not start with "/"')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".."');

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

/**
 * A source is either one subvolume, named by where it is mounted ("path":
 * "/home"), or every subvolume of the filesystem that holds a folder
 * ("allSubvolumesOf": "/"), found anew at each run.
 */
const sourceSchema = z
  .strictObject({
    path: absolutePath.optional(),
    allSubvolumesOf: absolutePath.optional(),
  })
  .refine((s) => (s.path === undefined) !== (s.allSubvolumesOf === undefined), {
    message: 'needs exactly one of "path" (one subvolume) or "allSubvolumesOf" (every subvolume of a filesystem)',
  });

/**
 * Xattrs this destination must not receive (its kernel refuses them, and a
 * receive that fails on one never gets its Received UUID). The stream codec
 * drops them in flight; everything else is kept. docs/config.md has the grammar.
 */
const xattrName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s]+$/, 'must be an xattr name or a glob such as "user.*", without spaces');

export const xattrsSchema = z.strictObject({
  /** SELinux labels (security.selinux): keep them, drop them, or keep only these labels. */
  selinux: z
    .union([z.enum(['keep', 'drop']), z.strictObject({ keepOnlyKnown: z.array(z.string().min(1)).min(1) })])
    .default('keep'),
  /** Names or globs (`*` any run of characters, `?` one) of xattrs to drop. */
  drop: z.array(xattrName).default([]),
});

export type XattrsConfig = z.infer<typeof xattrsSchema>;

const destinationId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "-" or "_"');

export const btrfsDestinationSchema = z.strictObject({
  id: destinationId,
  kind: z.literal('btrfs'),
  /** Filesystem UUID of the backup disk: stable, unlike /dev/sdX. */
  filesystem: z.string().regex(UUID, 'must be a filesystem UUID such as 0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1'),
  /** Folder below the disk's top level that holds Rewind's backups. */
  path: relativePath.default(''),
  label: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  /** This destination's own retention; otherwise retention.destinations. */
  retention: retentionPolicySchema.optional(),
  /** Xattrs to leave out of this destination's backups; by default none. */
  xattrs: xattrsSchema.optional(),
});

const DEFAULT_CHAIN = { maxIncrementals: 30, maxDays: 30 };
const chainSchema = z.strictObject({
  maxIncrementals: z.number().int().min(0).max(1000).default(30),
  maxDays: z.number().int().min(1).max(3650).default(30),
});
const partSizeSchema = z.number().int().min(1).max(4095);

/**
 * Stream files on any filesystem (ext4, exFAT, vfat, NFS, SMB): either a disk
 * found by its filesystem UUID and mounted by the helper ("filesystem" and a
 * "path" below its root), or a folder that is already mounted ("path" alone,
 * absolute).
 */
const filesDestinationSchema = z
  .strictObject({
    id: destinationId,
    kind: z.literal('files'),
    /** blkid's UUID of the disk: a UUID, or a vfat/exFAT serial such as 1A2B-3C4D. */
    filesystem: z.string().regex(/^[0-9A-Fa-f][0-9A-Fa-f-]{3,35}$/, 'must be a filesystem UUID as blkid shows it').optional(),
    path: z.string().refine((p) => !p.split('/').includes('..'), 'must not contain ".."').default(''),
    /** Without "filesystem": where the filesystem that holds `path` is mounted, which must be mounted for a backup (src/helper/destinations/stream-files/mounted-folder.ts). */
    mountPoint: absolutePath.refine((p) => !p.split('/').includes('..'), 'must not contain ".."').optional(),
    label: z.string().max(200).optional(),
    enabled: z.boolean().default(true),
    retention: retentionPolicySchema.optional(),
    /** Encrypt every stream with age, for the helper's key of this destination. */
    encrypt: z.boolean().default(false),
    /** A new full stream after this many incrementals, or this many days. */
    chain: chainSchema.default(DEFAULT_CHAIN),
    /** Largest file written, in MiB (vfat cannot hold 4 GiB). */
    partSizeMiB: partSizeSchema.default(1024),
  })
  .refine((d) => (d.filesystem === undefined ? d.path.startsWith('/') : !d.path.startsWith('/')), {
    message: 'path must be an absolute folder, or, with "filesystem", a folder relative to that disk',
    path: ['path'],
  })
  .refine((d) => d.mountPoint === undefined || (d.filesystem === undefined && isAtOrBelow(d.path, d.mountPoint)), {
    message: 'must be the folder where the filesystem that holds "path" is mounted (path itself or a folder above it), and is used only without "filesystem"',
    path: ['mountPoint'],
  });

function isAtOrBelow(folder: string, mountPoint: string): boolean {
  const top = mountPoint.replace(/(.)\/+$/, '$1');
  return top === '/' || folder === top || folder.startsWith(`${top}/`);
}

/** Letters, digits and ._+-/ only: the folder appears in the server's forced command, which a shell reads. */
const SHELL_SAFE_ABSOLUTE = /^\/[A-Za-z0-9._+/-]*$/;

/**
 * Another machine that runs `rewind-helper serve --root PATH` as the forced
 * command of this helper's key (docs/serve-protocol.md). The client never
 * sends `path`: the server's key line fixes it. It is here to make that line.
 */
export const sshDestinationSchema = z.strictObject({
  id: destinationId,
  kind: z.literal('ssh'),
  host: z
    .string()
    .refine((h) => checkSshHost(h) === undefined, 'must be a host name (letters, digits, "-" and "."), an IPv4 address or an IPv6 address without brackets')
    .transform(normalizeSshHost),
  port: z.number().int('must be a whole number').min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535').default(DEFAULT_SSH_PORT),
  user: z
    .string()
    .refine((u) => checkSshUser(u) === undefined, 'must be a user name of 1–32 letters, digits, ".", "_" or "-", not starting with "-" or "."')
    .default(DEFAULT_SSH_USER),
  /** The server's backup folder: ROOT of `serve --root`. */
  path: z
    .string()
    .regex(SHELL_SAFE_ABSOLUTE, 'must be an absolute path on the server of letters, digits, ".", "_", "+", "-" and "/"')
    .refine((p) => !p.split('/').includes('..'), 'must not contain ".."'),
  label: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  retention: retentionPolicySchema.optional(),
  /** zstd on the wire: "auto" compresses unless the host is this machine (loopback). */
  compression: z.enum(['auto', 'zstd', 'none']).default('auto'),
  /**
   * How the server keeps backups: received subvolumes ("btrfs", when absent)
   * or stream files like a "files" destination ("files", for a server without
   * btrfs). The three fields after it are a "files" destination's, allowed
   * with "files" only.
   */
  store: z.enum(['btrfs', 'files']).optional(),
  encrypt: z.boolean().optional(),
  chain: chainSchema.optional(),
  partSizeMiB: partSizeSchema.optional(),
});

const STREAM_FILE_FIELDS = ['encrypt', 'chain', 'partSizeMiB'] as const;

const checkedSshDestinationSchema = sshDestinationSchema.superRefine((d, context) => {
  if (d.store === 'files') return;
  for (const field of STREAM_FILE_FIELDS) {
    if (d[field] !== undefined) context.addIssue({ code: 'custom', path: [field], message: 'is a setting of stream files; it needs "store": "files"' });
  }
});

export const destinationSchema = z.discriminatedUnion('kind', [btrfsDestinationSchema, filesDestinationSchema, checkedSshDestinationSchema]);

export type BtrfsDestinationConfig = z.infer<typeof btrfsDestinationSchema>;
export type SshDestinationConfig = z.infer<typeof sshDestinationSchema>;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 09:30');

/** When automatic backups run (src/core/schedule.ts); "manual" turns the timer off. */
const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('manual') }),
  z.strictObject({ kind: z.literal('hourly') }),
  z.strictObject({ kind: z.literal('daily'), at: clockTime }),
  z.strictObject({ kind: z.literal('weekly'), day: z.enum(WEEKDAYS), at: clockTime }),
]);

/** When a scheduled run waits for a better moment; a run started by hand never does. */
const conditionsSchema = z.strictObject({
  postponeOnBattery: z.boolean().default(false),
  postponeOnMetered: z.boolean().default(true),
});

/**
 * Notification settings as Rewind 0.1 kept them, before they became each
 * user's own (GSettings, ./notification-settings). Still valid in a file so
 * that such a configuration loads; the app no longer writes them. The helper
 * reads only `lowSpacePercent`, as the free space below which a source disk
 * gives up its oldest local snapshots (docs/retention.md).
 */
const notificationsSchema = z.strictObject({
  remindAfterDays: z.number().int().min(0).max(365).default(DEFAULT_NOTIFICATIONS.remindAfterDays),
  lowSpacePercent: z.number().int().min(0).max(50).default(DEFAULT_NOTIFICATIONS.lowSpacePercent),
  onSuccess: z.boolean().default(DEFAULT_NOTIFICATIONS.onSuccess),
});

/**
 * What one restore drill may read of one destination (docs/drills.md): at
 * most `files` files and `mebibytes` MiB, shared by the backed-up folders,
 * in at most `minutes` (what is not compared by then is counted, not judged).
 */
const drillSchema = z.strictObject({
  files: z.number().int().min(1).max(100_000).default(DEFAULT_DRILL_BUDGET.files),
  mebibytes: z.number().int().min(1).max(1024 * 1024).default(DEFAULT_DRILL_BUDGET.bytes / 2 ** 20),
  minutes: z.number().positive().max(24 * 60).default(DEFAULT_DRILL_BUDGET.seconds / 60),
});

export const configSchema = z.strictObject({
  version: z.literal(1),
  /** Name of this machine in the destination layout; defaults to the host name. */
  hostName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a host name without "/"')
    .optional(),
  /** What to back up; the default is the subvolume mounted at /home. */
  sources: z.array(sourceSchema).min(1).default([{ path: '/home' }]),
  /**
   * Folders left out of every backup. Rewind made each a subvolume of its own
   * (src/helper/system/set-apart.ts), which a snapshot of the folder around it
   * leaves out by itself; "allSubvolumesOf" skips them and what they hold,
   * and for it they may also be subvolumes Rewind did not make (src/core/leave-out.ts).
   */
  exclude: z.array(absolutePath).max(256).optional(),
  destinations: z.array(destinationSchema),
  /** How long snapshots and backups are kept (docs/retention.md). */
  retention: retentionSettingsSchema.optional(),
  schedule: scheduleSchema.default({ kind: 'hourly' }),
  conditions: conditionsSchema.default({ postponeOnBattery: false, postponeOnMetered: true }),
  /** Absent: DEFAULT_NOTIFICATIONS. Only `lowSpacePercent` is read (see notificationsSchema). */
  notifications: notificationsSchema.optional(),
  /** The restore drills' budget; absent: DEFAULT_DRILL_BUDGET. */
  drill: drillSchema.optional(),
});

export type Config = z.infer<typeof configSchema>;
export type Source = Config['sources'][number];
export type Destination = Config['destinations'][number];
export type FilesDestinationConfig = Extract<Destination, { kind: 'files' }>;

/** What stream files need of their destination, a "files" one or an "ssh" one with "store": "files". */
export type StreamFilesSettings = Pick<FilesDestinationConfig, 'id' | 'label' | 'encrypt' | 'chain' | 'partSizeMiB'>;

/** Whether a destination keeps stream files (a folder, or a server without btrfs). */
export function keepsStreamFiles(d: Destination): boolean {
  return d.kind === 'files' || (d.kind === 'ssh' && d.store === 'files');
}

/** A destination's stream-file settings, an "ssh" one's with the defaults of a "files" one. */
export function streamFilesSettings(d: FilesDestinationConfig | SshDestinationConfig): StreamFilesSettings {
  return {
    id: d.id,
    ...(d.label !== undefined ? { label: d.label } : {}),
    encrypt: d.encrypt ?? false,
    chain: d.chain ?? DEFAULT_CHAIN,
    partSizeMiB: d.partSizeMiB ?? 1024,
  };
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** Validates parsed JSON; each problem names the field, what was expected and what was found. */
export function validateConfig(data: unknown): ConfigResult {
  const result = configSchema.safeParse(data);
  if (result.success) {
    const ids = result.data.destinations.map((d) => d.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) {
      return { ok: false, problems: [`destinations: the id "${dup}" is used twice; each destination needs its own id`] };
    }
    return { ok: true, config: result.data };
  }
  const problems = result.error.issues.map((issue) => {
    const found = issue.code === 'unrecognized_keys' ? undefined : valueAt(data, issue.path);
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const message = issue.message.replace(/^Invalid input: /, '');
    if (found !== undefined) return `${where}: ${message}; found ${describe(found)}`;
    return issue.code === 'invalid_type' ? `${where}: ${message.replace(/, received undefined$/, '')}, but it is missing` : `${where}: ${message}`;
  });
  return { ok: false, problems };
}

/** Parses the file's text; JSON syntax errors are reported like schema errors. */
export function parseConfig(text: string): ConfigResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  return validateConfig(data);
}
