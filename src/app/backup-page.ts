import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { styleAsProperty } from './compat';
import { describeProgress, describeRun, escapeMarkup, formatWhen } from './format';
import type { HelperClient } from './helper-client';
import { _ } from './i18n';

const PULSE_MS = 150;

/** The main page: how backups stand, Back Up Now, and progress while running. */
export class BackupPage extends Adw.Bin {
  static {
    GObject.registerClass({ GTypeName: 'RewindBackupPage' }, this);
  }

  private _client!: HelperClient;
  // AdwStatusPage is final, so the page wraps one.
  private _page!: Adw.StatusPage;
  private _progressBar!: Gtk.ProgressBar;
  private _lastBackup!: Adw.ActionRow;
  private _destination!: Adw.ActionRow;
  private _lastResult!: Adw.ActionRow;
  private _pulse = 0;

  constructor(client: HelperClient) {
    super();
    this._client = client;
    this._page = new Adw.StatusPage();
    this.set_child(this._page);

    const button = new Gtk.Button({
      label: _('Back Up Now'),
      action_name: 'app.back-up-now',
      halign: Gtk.Align.CENTER,
      css_classes: ['pill', 'suggested-action'],
    });
    this._progressBar = new Gtk.ProgressBar({ show_text: true, visible: false });
    this._lastBackup = this._row(_('Last backup'));
    this._destination = this._row(_('Destination'));
    this._lastResult = this._row(_('Last result'));
    const group = new Adw.PreferencesGroup();
    for (const row of [this._lastBackup, this._destination, this._lastResult]) group.add(row);

    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 24 });
    box.append(button);
    box.append(this._progressBar);
    box.append(group);
    this._page.set_child(box);

    for (const property of ['state', 'status', 'progress']) {
      client.connect(`notify::${property}`, () => this._sync());
    }
    this.connect('unmap', () => this._stopPulse());
    this.connect('map', () => this._sync());
    this._sync();
  }

  private _row(title: string): Adw.ActionRow {
    const row = new Adw.ActionRow({ title });
    styleAsProperty(row);
    return row;
  }

  private _sync(): void {
    const status = this._client.status;
    const running = this._client.state === 'running';
    const lastRun = status?.lastRun;

    if (running) {
      this._page.icon_name = 'emblem-synchronizing-symbolic';
      this._page.title = _('Backing up…');
      this._page.description = escapeMarkup(_('You can keep working while your files are copied.'));
    } else if (!lastRun) {
      this._page.icon_name = 'drive-harddisk-symbolic';
      this._page.title = _('Not backed up yet');
      this._page.description = escapeMarkup(_('Back up now to make the first copy of your files.'));
    } else if (lastRun.ok) {
      this._page.icon_name = 'document-open-recent-symbolic';
      this._page.title = _('Your files are backed up');
      this._page.description = '';
    } else {
      this._page.icon_name = 'dialog-warning-symbolic';
      this._page.title = _('The last backup failed');
      this._page.description = escapeMarkup(_('See the last result below, then try again.'));
    }

    const lastSuccess = status?.lastSuccess;
    this._lastBackup.subtitle = escapeMarkup(lastSuccess ? formatWhen(lastSuccess.finished) : _('Never'));
    const destination = status?.destinations.find((d) => d.enabled);
    this._destination.subtitle = destination ? escapeMarkup(destination.label) : escapeMarkup(_('None'));
    this._lastResult.subtitle = escapeMarkup(describeRun(lastRun));

    this._progressBar.visible = running;
    this._progressBar.text = describeProgress(this._client.progress);
    const fraction = this._client.progress?.fraction;
    if (running && fraction !== undefined) {
      this._stopPulse();
      this._progressBar.fraction = fraction;
    } else if (running) this._startPulse();
    else this._stopPulse();
  }

  // Without an estimate of the total (incremental sends, other phases) the bar pulses.
  private _startPulse(): void {
    if (this._pulse || !this.get_mapped()) return;
    this._pulse = GLib.timeout_add(GLib.PRIORITY_DEFAULT, PULSE_MS, () => {
      this._progressBar.pulse();
      return GLib.SOURCE_CONTINUE;
    });
  }

  private _stopPulse(): void {
    if (!this._pulse) return;
    GLib.source_remove(this._pulse);
    this._pulse = 0;
  }
}
