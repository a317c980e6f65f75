import type Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type { HelperClient } from '../helper-client';
import { BrowserModel, type PointRef } from './browser-model';
import { RestoreBrowserWindow } from './browser-window';
import { chooseFolder } from './choose-folder';

/**
 * The restore browser's app actions. The timeline's rows, the browser's
 * buttons and the tests (over org.gtk.Actions) all go through these:
 * browse-point(PointRef JSON) opens a point; the others act on the open
 * browser: browser-open-folder(path), browser-up, browser-search(pattern),
 * browser-view("files" | "changes"), browser-select(path) toggles a path,
 * browser-restore (to where it was), browser-restore-to (asks for a folder),
 * browser-restore-into(folder), browser-restore-deleted(path) (from the previous point).
 */
export function addRestoreBrowserActions(app: Adw.Application, client: HelperClient): void {
  let window: RestoreBrowserWindow | null = null;
  const add = (name: string, withString: boolean, activate: (value: string, browser: RestoreBrowserWindow | null) => void) => {
    const action = new Gio.SimpleAction({ name, ...(withString ? { parameter_type: new GLib.VariantType('s') } : {}) });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate(parameter?.unpack() as string, window));
    app.add_action(action);
  };

  add('browse-point', true, (json) => {
    // Another point opened from the browser replaces it, beside the same parent.
    const active = app.active_window;
    const parent = active instanceof RestoreBrowserWindow ? active.transient_for : active;
    if (!parent) return;
    const point = JSON.parse(json) as PointRef;
    window?.close();
    const model = new BrowserModel(client, point);
    const opened = new RestoreBrowserWindow(parent, model);
    opened.connect('close-request', () => {
      if (window === opened) window = null;
      return false;
    });
    window = opened;
    opened.present();
    void model.openFolder('');
  });
  add('browser-open-folder', true, (path, browser) => void browser?.model.openFolder(path));
  add('browser-up', false, (_v, browser) => browser?.model.up());
  add('browser-search', true, (pattern, browser) => {
    browser?.showSearch(pattern);
    void browser?.model.find(pattern);
  });
  add('browser-view', true, (name, browser) => browser?.showView(name === 'changes' ? 'changes' : 'files'));
  add('browser-select', true, (path, browser) => browser?.model.toggle(path));
  add('browser-restore', false, (_v, browser) => void browser?.model.restore());
  add('browser-restore-to', false, (_v, browser) => {
    if (browser) chooseFolder(browser, (folder) => void browser.model.restore(folder));
  });
  add('browser-restore-into', true, (folder, browser) => void browser?.model.restore(folder));
  add('browser-restore-deleted', true, (path, browser) => void browser?.model.restoreDeleted(path));
}
