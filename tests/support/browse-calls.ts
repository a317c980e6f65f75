import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { BrowseEntry } from '../../src/core/browse-request';
import type { BackupFixture } from './backup-fixture';
import { sh } from './exec';
import { withTopLevel } from './inspection';
import { asUser } from './system-bus';

/**
 * The restore browser's helper methods as a user calls them over D-Bus, and
 * what lstat says of the same snapshot, in the shape ListFolder answers.
 */
export type Answer<T> = { result?: T; error?: { name: string; message: string } };

export function callAs<T>(fx: BackupFixture, user: string, method: string, request: object): Answer<T> {
  const r = asUser(user, fx.bus, 'gjs', ['-m', fx.callHelper, 'call', method, JSON.stringify(request)]);
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no answer from the helper (exit ${r.status}): ${r.stderr}\n${fx.bus.log()}`);
  return JSON.parse(line) as Answer<T>;
}

export type Listed = Pick<BrowseEntry, 'name' | 'kind' | 'size' | 'mode' | 'uid'> & { mtimeMs: number };

/** Each entry of a folder in a local snapshot, as lstat (as root) sees it. */
export async function inSnapshot(fx: BackupFixture, snapshot: string, folder: string): Promise<Listed[]> {
  return withTopLevel(fx, fx.source, (top) => {
    const dir = path.join(top, '.rewind/home', snapshot, folder);
    return sh('ls', ['-A', dir])
      .split('\n')
      .filter(Boolean)
      .map((name) => {
        const s = lstatSync(path.join(dir, name));
        return { name, kind: s.isDirectory() ? 'folder' : s.isSymbolicLink() ? 'link' : s.isFile() ? 'file' : 'other', size: s.size, mode: s.mode & 0o7777, uid: s.uid, mtimeMs: s.mtimeMs };
      });
  });
}

/** ListFolder's entries in the shape of `inSnapshot`, sorted by name, times to the millisecond. */
export function comparable(entries: Array<BrowseEntry | Listed>): Listed[] {
  return entries
    .map((e) => ({ name: e.name, kind: e.kind, size: e.size, mode: e.mode, uid: e.uid, mtimeMs: Math.round('mtimeMs' in e ? e.mtimeMs : e.mtime * 1000) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
