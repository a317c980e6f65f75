import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { WizardDialog } from '../wizard/wizard-dialog';
import { DonePage } from './done-page';
import { FingerprintPage } from './fingerprint-page';
import { KeyPage } from './key-page';
import { ServerPage } from './server-page';
import type { SshSetupFlow } from './ssh-setup-flow';

/**
 * The "Add Backup Server" dialog: a view of SshSetupFlow, one page per
 * step. Its buttons name the flow's `ssh.*` actions; only the entries write
 * to the flow's fields.
 */
export class SshSetupDialog extends WizardDialog {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshSetupDialog' }, this);
  }

  constructor(parent: Gtk.Window, flow: SshSetupFlow) {
    const pages = { server: new ServerPage(flow), key: new KeyPage(flow), fingerprint: new FingerprintPage(flow), done: new DonePage(flow) };
    super(parent, flow, pages, {
      title: _('Add Backup Server'),
      group: 'ssh',
      width: 560,
      height: 620,
      transition: Gtk.StackTransitionType.CROSSFADE,
      transitionMs: 150,
    });
    const toast = flow.connect('toast', (_f, title: string) => this.toast(title));
    this.connect('close-request', () => {
      flow.disconnect(toast);
      return false;
    });
  }
}
