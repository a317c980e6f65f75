import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { RunRecord } from '../core/status';
import { describePostponed, describeResume, escapeMarkup, formatWhen } from './format';
import type { HelperClient } from './helper-client';
import { HistoryModel } from './history-model';
import { describeRunSummary, describeSpaceFreed, describeTransfer } from './history-format';
import { _, fmt, ngettext } from './i18n';
import { problemFor } from './problems';
import { closeOnEscape } from './close-on-escape';
import { trace } from './trace';
import { infoRow, mnemonicButton } from './widgets';

/**
 * Every run the helper remembers (GetHistory), newest first. A run is a row
 * that opens to show each copy (where to, full or incremental, size, time)
 * and any error as the helper wrote it: a sentence that says what to do.
 * With no runs yet it says what will appear here and offers Back Up Now.
 */
export class HistoryWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindHistoryWindow' }, this);
  }

  private _model: HistoryModel;
  private _stack!: Gtk.Stack;
  private _empty!: Adw.StatusPage;
  private _group!: Adw.PreferencesGroup;
  private _rows: Adw.ExpanderRow[] = [];
  private _spinner!: Gtk.Spinner;

  constructor(parent: Gtk.Window, client: HelperClient) {
    super({ transient_for: parent, application: parent.application, modal: false, default_width: 560, default_height: 620, width_request: 360, title: _('Backup History') });
    this._model = new HistoryModel(client);
    this._spinner = new Gtk.Spinner({ spinning: true, visible: false });
    this._model.bind_property('loading', this._spinner, 'visible', GObject.BindingFlags.SYNC_CREATE);
    this._spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Waiting for the backup helper')]);
    const header = new Adw.HeaderBar();
    header.pack_end(this._spinner);

    this._empty = new Adw.StatusPage({
      icon_name: 'document-open-recent-symbolic',
      title: _('No backups yet'),
      description: escapeMarkup(_('Each backup appears here with what it copied, where to and how long it took, and what to do when one fails.')),
    });
    this._empty.set_child(mnemonicButton({ label: _('_Back Up Now'), action_name: 'app.back-up-now', halign: Gtk.Align.CENTER, css_classes: ['pill', 'suggested-action'] }));
    const page = new Adw.PreferencesPage();
    this._group = new Adw.PreferencesGroup();
    page.add(this._group);
    this._stack = new Gtk.Stack({ vexpand: true });
    this._stack.add_named(page, 'runs');
    this._stack.add_named(this._empty, 'empty');

    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._stack);
    this.set_content(content);
    closeOnEscape(this);

    const changed = this._model.connect('changed', () => this._show());
    this.connect('close-request', () => {
      this._model.disconnect(changed);
      this._model.close();
      return false;
    });
    // Load once on screen: under Xvfb without a window manager, an answer that came before the
    // first frame was not drawn until the next event.
    const mapped = this.connect('map', () => {
      this.disconnect(mapped);
      void this._model.load();
    });
  }

  private _show(): void {
    const { runs, total, failure } = this._model;
    if (failure) {
      trace(`history failed ${failure.code}`);
      this._empty.icon_name = 'dialog-error-symbolic';
      this._empty.title = _('Could not read the backup history');
      this._empty.description = escapeMarkup(failure.kind === 'error' ? failure.message : _('The backup helper is not available, or this account may not read its history. Try again later.'));
      this._empty.child.visible = false;
      this._stack.visible_child_name = 'empty';
      return;
    }
    this._showRuns(runs, total);
    trace(`history ${runs.length}`);
    if (runs[0]) trace(`history newest ${describeRunSummary(runs[0], this._model.labels())}`);
  }

  private _showRuns(runs: RunRecord[], total: number): void {
    for (const row of this._rows) this._group.remove(row);
    const labels = this._model.labels();
    this._group.title = fmt(ngettext('%s backup', '%s backups', total), total);
    this._group.description = total > runs.length ? fmt(_('The newest %s are shown.'), runs.length) : '';
    this._rows = runs.map((run) => this._runRow(run, labels));
    // The newest run opens: what the last backup did is what people come to see.
    if (this._rows[0]) this._rows[0].expanded = true;
    for (const row of this._rows) this._group.add(row);
    this._stack.visible_child_name = runs.length > 0 ? 'runs' : 'empty';
  }

  private _runRow(run: RunRecord, labels: Map<string, string>): Adw.ExpanderRow {
    const row = new Adw.ExpanderRow({ title: escapeMarkup(formatWhen(run.finished)), subtitle: escapeMarkup(describeRunSummary(run, labels)) });
    // A skipped run (nothing was connected) and a postponed one (on battery) are neither a success nor a failure.
    const [icon, style, label] = run.ok
      ? ['emblem-ok-symbolic', ['success'], _('Succeeded')]
      : run.outcome === 'skipped'
        ? ['media-eject-symbolic', ['dim-label'], _('Skipped')]
        : run.outcome === 'postponed'
          ? ['media-playback-pause-symbolic', ['dim-label'], _('Postponed')]
          : ['dialog-error-symbolic', ['error'], _('Failed')];
    const image = new Gtk.Image({ icon_name: icon, css_classes: style });
    image.update_property([Gtk.AccessibleProperty.LABEL], [label]);
    row.add_prefix(image);
    const detail = (title: string, subtitle: string, icon?: string) => {
      const r = infoRow({ title: escapeMarkup(title), subtitle: escapeMarkup(subtitle), subtitle_lines: 0 });
      if (icon) r.add_prefix(new Gtk.Image({ icon_name: icon }));
      row.add_row(r);
    };
    if (run.outcome === 'postponed') detail(describePostponed(run.postponed), describeResume(run.postponed), 'media-playback-pause-symbolic');
    // The run's own error first: it is what stopped everything else.
    if (run.error) detail(problemFor(run).title, run.error.message, 'dialog-warning-symbolic');
    for (const p of run.sourceProblems ?? []) detail(p.source, p.error.message, 'folder-symbolic');
    for (const t of run.transfers) {
      // Translators: a folder and where it was copied to ("/home → Blue USB disk").
      detail(fmt(_('%s → %s'), t.source, labels.get(t.destination) ?? t.destination), describeTransfer(t), t.ok && !t.damagedParent ? undefined : 'dialog-warning-symbolic');
    }
    for (const f of run.spaceFreed ?? []) {
      const where = f.side === 'local' ? _('This computer') : (f.destination && labels.get(f.destination)) || _('Backup disk');
      detail(where, describeSpaceFreed(f, labels), 'user-trash-symbolic');
    }
    const removed = (run.pruned ?? []).reduce((n, p) => n + p.removed.length, 0);
    if (removed > 0) detail(_('Old backups'), fmt(ngettext('%s old backup or snapshot removed to keep the disk from filling up', '%s old backups and snapshots removed to keep the disk from filling up', removed), removed));
    if (run.transfers.length === 0 && !run.error && !run.sourceProblems?.length) detail(_('Nothing copied'), _('Snapshots were taken on this computer; no destination was connected.'));
    return row;
  }
}
