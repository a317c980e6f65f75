/**
 * Whether a folder is in use in a way that makes setting it apart unsafe
 * (src/helper/system/set-apart.ts). Setting apart copies the folder (by
 * reference) into a new subvolume and swaps the two in one rename; a process
 * that goes on using the old folder afterwards writes where nobody looks:
 * - a file open for writing, or mapped shared and writable;
 * - a folder open (a program may create files in it through that handle);
 * - a working or root directory inside it (new files land there).
 * A file open only for reading is safe: the reader sees the same bytes.
 */
export interface ProcessUse {
  pid: number;
  /** The process's name (/proc/PID/comm). */
  name: string;
  cwd?: string;
  root?: string;
  /** Open file descriptors: the path and the flags from /proc/PID/fdinfo (octal text). */
  fds: { path: string; flags: string }[];
  /** /proc/PID/maps lines. */
  maps: string[];
}

const O_ACCMODE = 0o3;
const O_DIRECTORY = 0o200000;

function within(file: string | undefined, folder: string): boolean {
  if (file === undefined) return false;
  const path = file.replace(/ \(deleted\)$/, '');
  return path === folder || path.startsWith(`${folder}/`);
}

/** True when an fd's flags (fdinfo's octal "flags:") allow writing or name a folder. */
export function unsafeFlags(flags: string): boolean {
  const value = parseInt(flags, 8);
  return Number.isNaN(value) || (value & O_ACCMODE) !== 0 || (value & O_DIRECTORY) !== 0;
}

/** A maps line's path when the mapping is shared and writable ("rw-s"). */
function writableSharedMapping(line: string): string | undefined {
  const m = /^\S+\s+(\S{4})\s+\S+\s+\S+\s+\d+\s+(.*)$/.exec(line);
  return m && m[1][1] === 'w' && m[1][3] === 's' ? m[2] : undefined;
}

/** Why one process makes setting `folder` apart unsafe, or undefined. */
export function unsafeUse(p: ProcessUse, folder: string): string | undefined {
  if (within(p.cwd, folder) || within(p.root, folder)) return 'works in it';
  if (p.fds.some((fd) => within(fd.path, folder) && unsafeFlags(fd.flags))) return 'has files open in it';
  if (p.maps.some((line) => within(writableSharedMapping(line), folder))) return 'has files open in it';
  return undefined;
}

/** The names of the programs using `folder` unsafely, each once, in the order found. */
export function programsUsing(processes: readonly ProcessUse[], folder: string): string[] {
  const names: string[] = [];
  for (const p of processes) if (unsafeUse(p, folder) && !names.includes(p.name)) names.push(p.name);
  return names;
}
