/**
 * A path on the source longer than the kernel lets `btrfs send` name
 * (PATH_MAX, 4096 bytes with its terminating zero): the only fix is on this
 * computer, so the message says so and names the path briefly — its first
 * folders and its file, and its length — rather than printing 4 kB of it.
 */
export const SEND_PATH_MAX = 4095;

/** 4096 → "4,096", without Intl (whose data costs a short run tens of milliseconds to load). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** "alice/deeper/…/far.txt": the first two components and the last. */
export function briefPath(relative: string): string {
  const parts = relative.split('/').filter((p) => p !== '');
  const clip = (name: string) => (name.length > 40 ? `${name.slice(0, 20)}…${name.slice(-12)}` : name);
  if (parts.length <= 3) return parts.map(clip).join('/');
  return [...parts.slice(0, 2).map(clip), '…', clip(parts[parts.length - 1])].join('/');
}

/** The sentence for a send that failed on a path too long: `relative` (from the backed-up folder) when it was found. */
export function pathTooLongMessage(relative?: string): string {
  const which = relative
    ? `the path ${briefPath(relative)} in the backed-up folder is ${grouped(new TextEncoder().encode(relative).length)} bytes long`
    : `a path in the backed-up folder is longer than ${grouped(SEND_PATH_MAX + 1)} bytes`;
  return `This backup cannot be made: ${which}, more than Linux lets a backup name. The problem is on this computer, not on the backup disk.`;
}

export const PATH_TOO_LONG_ADVICE = `Move that file, or rename a folder on its way, so that its path is shorter than ${grouped(SEND_PATH_MAX + 1)} bytes; then back up again.`;
