import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

/**
 * A helper process that runs a command under execa (ssh, zstd) and is
 * stopped by Ctrl+C or systemd cleans up before it ends: execa's exit
 * handler must not kill it first. A real process, signalled for real.
 */
const PROGRAM = `
import { execa } from 'execa';
import { onStopSignal } from './src/helper/system/stop-signals';
let child;
// First, as the commands do: execa's exit handler comes after, while a command runs.
onStopSignal((signal) => {
  child.kill();
  // Cleaning up takes a while (deleting what was received).
  setTimeout(() => {
    console.log('cleaned up after ' + signal);
    process.exit(3);
  }, 500);
});
child = execa('sleep', ['30']);
child.catch(() => undefined);
console.log('ready');
`;

function bundle(): { file: string; done: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rewind-stop-signals-'));
  // CommonJS, as the helper itself is bundled (execa's dependencies require Node's modules).
  const file = path.join(dir, 'program.cjs');
  buildSync({ stdin: { contents: PROGRAM, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: file, logLevel: 'error' });
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the program, sends it `signals` (a pause between them), and says how it ended and what it wrote. */
async function stopped(signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const { file, done } = bundle();
  try {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready')) resolve();
      });
      void exited.then(() => reject(new Error(`ended before it was ready: ${stdout}`)));
    });
    for (const signal of signals) {
      child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [code, signal] = await exited;
    return { code, signal, stdout };
  } finally {
    done();
  }
}

describe('stopping a command that cleans up', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('%s while execa runs a command: cleaned up before it ends', async (signal) => {
    expect(await stopped([signal])).toEqual({ code: 3, signal: null, stdout: `ready\ncleaned up after ${signal}\n` });
  });

  test('a second signal during the clean-up ends it at once', async () => {
    expect(await stopped(['SIGINT', 'SIGTERM'])).toEqual({ code: null, signal: 'SIGTERM', stdout: 'ready\n' });
  });
});
