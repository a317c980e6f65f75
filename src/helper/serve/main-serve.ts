import { runServeCli } from './cli';

/**
 * A runnable entry for `serve` and `accept-key` alone, so they can be bundled
 * and tested before (and apart from) the full helper: `node bundle.mjs serve
 * --root DIR --host NAME`. The helper's own main dispatches to runServeCli.
 */
runServeCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
