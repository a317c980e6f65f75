import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { watchDisks } from '../disk-watch';
import { _ } from '../i18n';
import { WizardDialog } from '../wizard/wizard-dialog';
import { PreparePage } from './prepare-page';
import type { SetupFlow } from './setup-flow';
import { SummaryPage } from './summary-page';
import { WhatPage } from './what-page';
import { WhenPage } from './when-page';
import { WherePage } from './where-page';

/**
 * The "Set Up Backups" dialog (or "Add Destination"): a view of SetupFlow,
 * one page per step. Its buttons and rows name the flow's `setup.*` actions.
 * While it is open, disks plugged in or taken out update the list of disks.
 */
export class SetupDialog extends WizardDialog {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupDialog' }, this);
  }

  constructor(parent: Gtk.Window, flow: SetupFlow) {
    const pages = { what: new WhatPage(flow), where: new WherePage(flow), prepare: new PreparePage(flow), when: new WhenPage(flow), summary: new SummaryPage(flow) };
    super(parent, flow, pages, {
      title: flow.mode === 'first-run' ? _('Set Up Backups') : _('Add Destination'),
      group: 'setup',
      width: 600,
      height: 680,
      transition: Gtk.StackTransitionType.SLIDE_LEFT_RIGHT,
      transitionMs: 200,
    });
    // The disks as they are now: one plugged in or taken out while the list is shown is looked at again.
    const stop = watchDisks(() => {
      if (flow.page === 'where' && !flow.busy) void flow.loadDisks();
    });
    this.connect('close-request', () => {
      stop();
      return false;
    });
  }
}
