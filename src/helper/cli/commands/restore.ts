import { existsSync } from 'node:fs';
import type { SubvolumeRestoreResult } from '../results';
import { command } from '../command';
import { describeRestoreProgress, describeRestoredSubvolume } from '../format/restore';
import type { RestoreWatch } from '../../restore/restore-watch';
import { onStopSignal } from '../../system/stop-signals';

export const restore = command<string>({
  name: 'restore',
  synopsis: '--destination ID --snapshot NAME --path PATH --to DIR [--source DIR] [--key FILE]',
  summary: `copy PATH out of a backup into DIR (--key: the recovery
key of an encrypted stream-file destination)`,
  options: ['destination', 'snapshot', 'path', 'to', 'source', 'key'],
  required: ['destination', 'snapshot', 'path', 'to'],
  run: async ({ values, paths }) => {
    const { restorePath } = await import('../../restore/restore');
    return restorePath({
      configPath: paths.configPath,
      runtimeDir: paths.runtimeDir,
      destination: values.destination!,
      snapshot: values.snapshot!,
      path: values.path!,
      targetDir: values.to!,
      source: values.source,
      stateDir: paths.stateDir,
      keyFile: values.key,
    });
  },
  output: (target) => ({ json: { restored: target }, human: `Restored ${target}` }),
});

export const restoreSubvolume = command<SubvolumeRestoreResult>({
  name: 'restore-subvolume',
  synopsis: `--into DIR (--destination ID --snapshot NAME | --backup PATH)
[--subvolume NAME] [--source DIR] [--key FILE] [--replace] [--progress]`,
  summary: `bring a whole subvolume back as a new subvolume beside the
current one on the btrfs filesystem of DIR, and print the
steps to switch to it (works from a live USB with --backup,
or with an id that discover printed as ID); --replace: it
takes the current one's place from the next start; the files
of each /home/NAME go to the account NAME here when its
number differs (not with --backup); how far it is goes to
stderr once a second (--progress: as JSON lines); Ctrl+C
stops it and deletes what was received`,
  options: ['into', 'destination', 'snapshot', 'backup', 'subvolume', 'source', 'key', 'replace', 'progress'],
  required: ['into'],
  run: async ({ values, paths }) => {
    const { restoreSubvolume } = await import('../../restore/restore-subvolume');
    // A whole home takes minutes to hours: say how far it is, and let Ctrl+C stop it cleanly.
    const abort = new AbortController();
    onStopSignal(() => abort.abort());
    return restoreSubvolume({
      watch: watchFromTerminal(abort.signal, values.progress ? 'json' : values.json ? 'none' : 'lines'),
      runtimeDir: paths.runtimeDir,
      stateDir: paths.stateDir,
      into: values.into!,
      subvolume: values.subvolume,
      // From a live USB there is no configuration; --backup needs none.
      configPath: values.destination || existsSync(paths.configPath) ? paths.configPath : undefined,
      destination: values.destination,
      snapshot: values.snapshot,
      source: values.source,
      backup: values.backup,
      keyFile: values.key,
      replace: values.replace,
    });
  },
  output: (result) => ({ json: result, human: describeRestoredSubvolume(result) }),
});

/** Progress of a whole restore on stderr, at most once a second: JSON lines, lines for a person, or none (--json alone). */
function watchFromTerminal(signal: AbortSignal, how: 'json' | 'lines' | 'none'): RestoreWatch {
  let last = 0;
  return {
    signal,
    onProgress: (progress) => {
      if (how === 'none' || Date.now() - last < 1000) return;
      last = Date.now();
      console.error(how === 'json' ? JSON.stringify(progress) : describeRestoreProgress(progress));
    },
  };
}
