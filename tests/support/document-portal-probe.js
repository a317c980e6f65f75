// Run by gjs -m in tests/system/document-portal.test.ts, bundled with the app's
// own src/app/host-path.ts:
// - `add`: exports the folder whose O_PATH descriptor is fd 3 through the
//   document portal (Documents.AddFull, as the file chooser portal does for a
//   chosen folder) and prints `{"id": …, "mountPoint": …}`;
// - `resolve PATH`: prints `{"host": …}`, what the app would send the helper.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { hostPath } from '../../src/app/host-path';

/** DOCUMENT_ADD_FLAGS_REUSE_EXISTING | DOCUMENT_ADD_FLAGS_EXPORT_DIRECTORY. */
const ADD_FLAGS = 1 | 8;

async function add() {
  const fds = Gio.UnixFDList.new_from_array([3]);
  const reply = await new Promise((resolve, reject) =>
    Gio.DBus.session.call_with_unix_fd_list(
      'org.freedesktop.portal.Documents',
      '/org/freedesktop/portal/documents',
      'org.freedesktop.portal.Documents',
      'AddFull',
      new GLib.Variant('(ahusas)', [[0], ADD_FLAGS, '', ['read', 'write']]),
      null,
      Gio.DBusCallFlags.NONE,
      10_000,
      fds,
      null,
      (connection, result) => {
        try {
          resolve(connection.call_with_unix_fd_list_finish(result)[0]);
        } catch (e) {
          reject(e);
        }
      },
    ),
  );
  const [ids, extra] = reply.deepUnpack();
  const mountPoint = new TextDecoder().decode(extra.mountpoint.deepUnpack()).split('\0')[0];
  return { id: ids[0], mountPoint };
}

const loop = new GLib.MainLoop(null, false);
const [command, path] = ARGV;
(command === 'add' ? add() : hostPath(path).then((host) => ({ host })))
  .then((answer) => print(JSON.stringify(answer)))
  .catch((e) => print(JSON.stringify({ error: String(e) })))
  .finally(() => loop.quit());
loop.run();
