import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh, shResult, startProcess, stopProcess, waitFor } from './exec';
import { REPO } from './system-bus';

/** Linux's O_PATH (the generic value, x86 and ARM alike); Node does not name it. */
const O_PATH = 0o10000000;

export interface DocumentPortal {
  /** The session bus's environment, and XDG_RUNTIME_DIR where the portal mounts its documents. */
  env: NodeJS.ProcessEnv;
  mountPoint: string;
  /** Exports a folder as the file chooser portal does; its path as a sandboxed app is given it. */
  exportFolder(folder: string): string;
  /** What src/app/host-path.ts answers for a path: the host path, or null. */
  hostPath(path: string): string | null;
}

function lastJson(output: string): Record<string, string | null> {
  const line = output.trim().split('\n').at(-1) ?? '';
  const answer = JSON.parse(line) as Record<string, string | null>;
  if (answer.error) throw new Error(answer.error);
  return answer;
}

/**
 * The real document portal (xdg-document-portal, with the permission store
 * the bus activates) on a session bus of the test's own, its FUSE mount in a
 * runtime folder under `dir`. Runs as root: /dev/fuse is root's here. The
 * cleanup stops it, unmounts its folder if it is still mounted and stops the bus.
 */
export async function startDocumentPortal(cleanup: Cleanup, dir: string): Promise<DocumentPortal> {
  const runtime = path.join(dir, 'run');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const bus = startProcess('dbus-daemon', ['--session', '--nofork', '--nosyslog', '--print-address=1']);
  cleanup.add('stop the session bus', () => stopProcess(bus.child));
  const address = (await waitFor('the session bus', () => /^unix:\S+/m.exec(bus.output())?.[0])).trim();
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: runtime };
  const mountPoint = path.join(runtime, 'doc');
  const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mountPoint);
  const portal = startProcess('/usr/libexec/xdg-document-portal', ['--replace'], { env });
  cleanup.add('stop the document portal', async () => {
    await stopProcess(portal.child);
    if (mounted()) sh('fusermount3', ['-u', '-z', mountPoint]);
  });
  await waitFor(`the document portal's mount\n${portal.output()}`, () => mounted() || undefined, 20_000);

  // The probe: the app's own src/app/host-path.ts, bundled for gjs as the app is.
  const probe = path.join(dir, 'document-portal-probe.js');
  sh(path.join(REPO, 'node_modules/.bin/esbuild'), [
    path.join(REPO, 'tests/support/document-portal-probe.js'),
    '--bundle',
    '--format=esm',
    '--target=firefox102',
    '--platform=neutral',
    '--external:gi://*',
    '--log-level=warning',
    `--outfile=${probe}`,
  ]);
  return {
    env,
    mountPoint,
    exportFolder(folder) {
      const fd = openSync(folder, O_PATH);
      try {
        const run = spawnSync('gjs', ['-m', probe, 'add'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd] });
        if (run.status !== 0) throw new Error(`exporting ${folder} failed: ${run.stderr}`);
        const { id, mountPoint: answered } = lastJson(run.stdout);
        return path.join(answered!, id!, path.basename(folder));
      } finally {
        closeSync(fd);
      }
    },
    hostPath(p) {
      const r = shResult('gjs', ['-m', probe, 'resolve', p], { env });
      if (r.status !== 0) throw new Error(`the probe failed: ${r.stderr}`);
      return lastJson(r.stdout).host;
    },
  };
}
