import path from 'node:path';
import { command } from '../command';

/**
 * `set-apart FOLDER` and `join FOLDER`: what the app's "Keep Apart", "Leave
 * out" and "Include again" do (SetFolderApart), for an administrator, for
 * example for a home folder its own desktop session keeps in use: from
 * another account, or a text console while that person is logged out.
 * The configuration is not changed: a folder set apart inside a backed-up
 * folder is left out of its backups by itself. `join` undoes only what
 * set-apart (or the app) made: the helper keeps a record of those.
 */
function folderCommand(name: 'set-apart' | 'join', summary: string) {
  return command<{ path: string; apart: boolean }>({
    name,
    synopsis: 'FOLDER',
    summary,
    options: [],
    operands: { count: 1, name: 'the folder' },
    // A folder in use, with a mount inside, or of the system: the detail says what to do.
    userErrors: ['InvalidArgs', 'TransferFailed'],
    run: async ({ operands: [folder], paths }) => {
      const [{ setApart }, { loadConfig }] = await Promise.all([import('../../system/set-apart'), import('../../config/config-file')]);
      const sources = await loadConfig(paths.configPath).then((c) => c.sources.flatMap((s) => (s.path ? [s.path] : [])), () => []);
      return setApart(path.resolve(folder), name === 'set-apart' ? 'apart' : 'join', { sources, stateDir: paths.stateDir });
    },
    output: (result) => ({
      json: result,
      human: result.apart ? `${result.path} is kept apart: backups of the folder around it leave it out.` : `${result.path} is a plain folder again: it is backed up with the folder around it.`,
    }),
  });
}

export const setApartCommand = folderCommand(
  'set-apart',
  `make FOLDER a subvolume of its own (nothing is copied), so that
backups of the folder around it leave it out; refused while in use`,
);

export const joinCommand = folderCommand(
  'join',
  `make FOLDER, a subvolume set-apart made, a plain folder again (nothing
is copied); one that came with the system is left as it is`,
);
