import Adw from 'gi://Adw?version=1';
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
    this.add(new GeneralPage(model));
    this.add(new WhatPreferencesPage(model, client));
    this.add(new DestinationsPage(model));
    this.add(new RetentionPage(model));
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
