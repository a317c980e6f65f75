import Gdk from 'gi://Gdk?version=4.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

/**
 * Looking at a file before restoring it: a read-only copy of the file as it
 * was in a moment, opened in the person's default app for its type.
 *
 * Where the copy goes: a new folder only the person can enter (mode 0700),
 * under their runtime folder ($XDG_RUNTIME_DIR, which no other user can
 * enter either and which is emptied when they log out), never a shared
 * place such as /tmp where another user could put something in its way.
 * The helper copies the file there with RestoreFiles as the person (so the
 * kernel decides, with the backup's own owners and modes, what they may
 * read) and the copy belongs to them. It is then made read-only (0400): an
 * app that opens it cannot save over it, and nothing is taken for the file
 * itself.
 */

/** Copies older than this are removed when the next one is made: an app has long had them open by then. */
const KEEP_SECONDS = 24 * 3600;

/**
 * Removes the copies made more than a day ago: the runtime folder is often
 * in memory, and a person who looks at many files in a long session should
 * not fill it. Only folders of ours (a copy each, made here), never through a link.
 */
function removeOldCopies(base: Gio.File): void {
  const before = GLib.get_real_time() / 1e6 - KEEP_SECONDS;
  const flags = Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS;
  const remove = (folder: Gio.File) => {
    const inside = folder.enumerate_children('standard::name,standard::type', flags, null);
    for (let info = inside.next_file(null); info; info = inside.next_file(null)) {
      const child = folder.get_child(info.get_name());
      if (info.get_file_type() === Gio.FileType.DIRECTORY) remove(child);
      else child.delete(null);
    }
    inside.close(null);
    folder.delete(null);
  };
  try {
    const copies = base.enumerate_children('standard::name,standard::type,time::modified', flags, null);
    for (let info = copies.next_file(null); info; info = copies.next_file(null)) {
      if (info.get_file_type() !== Gio.FileType.DIRECTORY || info.get_attribute_uint64('time::modified') > before) continue;
      try {
        remove(base.get_child(info.get_name()));
      } catch {
        // One that cannot be removed now is tried again with the next copy.
      }
    }
    copies.close(null);
  } catch {
    // Nothing to remove.
  }
}

/** Makes a new private folder for one copy, after removing old ones; its path. */
export function privateCopyFolder(): string {
  const base = GLib.build_filenamev([GLib.get_user_runtime_dir(), 'rewind-copies']);
  if (GLib.mkdir_with_parents(base, 0o700) !== 0) throw new Error(`could not make ${base}`);
  removeOldCopies(Gio.File.new_for_path(base));
  const folder = Gio.File.new_for_path(GLib.build_filenamev([base, GLib.uuid_string_random()]));
  // Fails if the name exists already: the folder is always a new one.
  folder.make_directory(null);
  folder.set_attribute_uint32('unix::mode', 0o700, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  return folder.get_path()!;
}

/**
 * Makes the copy read-only, after checking it is a plain file (not a link
 * that the app would follow); the copy as a Gio.File.
 */
export function readOnlyCopy(path: string): Gio.File {
  const file = Gio.File.new_for_path(path);
  const info = file.query_info('standard::type', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  if (info.get_file_type() !== Gio.FileType.REGULAR) throw new Error(`${path} is not a regular file`);
  file.set_attribute_uint32('unix::mode', 0o400, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
  return file;
}

/**
 * Opens a file in the default app for its type (through the OpenURI portal
 * where the app runs in a sandbox, as GIO does by itself there).
 */
export function launchDefault(file: Gio.File): Promise<void> {
  const context = Gdk.Display.get_default()?.get_app_launch_context() ?? null;
  return new Promise((resolve, reject) => {
    Gio.AppInfo.launch_default_for_uri_async(file.get_uri(), context, null, (_source, result) => {
      try {
        Gio.AppInfo.launch_default_for_uri_finish(result);
        resolve();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
