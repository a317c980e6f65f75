import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { exportActionGroup } from '../action-groups';
import { escapeMarkup } from '../format';
import type { HelperClient } from '../helper-client';
import { _ } from '../i18n';
import { DestinationsPage } from './destinations-page';
import { GeneralPage } from './general-page';
import { PreferencesModel } from './preferences-model';
import { RetentionPage } from './retention-page';
import { WhatPreferencesPage } from './what-page';

/**
 * Preferences: a view of a PreferencesModel, read from GetConfig and saved
 * with SetConfig at each change, in four pages. The model's `prefs`
 * actions are inserted on the window and exported while it is open.
 */
export class PreferencesWindow extends Adw.PreferencesWindow {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesWindow' }, this);
  }

  constructor(parent: Gtk.Window, client: HelperClient) {
    super({ transient_for: parent, application: parent.application, modal: false, title: _('Preferences'), default_width: 600, default_height: 640, search_enabled: false });
    const model = new PreferencesModel(client);
    const pages = { general: new GeneralPage(model), what: new WhatPreferencesPage(model, client), destinations: new DestinationsPage(model), retention: new RetentionPage(model) };
    for (const [name, page] of Object.entries(pages)) {
      page.name = name;
      this.add(page);
    }
    // prefs.show-page NAME (general, what, destinations, retention): what the page switcher does.
    const showPage = new Gio.SimpleAction({ name: 'show-page', parameter_type: new GLib.VariantType('s') });
    showPage.connect('activate', (_a, parameter: GLib.Variant | null) => {
      const name = parameter?.unpack() as string | undefined;
      if (name && name in pages) this.visible_page_name = name;
    });
    model.actions.add_action(showPage);
    this.insert_action_group('prefs', model.actions);
    const unexport = parent.application ? exportActionGroup(parent.application, 'prefs', model.actions) : () => undefined;
    model.connect('toast', (_m, title: string, timeout: number) => this.add_toast(new Adw.Toast({ title: escapeMarkup(title), timeout })));
    this.connect('close-request', () => {
      model.close();
      unexport();
      return false;
    });
    void model.load();
  }
}
