import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The helper's bundle this code runs from (rewind-helper-main.cjs), or
 * undefined when it runs from the TypeScript sources (the tests).
 */
export function ownBundle(): string | undefined {
  const self = fileURLToPath(import.meta.url);
  return self.endsWith('.cjs') ? self : undefined;
}

/** The helper's bundle: this very file when bundled, else (tests from sources) the built one. */
export function helperBundlePath(): string {
  return ownBundle() ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/helper/rewind-helper-main.cjs');
}
