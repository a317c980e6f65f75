import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { describeKind, describeSchedule, escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { whatSummary } from '../what/what-words';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { SetupFlow } from './setup-flow';
import { infoRow } from '../widgets';

/** Set Up Backups, the last step: what, where and when, and what will happen. */
export class SummaryPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupSummaryPage' }, this);
  }

  private _flow: SetupFlow;
  private _rows: Record<'what' | 'where' | 'when', Adw.ActionRow>;
  private _text: Gtk.Label;
  private _encryption: Adw.PreferencesGroup;

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    const group = new Adw.PreferencesGroup({ title: _('Ready to back up') });
    const row = (title: string) => {
      const r = infoRow({ title });
      group.add(r);
      return r;
    };
    this._rows = { what: row(_('What')), where: row(_('Where')), when: row(_('When')) };
    this._text = new Gtk.Label({ wrap: true, xalign: 0, margin_top: 12 });
    const text = new Adw.PreferencesGroup();
    text.add(this._text);
    // Offered for a new folder or disk written as stream files (the flow's canEncrypt).
    const toggle = new Gtk.Switch({ valign: Gtk.Align.CENTER, action_name: 'setup.encrypt' });
    const encryptRow = new Adw.ActionRow({
      title: _('Encrypt backups'),
      subtitle: _('A recovery key is shown once: keep it, it is needed to restore on another computer.'),
      activatable_widget: toggle,
    });
    encryptRow.add_suffix(toggle);
    this._encryption = new Adw.PreferencesGroup({ visible: false });
    this._encryption.add(encryptRow);
    this.add(group);
    this.add(this._encryption);
    this.add(text);
  }

  override next(): NextButton {
    return { label: this._flow.mode === 'first-run' ? _('_Start Backups') : _('_Add'), action: 'setup.save' };
  }

  override refresh(): void {
    const flow = this._flow;
    const firstRun = flow.mode === 'first-run';
    this._rows.what.subtitle = escapeMarkup(whatSummary(flow.what));
    this._rows.what.visible = firstRun;
    this._rows.when.visible = firstRun;
    const d = flow.destination;
    this._rows.where.subtitle = d ? escapeMarkup(`${flow.destinationText} — ${describeKind(d.kind)}`) : '';
    this._rows.when.subtitle = escapeMarkup(describeSchedule(flow.schedule));
    this._encryption.visible = flow.canEncrypt;
    const lines = [
      `${_('The first backup copies everything in these folders. Later backups copy only what changed.')} ${thinning(flow)}`,
      ...(firstRun ? [_('The first backup starts as soon as you press Start Backups.')] : []),
      flow.schedule.kind === 'manual'
        ? _('Backups run only when you press Back Up Now.')
        : _('Backups run automatically in the background. You can also back up at any time with Back Up Now.'),
    ];
    if (d && flow.keeping) {
      // Translators: %s is the destination's name; setting up again keeps it, and the backups on it.
      lines.push(fmt(_('Backups go on to “%s”, which is already used for backups. The backups on it are kept.'), flow.destinationText));
    } else if (d?.kind === 'btrfs') {
      lines.push(_('Backups go into a folder named “rewind” on the disk. Connect it now and then; Rewind backs up when it is there.'));
    }
    this._text.label = lines.join('\n\n');
  }
}

/** How old backups are thinned out, in the schedule's own terms: a daily schedule makes no hourly backups to keep. */
function thinning(flow: SetupFlow): string {
  const policy = flow.existing?.retention?.destinations;
  if (policy && policy.preset !== 'time-machine') return _('Old backups are thinned out over time, as set in Preferences.');
  switch (flow.schedule.kind) {
    case 'hourly':
      return _('Old backups are thinned out over time: one an hour is kept for a day, one a day for a month, one a week for a year, then one a month.');
    case 'daily':
      return _('Old backups are thinned out over time: one a day is kept for a month, one a week for a year, then one a month.');
    case 'weekly':
      return _('Old backups are thinned out over time: one a week is kept for a year, then one a month.');
    case 'manual':
      return _('Old backups are thinned out over time: all from the last day are kept, then one a day for a month, one a week for a year, then one a month.');
  }
}
