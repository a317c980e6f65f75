import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh, shResult, stopProcess } from './exec';
import { screenDigest, stillScreen } from './still-screen';

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

/** The X window id and size of the app's window whose title starts with `title` (xwininfo). */
function findWindow(display: string, title: string): { id: string; width?: number; height?: number } {
  const tree = sh('xwininfo', ['-display', display, '-root', '-tree']);
  // WM_NAME may spell the quotes otherwise: the title's start is enough.
  const line = tree.split('\n').find((l) => l.includes(`"${title}`));
  const id = line?.trim().split(' ')[0];
  if (!line || !id) throw new Error(`no window titled "${title}…" on ${display}`);
  const size = / (\d+)x(\d+)\+-?\d+\+-?\d+/.exec(line);
  return { id, ...(size ? { width: Number(size[1]), height: Number(size[2]) } : {}) };
}

/** Runs one Xlib call on the window `id` through python's ctypes (there is no window manager to ask). */
function xlib(display: string, id: string, call: 'XResizeWindow' | 'XMoveWindow', a: number, b: number): void {
  const script = [
    'import ctypes, sys',
    "x = ctypes.cdll.LoadLibrary('libX11.so.6')",
    'x.XOpenDisplay.restype = ctypes.c_void_p',
    'd = ctypes.c_void_p(x.XOpenDisplay(sys.argv[1].encode()))',
    `x.${call}(d, ctypes.c_ulong(int(sys.argv[2], 16)), int(sys.argv[3]), int(sys.argv[4]))`,
    'x.XSync(d, 0)',
  ].join('\n');
  sh('python3', ['-c', script, display, id, String(a), String(b)]);
}

/**
 * Resizes the app's window whose title starts with `title` under Xvfb (there
 * is no window manager to do it). Gives the size it had, to put it back.
 */
export function resizeWindow(display: string, title: string, width: number, height: number): { width: number; height: number } {
  const found = findWindow(display, title);
  xlib(display, found.id, 'XResizeWindow', width, height);
  return { width: found.width ?? width, height: found.height ?? height };
}

/** Moves the app's window whose title starts with `title` to x, y: off the screen, it no longer hides the one under it. */
export function moveWindow(display: string, title: string, x: number, y: number): void {
  xlib(display, findWindow(display, title).id, 'XMoveWindow', x, y);
}

/**
 * The window whose title starts with `title` photographed 360 px wide (a
 * phone's width, where labels must wrap and nothing may be cut off), then
 * put back at its size for the test's next screens.
 */
export async function narrowShot(display: string, title: string, file: string): Promise<void> {
  const wide = screenDigest(display);
  const was = resizeWindow(display, title, 360, 720);
  await stillScreen(display, 1200, wide);
  screenshot(display, file);
  const narrow = screenDigest(display);
  resizeWindow(display, title, was.width, was.height);
  await stillScreen(display, 500, narrow);
}

/**
 * A click at a point of the screen (button 1: left, 3: right, 4 and 5: the
 * wheel up and down), or a key by its keysym, under Xvfb: XTest through
 * python's ctypes.
 */
export function fakeInput(display: string, what: { click: [number, number, number] } | { keysym: number }): void {
  const script = [
    'import ctypes, sys',
    "x = ctypes.cdll.LoadLibrary('libX11.so.6')",
    "t = ctypes.cdll.LoadLibrary('libXtst.so.6')",
    'x.XOpenDisplay.restype = ctypes.c_void_p',
    'd = ctypes.c_void_p(x.XOpenDisplay(sys.argv[1].encode()))',
    'a = [int(v) for v in sys.argv[3:]]',
    "if sys.argv[2] == 'click':",
    '    t.XTestFakeMotionEvent(d, -1, a[0], a[1], 0)',
    '    t.XTestFakeButtonEvent(d, a[2], 1, 0)',
    '    t.XTestFakeButtonEvent(d, a[2], 0, 0)',
    'else:',
    '    k = x.XKeysymToKeycode(d, ctypes.c_ulong(a[0]))',
    '    t.XTestFakeKeyEvent(d, k, 1, 0)',
    '    t.XTestFakeKeyEvent(d, k, 0, 0)',
    'x.XSync(d, 0)',
  ].join('\n');
  const args = 'click' in what ? ['click', ...what.click.map(String)] : ['key', String(what.keysym)];
  sh('python3', ['-c', script, display, ...args]);
}

/** Where tests put screenshots; CI keeps this folder. */
export function artifactsDir(repo: string, name: string): string {
  const dir = process.env.REWIND_ARTIFACTS ?? path.join(repo, 'test-artifacts');
  return path.join(dir, name);
}

export { shResult };
