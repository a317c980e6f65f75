import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import { _ } from '../i18n';
import { ScheduleRows } from '../schedule-rows';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { SetupFlow } from './setup-flow';

/** Set Up Backups, step 3: every hour, every day or week at a time, or only when started. */
export class WhenPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupWhenPage' }, this);
  }

  private _flow: SetupFlow;
  private _schedule: ScheduleRows;

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    const group = new Adw.PreferencesGroup({
      title: _('When to back up'),
      description: _('Backups run in the background while the computer is on. A backup missed while it was off runs when it starts again.'),
    });
    const choices: ConstructorParameters<typeof ScheduleRows>[0] = [
      ['hourly', _('Every hour')],
      ['daily', _('Every day')],
      ['weekly', _('Every week')],
      ['manual', _('Only when I start one')],
    ];
    this._schedule = new ScheduleRows(choices, () => flow.setSchedule(this._schedule.schedule()));
    for (const row of this._schedule.rows) group.add(row);
    this.add(group);
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'setup.continue' };
  }

  override refresh(): void {
    this._schedule.show(this._flow.schedule);
  }
}
