import * as z from 'zod';
import { refuseControlCharacters } from './control-characters';

/**
 * A request to restore files (D-Bus RestoreFiles): from which point, which
 * paths inside the backed-up subvolume, and where to. Paths are relative to
 * the subvolume ("alice/Documents/report.odt"), never absolute, never with
 * "..", never empty.
 */
export const relativePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((p) => !p.startsWith('/'), 'must be relative to the backed-up folder, not start with "/"')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.' || part === ''), 'must not contain "..", "." or empty parts')
  .refine((p) => !p.includes('\0'), 'must not contain a NUL character');

/** Which restore point: shared by RestoreFiles and the browser's methods (./browse-request). */
export const pointFields = {
  /** "local" for a snapshot on this computer, or a destination id. */
  from: z.union([z.literal('local'), z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be "local" or a destination id')]),
  snapshot: z.string().regex(/^[0-9]{8}T[0-9]{6}Z(_[0-9]+)?$/, 'must be the name of a snapshot or backup'),
  /** The backed-up folder (a source's path); the first source by default. */
  source: z.string().startsWith('/').optional(),
  /** Encrypted stream files found with no configuration: the recovery key the person typed, never a file. */
  recoveryKey: z
    .string()
    .regex(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/, 'must be a recovery key (a line starting with AGE-SECRET-KEY-1)')
    .optional(),
};

export const restoreRequestSchema = z.strictObject({
  ...pointFields,
  paths: z.array(relativePath).min(1).max(1000),
  /** Back where it was (the current version is kept aside), or into a folder. */
  to: z.union([z.strictObject({ original: z.literal(true) }), z.strictObject({ folder: z.string().startsWith('/', 'must be an absolute path') })]),
});

export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

export interface RestoredItem {
  path: string;
  /** Where it is now. */
  restoredTo: string;
  /** Where the version it replaced was moved, if there was one. */
  keptAsideAs?: string;
}

export interface RestoreResult {
  restored: RestoredItem[];
  /** "user": read and written with the caller's own permissions; "admin": after polkit admin authentication. */
  as: 'user' | 'admin';
  /** Only when some were removed: see specialBitsRemoved(). */
  specialBitsRemoved?: SpecialBitsRemoved;
}

/**
 * Restored files and folders that had setuid, setgid or sticky bits in the
 * backup and lost them: what an unprivileged user restores never carries
 * them. `paths` (where they are now) lists at most MAX_LISTED_SPECIAL of them.
 */
export interface SpecialBitsRemoved {
  count: number;
  paths: string[];
}

export const MAX_LISTED_SPECIAL = 20;

/** The result's specialBitsRemoved field for these paths: none at all when there are none. */
export function specialBitsRemoved(paths: string[]): { specialBitsRemoved?: SpecialBitsRemoved } {
  return paths.length === 0 ? {} : { specialBitsRemoved: { count: paths.length, paths: paths.slice(0, MAX_LISTED_SPECIAL) } };
}

/** A JSON request checked against its schema; the error names the first wrong field. */
export function parseJsonRequest<T extends z.ZodType>(schema: T, json: string): z.infer<T> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error('the request is not JSON');
  }
  refuseControlCharacters(data);
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  return result.data;
}

export function parseRestoreRequest(json: string): RestoreRequest {
  return parseJsonRequest(restoreRequestSchema, json);
}

/** The name the current version is kept under: "report.odt (before restore)", then "… 2)". */
export function asideName(name: string, taken: (candidate: string) => boolean): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${name} (before restore)` : `${name} (before restore ${n})`;
    if (!taken(candidate)) return candidate;
  }
}
