import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { pickFolderToBackUp } from '../what/pick-folder';
import { WhatModel } from '../what/what-model';
import { WhatRows } from '../what/what-rows';
import type { HelperClient } from '../helper-client';
import type { PreferencesModel } from './preferences-model';

/**
 * Preferences, What to Back Up: the same rows as setup's first step
 * (src/app/what), applied and saved at once: a choice that can be backed
 * up is saved (SetConfig), a folder ticked or unticked under Leave out is
 * kept apart or included again (SetFolderApart) and saved with the
 * configuration's `exclude`. Its actions are `prefs.what-choice`, … .
 */
export class WhatPreferencesPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesWhatPage' }, this);
  }

  constructor(model: PreferencesModel, client: HelperClient) {
    super({ title: _('What to Back Up'), icon_name: 'folder-symbolic' });
    const what = new WhatModel(client, 'preferences');
    what.addActions(model.actions);
    // prefs.show-what: this page in front (the tests photograph it).
    const show = new Gio.SimpleAction({ name: 'show-what' });
    show.connect('activate', () => {
      const window = this.get_root();
      if (window instanceof Adw.PreferencesWindow) window.visible_page = this;
    });
    model.actions.add_action(show);
    const rows = new WhatRows(this, what, 'prefs', _('Changes are saved at once and count from the next backup.'));
    what.save = (sources, exclude) => model.setSources(sources, exclude);
    what.connect('changed', () => rows.refresh());
    what.connect('error', (_w, message: string) => {
      if (message) model.emit('toast', message, 0);
    });
    what.connect('pick-folder', () => pickFolderToBackUp(this.get_root() as Gtk.Window | null, (path) => what.addFolder(path)));
    let started = false;
    model.connect('changed', () => {
      const config = model.config;
      if (!config) return;
      if (!started) what.start(config.sources, config.exclude ?? []);
      else what.configured(config.sources, config.exclude ?? []);
      started = true;
    });
    rows.refresh();
  }
}
