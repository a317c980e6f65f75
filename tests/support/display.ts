import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh, shResult, stopProcess } from './exec';

/** A private X server (Xvfb) for GUI tests; the cleanup stops it. */
export async function startXvfb(cleanup: Cleanup): Promise<string> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1100x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  cleanup.add('stop Xvfb', () => stopProcess(xvfb));
  let stderr = '';
  xvfb.stderr?.on('data', (d) => (stderr += d));
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    const fd3 = xvfb.stdio[3] as NodeJS.ReadableStream;
    fd3.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), 15000);
  });
  return display;
}

/** Saves the whole screen as PNG. */
export function screenshot(display: string, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  sh('import', ['-display', display, '-window', 'root', file]);
}

/**
 * Brightness (0–1) of a region inside the app's window, which opens at the
 * top left of the otherwise black screen: its mean tells the light style from
 * the dark one, and its spread a drawn window from an empty one.
 */
export function windowBrightness(file: string): { mean: number; spread: number } {
  const out = sh('convert', [file, '-crop', '500x500+50+60', '+repage', '-colorspace', 'gray', '-format', '%[fx:mean] %[fx:standard_deviation]', 'info:']);
  const [mean, spread] = out.trim().split(' ').map(Number);
  return { mean, spread };
}

/** Where tests put screenshots; CI keeps this folder. */
export function artifactsDir(repo: string, name: string): string {
  const dir = process.env.REWIND_ARTIFACTS ?? path.join(repo, 'test-artifacts');
  return path.join(dir, name);
}

export { shResult };
