import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import type { Destination } from '../../core/config';
import { destinationName } from '../../core/destination-name';
import type { RetentionPolicy } from '../../core/retention-policy';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import type { PreferencesModel } from './preferences-model';

/** A destination's own choice: like the others (no policy of its own), or one of the named ones. */
export const OWN_CHOICES = ['default', 'time-machine', 'frugal', 'keep-all'] as const;
export type OwnChoice = (typeof OWN_CHOICES)[number] | 'custom';

/** The choice a destination's configuration makes. */
export function ownChoice(d: Destination): OwnChoice {
  return d.retention ? d.retention.preset : 'default';
}

function choiceWords(choice: OwnChoice): string {
  switch (choice) {
    case 'default':
      return _('Like the other destinations');
    case 'time-machine':
      return _('Long history');
    case 'frugal':
      return _('Small disk');
    case 'keep-all':
      return _('Everything');
    case 'custom':
      // Written in the configuration file: shown, and kept until another choice is made.
      return _('Custom, as set in the configuration');
  }
}

/**
 * Preferences, Old Backups: how long each destination keeps its backups,
 * when it is not like the others (a small USB disk beside a large server).
 * One row per destination, its choice as the row's subtitle, which wraps.
 * A change is saved at once (`prefs.destination-retention`).
 */
export class DestinationRetentionGroup {
  readonly group = new Adw.PreferencesGroup({
    title: _('Each destination'),
    description: _('A destination can keep its backups for a shorter or longer time than the others, such as a small disk beside a large one.'),
  });
  private _rows: Adw.ComboRow[] = [];
  private _showing = false;

  constructor(private readonly _model: PreferencesModel) {}

  show(destinations: readonly Destination[]): void {
    this._showing = true;
    for (const row of this._rows.splice(0)) this.group.remove(row);
    this.group.visible = destinations.length > 1;
    for (const d of destinations) {
      const current = ownChoice(d);
      const choices: OwnChoice[] = current === 'custom' ? [...OWN_CHOICES, 'custom'] : [...OWN_CHOICES];
      const row = new Adw.ComboRow({ title: escapeMarkup(destinationName(d)), use_subtitle: true, model: Gtk.StringList.new(choices.map(choiceWords)) });
      row.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('How long %s keeps backups'), destinationName(d))]);
      row.selected = choices.indexOf(current);
      row.connect('notify::selected', () => {
        const choice = choices[row.selected];
        if (this._showing || choice === undefined || choice === 'custom' || choice === current) return;
        this._model.setDestinationRetention(d.id, choice === 'default' ? undefined : ({ preset: choice } as RetentionPolicy));
      });
      this.group.add(row);
      this._rows.push(row);
    }
    this._showing = false;
  }
}
