import type Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { startFolder } from '../../core/start-folder';
import { exportActionGroup } from '../action-groups';
import type { HelperClient } from '../helper-client';
import { BrowserModel, type PointRef } from './browser-model';
import { RestoreBrowserWindow } from './browser-window';
import { chooseFolder } from './choose-folder';
import { addVersionsActions } from './versions-actions';

/**
 * The restore browser's actions. The timeline's rows, the browser's
 * buttons and the tests (over org.gtk.Actions) all go through these:
 * app.browse-point(PointRef JSON) opens a point; the `browser` group,
 * inserted on the browser window, acts on the open browser:
 * browser.open-folder(path), browser.up, browser.search(pattern),
 * browser.view("files" | "changes"), browser.select(path) toggles a path,
 * browser.restore (to where it was), browser.restore-to (asks for a folder),
 * browser.restore-into(folder), browser.restore-deleted(path) (from the previous point),
 * browser.older and browser.newer (the moment before or after, same folder;
 * disabled at either end of the timeline), browser.versions(path) opens the
 * previous versions of that path (as it is on this computer now),
 * browser.open-copy(path) opens a read-only copy of a file in its default
 * app (./open-copy); browser.every-moment (on or off) searches every
 * moment on this computer and on connected backup disks, browser.open-moment({snapshot, folder, from}) shows a hit's moment. A point's JSON may name the
 * folder to open (`folder`). The versions of one path: ./versions-actions.
 */
export function addRestoreBrowserActions(app: Adw.Application, client: HelperClient): void {
  let window: RestoreBrowserWindow | null = null;
  const group = new Gio.SimpleActionGroup();
  const add = (map: Gio.ActionMap, name: string, withString: boolean, activate: (value: string, browser: RestoreBrowserWindow | null) => void) => {
    const action = new Gio.SimpleAction({ name, ...(withString ? { parameter_type: new GLib.VariantType('s') } : {}) });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate(parameter?.unpack() as string, window));
    map.add_action(action);
  };

  add(app, 'browse-point', true, (json) => {
    // Another point opened from the browser replaces it, beside the same parent.
    const active = app.active_window;
    const parent = active instanceof RestoreBrowserWindow ? active.transient_for : active;
    if (!parent) return;
    const point = JSON.parse(json) as PointRef;
    window?.close();
    const model = new BrowserModel(client, point);
    model.everyMoment = everyMoment.get_state()?.get_boolean() ?? false;
    const opened = new RestoreBrowserWindow(parent, model);
    opened.insert_action_group('browser', group);
    opened.connect('close-request', () => {
      if (window === opened) window = null;
      return false;
    });
    window = opened;
    const enableSteps = () => {
      older.enabled = window === opened && model.neighbour(1) !== undefined;
      newer.enabled = window === opened && model.neighbour(-1) !== undefined;
      // Across time: the moments of a configured folder on this computer (none for backups found after a reinstall).
      everyMoment.enabled = window === opened && model.moments.length > 0;
    };
    model.connect('changed', (_m, what: string) => {
      if (what === 'timeline' || what === 'point') enableSteps();
    });
    enableSteps();
    opened.present();
    // At the person's own home folder in the point, not among everyone's (an administrator as root starts at the top).
    void model.openStart(point.folder ?? startFolder(point.source, GLib.get_home_dir(), GLib.get_user_name() === 'root'));
    void model.loadTimeline();
  });
  add(group, 'open-folder', true, (path, browser) => void browser?.model.openFolder(path));
  add(group, 'up', false, (_v, browser) => browser?.model.up());
  add(group, 'older', false, (_v, browser) => void browser?.model.step(1));
  add(group, 'newer', false, (_v, browser) => void browser?.model.step(-1));
  const older = group.lookup_action('older') as Gio.SimpleAction;
  const newer = group.lookup_action('newer') as Gio.SimpleAction;
  add(group, 'search', true, (pattern, browser) => {
    browser?.showSearch(pattern);
    void browser?.model.find(pattern);
  });
  // The search bar's "Every moment" button: a search across time (SearchMoments), and a hit's moment and folder shown.
  const everyMoment = Gio.SimpleAction.new_stateful('every-moment', null, GLib.Variant.new_boolean(false));
  everyMoment.connect('notify::state', () => void window?.model.setEveryMoment(everyMoment.get_state()?.get_boolean() ?? false));
  group.add_action(everyMoment);
  add(group, 'open-moment', true, (json, browser) => {
    const { snapshot, folder, from } = JSON.parse(json) as { snapshot: string; folder: string; from?: string };
    // The search is over: the hit's folder is shown, in its moment.
    browser?.showSearch('');
    void browser?.model.find('');
    void browser?.model.openMoment(snapshot, folder, from);
  });
  add(group, 'view', true, (name, browser) => browser?.showView(name === 'changes' ? 'changes' : 'files'));
  add(group, 'select', true, (path, browser) => browser?.model.toggle(path));
  add(group, 'restore', false, (_v, browser) => void browser?.model.restore());
  add(group, 'restore-to', false, (_v, browser) => {
    if (browser) chooseFolder(browser, (folder) => void browser.model.restore(folder));
  });
  add(group, 'restore-into', true, (folder, browser) => void browser?.model.restore(folder));
  add(group, 'restore-deleted', true, (path, browser) => void browser?.model.restoreDeleted(path));
  add(group, 'open-copy', true, (path, browser) => void browser?.model.openCopy(path));
  add(group, 'versions', true, (path, browser) => {
    const live = browser?.model.livePath(path);
    if (live !== undefined) app.activate_action('restore-path', new GLib.Variant('s', live));
  });
  exportActionGroup(app, 'browser', group);
  addVersionsActions(app, client);
}
