#!/usr/bin/env node
// Start-up of the app: time from starting `gjs -m dist/app/rewind.js` to its
// window being mapped (the app prints "rewind: window mapped" from the
// window's map signal), and the process's peak RSS (GNU time %M), each the
// median of N runs under a private Xvfb and session bus. The system bus is
// pointed at a socket that does not exist, so the helper plays no part: the
// window shows "Backup helper not available".
// Usage: node bench/app-startup.mjs [--runs N] [--bundle FILE]   (after npm run build)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', '7'));
const bundle = path.resolve(option('--bundle', path.join(root, 'dist/app/rewind.js')));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-bench-app-'));
const children = [];

function start(file, args, env) {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function waitFor(what, probe, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1100x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  children.push(xvfb);
  const display = await new Promise((resolve) => xvfb.stdio[3].once('data', (d) => resolve(`:${String(d).trim()}`)));
  const bus = start('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1']);
  const address = (await waitFor('the session bus', () => bus.output().split('\n')[0])).trim();
  const env = {
    DISPLAY: display,
    GDK_BACKEND: 'x11',
    DBUS_SESSION_BUS_ADDRESS: address,
    DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${tmp}/no-system-bus`,
    LANG: 'C.UTF-8',
    NO_AT_BRIDGE: '1',
  };
  const haveTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  const samples = [];
  // One warm-up run fills the page cache (gjs, GTK, fonts), as on a desktop that ran GTK apps before.
  for (let i = 0; i <= runs; i++) {
    const rss = path.join(tmp, `rss-${i}`);
    const t0 = process.hrtime.bigint();
    const args = ['-m', bundle];
    const app = haveTime ? start('/usr/bin/time', ['-f', '%M', '-o', rss, 'gjs', ...args], env) : start('gjs', args, env);
    await waitFor('the window', () => app.output().includes('rewind: window mapped'));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // Let the first frames and the status call settle before reading the peak.
    await new Promise((r) => setTimeout(r, 1500));
    // Stop gjs itself (GNU time's child), so time writes its report and exits.
    const gjs = haveTime ? spawnSync('pgrep', ['-P', String(app.child.pid)], { encoding: 'utf8' }).stdout.trim() : '';
    if (gjs) process.kill(Number(gjs), 'SIGTERM');
    await (gjs ? new Promise((r) => (app.child.exitCode !== null ? r() : app.child.once('exit', r))) : stop(app.child));
    const kib = haveTime ? Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) : NaN;
    if (i > 0) samples.push({ ms, kib });
    process.stderr.write(`${i === 0 ? 'warm-up' : `run ${i}`}: ${ms.toFixed(0)} ms, ${(kib / 1024).toFixed(1)} MiB\n`);
  }
  const ms = samples.map((s) => s.ms);
  const kib = samples.map((s) => s.kib);
  console.log(`| runs | time to window mapped, median (min–max) | peak RSS, median (min–max) |`);
  console.log(`| --- | --- | --- |`);
  console.log(
    `| ${runs} | ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}) | ${(median(kib) / 1024).toFixed(1)} MiB (${(Math.min(...kib) / 1024).toFixed(1)}–${(Math.max(...kib) / 1024).toFixed(1)}) |`,
  );
} finally {
  for (const child of children.reverse()) await stop(child);
  rmSync(tmp, { recursive: true, force: true });
}
