import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { documentPath, hostPathOf } from '../core/document-path';

/**
 * Where a chosen folder is on the host, for the helper, which runs there:
 * a document-portal path (src/core/document-path.ts) is turned into its host
 * path by org.freedesktop.portal.Documents. GetHostPaths answers it from
 * inside the sandbox (portal version 5 on); older portals have only Info,
 * which they answer outside a sandbox alone. Null when the portal cannot
 * tell: the caller says so instead of sending a path the helper cannot use.
 */
const PORTAL = ['org.freedesktop.portal.Documents', '/org/freedesktop/portal/documents', 'org.freedesktop.portal.Documents'] as const;

function ask(method: string, parameters: GLib.Variant | null): Promise<GLib.Variant> {
  return new Promise((resolve, reject) => {
    Gio.DBus.session.call(...PORTAL, method, parameters, null, Gio.DBusCallFlags.NO_AUTO_START, 5000, null, (connection, result) => {
      try {
        resolve(connection!.call_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** A bytestring path as the portal sends it, without its terminating zero (no path holds one). */
function pathText(bytes: GLib.Variant): string {
  return new TextDecoder().decode(bytes.deepUnpack<Uint8Array>()).split('\0')[0];
}

async function documentHostPath(id: string): Promise<string | null> {
  try {
    const [paths] = (await ask('GetHostPaths', new GLib.Variant('(as)', [[id]]))).deepUnpack<[Record<string, GLib.Variant>]>();
    return paths[id] ? pathText(paths[id]) : null;
  } catch (e) {
    if (!(e instanceof GLib.Error && e.matches(Gio.DBusError, Gio.DBusError.UNKNOWN_METHOD))) return null;
  }
  try {
    return pathText((await ask('Info', new GLib.Variant('(s)', [id]))).get_child_value(0));
  } catch {
    return null;
  }
}

export async function hostPath(path: string): Promise<string | null> {
  let mountPoint: string;
  try {
    mountPoint = pathText((await ask('GetMountPoint', null)).get_child_value(0));
  } catch {
    // No document portal: nothing is mounted from it, so the path is the host's.
    return path;
  }
  const doc = documentPath(path, mountPoint);
  if (doc === 'kept') return path;
  if (doc === 'unusable') return null;
  const host = await documentHostPath(doc.id);
  return host === null ? null : hostPathOf(doc, host);
}
