import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { pickFolderToBackUp } from '../what/pick-folder';
import { notReadyText } from '../what/not-ready-text';
import { WhatRows } from '../what/what-rows';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { SetupFlow } from './setup-flow';

/**
 * Set Up Backups, step 1: what to back up, in the person's terms
 * (src/app/what): their home folder, everyone's, the whole system or
 * folders they pick; what is kept apart inside them; what to leave out.
 * Continue is enabled once the choice can be backed up; until then one
 * sentence above the choices says what to do.
 */
export class WhatPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupWhatPage' }, this);
  }

  private _rows: WhatRows;
  private _flow: SetupFlow;

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    this._rows = new WhatRows(this, flow.what, 'setup', _('Rewind keeps copies of what you choose here. Each backup copies only what changed since the last one.'));
    flow.what.connect('pick-folder', () => pickFolderToBackUp(this.get_root() as Gtk.Window | null, (path) => flow.what.addFolder(path)));
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'setup.continue' };
  }

  override hint(): string {
    const what = this._flow.what;
    return notReadyText(what.choice, what.person, what.listing);
  }

  override focusWidget(): Gtk.Widget {
    return this._rows.entry;
  }

  override refresh(): void {
    this._rows.refresh();
  }
}
