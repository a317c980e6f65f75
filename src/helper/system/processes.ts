import { readFile, readdir, readlink } from 'node:fs/promises';
import type { ProcessUse } from '../../core/folder-in-use';

/**
 * What every process has open, read from /proc, for src/core/folder-in-use.ts.
 * Only what lies inside `folder` is kept (fd flags are read for those alone);
 * a process that ends meanwhile, or one root may not look into, is skipped.
 * The helper itself (and what it started) is not counted.
 */
function inside(file: string, folder: string): boolean {
  const path = file.replace(/ \(deleted\)$/, '');
  return path === folder || path.startsWith(`${folder}/`);
}

async function processUse(pid: number, folder: string): Promise<ProcessUse | undefined> {
  const dir = `/proc/${pid}`;
  try {
    const name = (await readFile(`${dir}/comm`, 'utf8')).trim();
    const cwd = await readlink(`${dir}/cwd`).catch(() => undefined);
    const root = await readlink(`${dir}/root`).catch(() => undefined);
    const fds: ProcessUse['fds'] = [];
    for (const fd of await readdir(`${dir}/fd`).catch(() => [] as string[])) {
      const path = await readlink(`${dir}/fd/${fd}`).catch(() => undefined);
      if (path === undefined || !inside(path, folder)) continue;
      const info = await readFile(`${dir}/fdinfo/${fd}`, 'utf8').catch(() => '');
      fds.push({ path, flags: /^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '' });
    }
    const maps = (await readFile(`${dir}/maps`, 'utf8').catch(() => '')).split('\n').filter((line) => line.includes(folder));
    return { pid, name, ...(cwd !== undefined ? { cwd } : {}), ...(root !== undefined ? { root } : {}), fds, maps };
  } catch {
    return undefined;
  }
}

export async function processesUsing(folder: string): Promise<ProcessUse[]> {
  const own = process.pid;
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => pid !== own);
  const found = await Promise.all(pids.map((pid) => processUse(pid, folder)));
  return found.filter((p): p is ProcessUse => p !== undefined);
}
