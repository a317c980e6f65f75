import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './system-bus';

export const MANIFEST = path.join(REPO, 'build-aux', 'io.github.rewindbackup.Rewind.json');

export interface Manifest {
  id: string;
  'finish-args': string[];
  [key: string]: unknown;
}

export function readManifest(file = MANIFEST): Manifest {
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/**
 * xdg-dbus-proxy's rules for the session and the system bus, as `flatpak run`
 * gives them to an app with these finish-args (flatpak's
 * flatpak_context_add_bus_filters and flatpak_run_add_session_dbus_args):
 * every filtered bus starts with --filter; on the session bus the app may own
 * its id and the names under it, and its MPRIS name, and call any method of
 * org.freedesktop.portal.* and hear their signals under
 * /org/freedesktop/portal/ (which gives those names xdg-dbus-proxy's "see"
 * level, no more); then
 * each --talk-name, --own-name and --see-name of the manifest, and the
 * --system-… ones on the system bus. `--socket=session-bus` or `system-bus`
 * leaves that bus unfiltered (null).
 */
export function busRules(manifest: Manifest): { session: string[] | null; system: string[] | null } {
  const args = manifest['finish-args'];
  const names = (prefix: string) =>
    args.flatMap((arg) => {
      const m = new RegExp(`^--${prefix}(talk|own|see)-name=(.+)$`).exec(arg);
      return m ? [`--${m[1]}=${m[2]}`] : [];
    });
  const session = [
    '--filter',
    `--own=${manifest.id}.*`,
    `--own=org.mpris.MediaPlayer2.${manifest.id}.*`,
    ...names(''),
    '--call=org.freedesktop.portal.*=*',
    '--broadcast=org.freedesktop.portal.*=@/org/freedesktop/portal/*',
  ];
  const system = ['--filter', ...names('system-')];
  return {
    session: args.includes('--socket=session-bus') ? null : session,
    system: args.includes('--socket=system-bus') ? null : system,
  };
}
