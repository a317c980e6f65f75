import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import type { RestoreProgress } from '../../core/contract/recovery-requests';
import { HELPER_BUS_NAME, HELPER_INTERFACE, HELPER_OBJECT_PATH } from '../../core/ids';
import { describeProgressDetail } from '../format';
import { _ } from '../i18n';
import { trace } from '../trace';
import { mnemonicButton } from '../widgets';

/**
 * The page of a running whole restore: a bar with the percentage, how much
 * was read, the rate and the time left (the helper's RestoreProgress
 * signal, followed only while the page runs), and Cancel, which activates
 * `recover.cancel`. Until the helper knows how much there is, the bar pulses.
 */
export class RestoreProgressPage {
  readonly widget = new Adw.StatusPage({
    title: _('Restoring Everything…'),
    description: _('Your current home folders are not changed until the restore is finished. If you cancel, they stay as they are.'),
  });
  private _bar = new Gtk.ProgressBar({ show_text: true, text: '', width_request: 300 });
  private _detail = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER, css_classes: ['dim-label', 'numeric'] });
  private _cancel = mnemonicButton({ label: _('_Cancel'), css_classes: ['pill'], halign: Gtk.Align.CENTER, action_name: 'recover.cancel' });
  private _subscription: number | null = null;
  private _pulse: number | null = null;
  private _percent = -1;

  constructor() {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, halign: Gtk.Align.CENTER });
    box.append(this._bar);
    box.append(this._detail);
    box.append(this._cancel);
    this.widget.set_child(box);
  }

  /** From the start of a restore: the bar pulses until the first percentage. */
  start(): void {
    this.stop();
    this._percent = -1;
    this._bar.fraction = 0;
    this._bar.text = _('Starting…');
    this._detail.label = '';
    this._cancel.sensitive = true;
    this._pulse = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 200, () => {
      this._bar.pulse();
      return GLib.SOURCE_CONTINUE;
    });
    this._subscription = Gio.DBus.system.signal_subscribe(HELPER_BUS_NAME, HELPER_INTERFACE, 'RestoreProgress', HELPER_OBJECT_PATH, null, Gio.DBusSignalFlags.NONE, (_c, _s, _p, _i, _n, parameters) => {
      const [json] = parameters.deep_unpack() as [string];
      try {
        this._show(JSON.parse(json) as RestoreProgress);
      } catch {
        // A malformed report is not worth stopping the restore for.
      }
    });
  }

  /** Cancel was asked for: the button says so until the restore has stopped. */
  cancelling(): void {
    this._cancel.sensitive = false;
    this._bar.text = _('Cancelling…');
  }

  stop(): void {
    if (this._subscription !== null) Gio.DBus.system.signal_unsubscribe(this._subscription);
    this._subscription = null;
    if (this._pulse !== null) GLib.source_remove(this._pulse);
    this._pulse = null;
  }

  private _show(progress: RestoreProgress): void {
    if (!this._cancel.sensitive) return;
    if (typeof progress.fraction === 'number' && Number.isFinite(progress.fraction)) {
      if (this._pulse !== null) GLib.source_remove(this._pulse);
      this._pulse = null;
      const fraction = Math.min(1, Math.max(0, progress.fraction));
      this._bar.fraction = fraction;
      const percent = Math.floor(fraction * 100);
      this._bar.text = `${percent} %`;
      if (percent !== this._percent) trace(`recover progress ${percent}`);
      this._percent = percent;
    }
    this._detail.label = describeProgressDetail({ ...progress, fraction: undefined });
  }
}
