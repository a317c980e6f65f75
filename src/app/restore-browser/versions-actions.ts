import type Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { parentOf } from '../../core/browse-request';
import { resolvePathArgument } from '../../core/file-versions';
import { exportActionGroup } from '../action-groups';
import { primaryAction } from '../primary-action';
import type { HelperClient } from '../helper-client';
import { _ } from '../i18n';
import { trace } from '../trace';
import { chooseFolder } from './choose-folder';
import { resolveFolderLinks } from './path-facts';
import { VersionsModel } from './versions-model';
import { VersionsWindow } from './versions-window';

/**
 * "Restore previous versions" of a file or folder.
 * app.restore-path(absolute path) opens the versions window for it (over the
 * main window, which opens first when it is not open), the symbolic links
 * among its folders resolved; app.restore-versions
 * (the desktop entry's action, which GNOME Shell activates with no path)
 * opens the main window and its Restore Points. The `versions` group,
 * inserted on the versions window, acts on it: versions.select(snapshot)
 * chooses the version of that moment, versions.restore (to where it is,
 * the current one kept aside), versions.restore-to (asks for a folder),
 * versions.restore-into(folder), versions.browse(snapshot) opens that moment
 * in the restore browser at the folder that holds the path.
 */
export function addVersionsActions(app: Adw.Application, client: HelperClient): void {
  let window: VersionsWindow | null = null;
  const group = new Gio.SimpleActionGroup();
  const add = (map: Gio.ActionMap, name: string, withString: boolean, activate: (value: string, versions: VersionsWindow | null) => void) => {
    const action = new Gio.SimpleAction({ name, ...(withString ? { parameter_type: new GLib.VariantType('s') } : {}) });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate(parameter?.unpack() as string, window));
    map.add_action(action);
  };

  add(app, 'restore-path', true, (asked) => {
    if (!asked.startsWith('/')) return;
    // Where it really is: a link among its folders leads to the backed-up folder that holds it.
    const path = resolveFolderLinks(asked);
    trace(`versions open ${path}`);
    if (!app.active_window) app.activate();
    const parent = app.get_windows().find((w) => !(w instanceof VersionsWindow)) ?? null;
    window?.close();
    const model = new VersionsModel(client, path);
    const opened = new VersionsWindow(parent, model);
    opened.insert_action_group('versions', group);
    opened.connect('close-request', () => {
      if (window === opened) window = null;
      enableRestore();
      return false;
    });
    window = opened;
    model.connect('changed', () => enableRestore());
    enableRestore();
    opened.present();
    void model.load();
  });
  add(app, 'restore-versions', false, () => {
    if (!app.active_window) app.activate();
    app.activate_action('restore-points', null);
  });
  add(group, 'select', true, (snapshot, versions) => versions?.model.select(snapshot));
  add(group, 'restore', false, (_v, versions) => void versions?.model.restore());
  add(group, 'restore-to', false, (_v, versions) => {
    if (versions) chooseFolder(versions, (folder) => void versions.model.restore(folder));
  });
  add(group, 'restore-into', true, (folder, versions) => void versions?.model.restore(folder));
  add(group, 'browse', true, (snapshot, versions) => {
    const point = versions?.model.pointOf(snapshot);
    if (!point || !versions) return;
    app.activate_action('browse-point', new GLib.Variant('s', JSON.stringify({ ...point, folder: parentOf(versions.model.relative) })));
  });
  const restoring = ['restore', 'restore-to', 'restore-into'].map((name) => group.lookup_action(name) as Gio.SimpleAction);
  // Only with a version chosen, and not while one is being restored.
  const enableRestore = () => {
    for (const action of restoring) action.enabled = window?.model.canRestore ?? false;
  };
  enableRestore();
  exportActionGroup(app, 'versions', group);
}

/** A path as typed on the command line or given by a file manager (a file:// URI). */
function resolveArgument(arg: string): string | undefined {
  if (/^file:/i.test(arg)) return Gio.File.new_for_uri(arg).get_path() ?? undefined;
  return resolvePathArgument(arg, GLib.get_current_dir(), GLib.get_home_dir());
}

/**
 * `rewind --restore [PATH]`: the path is resolved here, in the process
 * that was run (its folder, its "~"), then handed to the running Rewind as
 * app.restore-path (or app.restore-versions without a path), over D-Bus
 * when another process is the primary instance; that process then exits.
 * Call before run().
 */
export function installRestoreOption(app: Gio.Application): void {
  const inPrimary = primaryAction(app);
  app.add_main_option('restore', 0, GLib.OptionFlags.NONE, GLib.OptionArg.NONE, _('Show the previous versions of a file or folder, to restore one'), null);
  app.add_main_option(GLib.OPTION_REMAINING, 0, GLib.OptionFlags.NONE, GLib.OptionArg.FILENAME_ARRAY, '', _('[PATH]'));
  app.connect('handle-local-options', (_app, options: GLib.VariantDict) => {
    const args = options.lookup_value(GLib.OPTION_REMAINING, null)?.get_bytestring_array() ?? [];
    if (!options.contains('restore')) {
      if (args.length === 0) return -1;
      printerr(_('To see the previous versions of a file or folder: rewind --restore PATH'));
      return 2;
    }
    if (args.length > 1) {
      printerr(_('Give one path to --restore.'));
      return 2;
    }
    const path = args.length === 1 ? resolveArgument(args[0]) : undefined;
    return path ? inPrimary('restore-path', new GLib.Variant('s', path)) : inPrimary('restore-versions', null);
  });
}
