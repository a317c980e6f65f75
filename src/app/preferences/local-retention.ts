import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import { DEFAULT_LOCAL_RETENTION, type RetentionPolicy } from '../../core/retention-policy';
import { _ } from '../i18n';
import { trace } from '../trace';
import type { PreferencesModel } from './preferences-model';

/** The named choices for the copies kept on this computer; a custom one is only ever written in the configuration file. */
export const LOCAL_CHOICES = ['frugal', 'time-machine', 'keep-all'] as const;
type LocalChoice = (typeof LOCAL_CHOICES)[number] | 'custom';

/**
 * Preferences, Old Backups: how long the copies kept on this computer (the
 * local snapshots, docs/retention.md) stay, as named choices, each a row
 * with a line that explains it. They live on the disk being backed up, where
 * each holds on to files deleted since, so the shortest is the default.
 * A custom policy from the configuration file is shown, and kept until
 * another choice is made. A change is saved at once (`prefs.local-retention`).
 */
export class LocalRetentionGroup {
  readonly group = new Adw.PreferencesGroup({
    title: _('Copies kept on this computer'),
    description: _('Recent copies of your files are also kept on this computer, so a file can be brought back even without a backup disk. They take room on this computer’s disk, as they keep files you have deleted since.'),
  });
  private _checks = new Map<LocalChoice, Gtk.CheckButton>();
  private _custom: Adw.ActionRow;
  private _showing = false;

  constructor(private readonly _model: PreferencesModel) {
    const choices: Record<LocalChoice, [string, string]> = {
      frugal: [_('Half a year'), _('Keep hourly copies for a day, then daily for a week, weekly for a month and monthly for half a year')],
      'time-machine': [_('Five years'), _('Keep hourly copies for a day, daily for a month, weekly for a year, then monthly for five years; this takes more room')],
      'keep-all': [_('All of them'), _('Never delete copies on this computer, unless its disk runs low on space: then the oldest go first')],
      custom: [_('Custom'), _('As set in the configuration file')],
    };
    let first: Gtk.CheckButton | null = null;
    let custom: Adw.ActionRow | null = null;
    for (const choice of [...LOCAL_CHOICES, 'custom'] as const) {
      const [title, subtitle] = choices[choice];
      const check: Gtk.CheckButton = new Gtk.CheckButton({ valign: Gtk.Align.CENTER, ...(first ? { group: first } : {}) });
      first ??= check;
      check.update_property([Gtk.AccessibleProperty.LABEL], [title]);
      check.connect('toggled', () => {
        if (check.active && !this._showing && choice !== 'custom') this._model.setLocalRetention({ preset: choice } as RetentionPolicy);
      });
      const row = new Adw.ActionRow({ title, subtitle, activatable_widget: check });
      row.add_prefix(check);
      this.group.add(row);
      this._checks.set(choice, check);
      if (choice === 'custom') custom = row;
    }
    this._custom = custom!;
  }

  show(policy: RetentionPolicy | undefined): void {
    this._showing = true;
    const chosen: LocalChoice = (policy ?? DEFAULT_LOCAL_RETENTION).preset;
    // Custom is offered only while the configuration has it: the counts are not edited here.
    this._custom.visible = chosen === 'custom';
    this._checks.get(chosen)!.active = true;
    this._showing = false;
    const on = [...this._checks].find(([, check]) => check.active)?.[0];
    trace(`prefs local retention shows ${on}`);
  }
}
