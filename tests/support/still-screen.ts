import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A digest of what the screen shows now (raw pixels, no file). */
export function screenDigest(display: string): string {
  const pixels = execFileSync('import', ['-display', display, '-window', 'root', 'rgb:-'], { maxBuffer: 64 * 1024 * 1024 });
  return createHash('sha1').update(pixels).digest('hex');
}

/**
 * Waits until the app has drawn what it was just told to show: the screen
 * unchanged over three looks 150 ms apart. A fixed pause of `most` ms was
 * waited here before; it is still the longest wait, for a screen that keeps
 * moving (a spinner). `changedFrom`: a digest of the screen as it was before;
 * the picture must first differ from it (a resize the app has not drawn yet
 * is not a still screen).
 */
export async function stillScreen(display: string, most = 1500, changedFrom?: string): Promise<void> {
  const until = Date.now() + most;
  // Time for the app to take the change in and start drawing it.
  await pause(100);
  let last = '';
  let same = 0;
  while (Date.now() < until) {
    const now = screenDigest(display);
    if (changedFrom !== undefined && now === changedFrom) {
      await pause(100);
      continue;
    }
    changedFrom = undefined;
    same = now === last ? same + 1 : 0;
    if (same >= 2) return;
    last = now;
    await pause(150);
  }
}
