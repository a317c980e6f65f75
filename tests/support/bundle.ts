import path from 'node:path';
import { sh } from './exec';
import { REPO } from './system-bus';

/** Bundles the app and the helper from the working tree into `<dir>/dist`, as `npm run build` does, and returns that folder: each suite tests a build of its own. */
export function bundleInto(dir: string): string {
  const dist = path.join(dir, 'dist');
  sh(process.execPath, [path.join(REPO, 'build-aux/bundle.mjs'), '--outdir', dist]);
  return dist;
}
