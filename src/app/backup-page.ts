import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { spaceState, type SpaceState } from '../core/free-space';
import { headline } from '../core/headline';
import type { DestinationSummary, RunRecord } from '../core/status';
import { styleAsProperty } from './compat';
import { describeKind, destinationLabel, describeProgress, describeProgressDetail, describeRunDetail, escapeMarkup, formatNext, formatWhen } from './format';
import type { HelperClient } from './helper-client';
import { _, fmt } from './i18n';
import { notificationPrefs } from './notification-prefs';
import { describeHeadline } from './problems';
import { InventoryModel } from './inventory-model';
import { describeSpaceFreed } from './history-format';
import { trace } from './trace';
import { backupCheckFor, type BackupCheck } from './backup-check';
import { describeLastDrill, drillWentWrong } from './drill-words';
import { infoRow, mnemonicButton } from './widgets';
import { backedUpWords } from './source-name';

const PULSE_MS = 150;

/**
 * A destination's free space: `short` for its row ("120 GB free"), `long`
 * for the overview, which says what to do when the disk is (nearly) full.
 * Empty when the helper does not know.
 */
function describeSpace(d: DestinationSummary, state: SpaceState): { short: string; long: string; warning: boolean } {
  // Translators: free space on a backup disk, such as "120 GB free".
  const free = fmt(_('%s free'), GLib.format_size(d.freeBytes ?? 0));
  switch (state) {
    case 'unknown':
      return { short: '', long: '', warning: false };
    case 'ok':
      // Translators: free space, then the disk: "120 GB free on Blue USB disk".
      return { short: free, long: fmt(_('%s on %s'), free, d.label), warning: false };
    case 'low':
      return {
        short: fmt(_('Almost full, %s'), free),
        // Translators: the disk, then its free space ("1.2 GB free").
        long: fmt(_('%s is almost full (%s). Rewind removes the oldest backups to make room; to keep more, free up space on the disk or use a larger one.'), d.label, free),
        warning: true,
      };
    case 'full':
      return {
        short: fmt(_('Disk is full, %s'), free),
        // Translators: the disk, then its free space ("90 MB free").
        long: fmt(_('%s is full (%s). The next backup may fail: delete other files from the disk, or use a larger one.'), d.label, free),
        warning: true,
      };
  }
}

/**
 * The main page: how backups stand at a glance (last success and where,
 * next run, each destination), Back Up Now and Cancel, live progress, and
 * the runs the helper reports (the last one and the last success).
 */
export class BackupPage extends Adw.Bin {
  static {
    GObject.registerClass({ GTypeName: 'RewindBackupPage' }, this);
  }

  private _client!: HelperClient;
  // AdwStatusPage is final, so the page wraps one.
  private _page!: Adw.StatusPage;
  private _runButtons!: Gtk.Stack;
  private _progressBox!: Gtk.Box;
  private _progressBar!: Gtk.ProgressBar;
  private _progressDetail!: Gtk.Label;
  private _currentFile!: Gtk.Label;
  private _lastBackup!: Adw.ActionRow;
  private _next!: Adw.ActionRow;
  private _what!: Adw.ActionRow;
  private _space!: Adw.ActionRow;
  private _destinations!: Adw.PreferencesGroup;
  private _destinationRows: Gtk.Widget[] = [];
  private _check!: BackupCheck;
  private _checking!: Gtk.Box;
  private _checkResult!: Gtk.Label;
  private _history!: Adw.PreferencesGroup;
  private _historyRows: Gtk.Widget[] = [];
  private _inventory!: InventoryModel;
  private _pulse = 0;
  /** Free-space lines already printed for the tests. */
  private _saidSpace = new Set<string>();
  /** "Last checked" lines already printed for the tests. */
  private _saidChecks = new Set<string>();
  /** The headline last printed for the tests. */
  private _saidHeadline = '';

  constructor(client: HelperClient) {
    super();
    this._client = client;
    this._inventory = new InventoryModel(client);
    this._inventory.connect('changed', () => {
      if (!this._inventory.failure) trace('destinations checked');
      this._sync();
    });
    this._page = new Adw.StatusPage();
    this.set_child(this._page);

    const buttons = new Gtk.Box({ spacing: 12, halign: Gtk.Align.CENTER });
    // One button in one place: Cancel takes Back Up Now's place while a backup runs (the stack keeps the
    // wider one's size, so nothing moves). Not destructive-styled: cancelling loses no backup, the next run
    // picks up from the last finished one.
    this._runButtons = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.NONE });
    this._runButtons.add_named(mnemonicButton({ label: _('_Back Up Now'), action_name: 'app.back-up-now', css_classes: ['pill', 'suggested-action'] }), 'idle');
    this._runButtons.add_named(mnemonicButton({ label: _('_Cancel'), action_name: 'app.cancel-backup', css_classes: ['pill'] }), 'running');
    buttons.append(this._runButtons);
    // Getting files back is the other half of backing up: beside Back Up Now, not only in the menu.
    buttons.append(mnemonicButton({ label: _('_Restore…'), action_name: 'app.restore-points', css_classes: ['pill'], tooltip_text: _('Get back files and folders as they were at an earlier time') }));

    this._progressBar = new Gtk.ProgressBar({ show_text: true });
    this._progressBar.update_property([Gtk.AccessibleProperty.LABEL], [_('Backup progress')]);
    this._progressDetail = new Gtk.Label({ css_classes: ['dim-label', 'numeric'], wrap: true });
    this._currentFile = new Gtk.Label({ css_classes: ['dim-label', 'caption'], ellipsize: 2 /* Pango.EllipsizeMode.MIDDLE */, visible: false });
    this._progressBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6, visible: false });
    for (const w of [this._progressBar, this._progressDetail, this._currentFile]) this._progressBox.append(w);

    this._lastBackup = this._row(_('Last successful backup'));
    this._next = this._row(_('Next backup'));
    this._what = this._row(_('Backing up'));
    this._space = this._row(_('Space left'));
    for (const row of [this._what, this._space]) row.subtitle_lines = 0;
    const overview = new Adw.PreferencesGroup();
    for (const row of [this._lastBackup, this._next, this._what, this._space]) overview.add(row);
    // Check Backups Now: a restore drill of each destination (docs/drills.md); it takes minutes, so its progress and result stay on the page.
    this._check = backupCheckFor(client);
    const checkNow = mnemonicButton({ label: _('_Check Backups Now'), action_name: 'app.check-backups', valign: Gtk.Align.CENTER, css_classes: ['flat'], tooltip_text: _('Restore a sample of files from each backup and compare them with this computer') });
    this._destinations = new Adw.PreferencesGroup({ title: _('Destinations'), header_suffix: checkNow });
    const spinner = new Gtk.Spinner({ spinning: true });
    spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Checking backups')]);
    this._checking = new Gtk.Box({ spacing: 12, visible: false });
    this._checking.append(spinner);
    this._checking.append(new Gtk.Label({ label: _('Checking backups: restoring a sample of files from each destination and comparing them with this computer…'), wrap: true, xalign: 0, css_classes: ['dim-label'] }));
    this._checkResult = new Gtk.Label({ wrap: true, xalign: 0, visible: false, selectable: true });
    const checkBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6, margin_bottom: 6 });
    checkBox.append(this._checking);
    checkBox.append(this._checkResult);
    this._destinations.add(checkBox);
    for (const property of ['checking', 'result']) this._check.connect(`notify::${property}`, () => this._syncCheck());
    const all = mnemonicButton({ label: _('_Show All'), action_name: 'app.history', valign: Gtk.Align.CENTER, css_classes: ['flat'] });
    this._history = new Adw.PreferencesGroup({ title: _('Recent backups'), header_suffix: all });

    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 24 });
    for (const w of [buttons, this._progressBox, overview, this._destinations, this._history]) box.append(w);
    const clamp = new Adw.Clamp({ maximum_size: 560, child: box });
    this._page.set_child(clamp);

    for (const property of ['state', 'status', 'progress']) client.connect(`notify::${property}`, () => this._sync());
    // Reachability: ListRestorePoints opens each destination, so ask when the page shows and after each run.
    client.connect('backup-finished', () => void this._checkDestinations());
    const stopPrefs = notificationPrefs().onChanged(() => this._sync());
    this.connect('destroy', stopPrefs);
    this.connect('unmap', () => this._stopPulse());
    this.connect('map', () => {
      this._sync();
      if (!this._inventory.inventory) void this._checkDestinations();
    });
    this._sync();
  }

  /** By the monitor's rule and the user's Notifications percentage, so the page warns exactly when a notification does. */
  private _spaceState(d: DestinationSummary): SpaceState {
    return spaceState(d.freeBytes, d.sizeBytes, notificationPrefs().get().lowSpacePercent);
  }

  private _row(title: string): Adw.ActionRow {
    const row = infoRow({ title });
    styleAsProperty(row);
    return row;
  }

  private async _checkDestinations(): Promise<void> {
    if (this._client.state === 'ready') await this._inventory.load();
  }

  private _labels(): Map<string, string> {
    return new Map((this._client.status?.destinations ?? []).map((d) => [d.id, d.label]));
  }

  private _sync(): void {
    const status = this._client.status;
    const running = this._client.state === 'running';
    const lastRun = status?.lastRun;
    const labels = this._labels();

    // What the page says now, from the same status as the destination rows (src/core/headline.ts).
    const now = status ? headline({ ...status, running }) : { kind: 'never' as const, cancelled: false };
    const top = describeHeadline(now);
    this._page.icon_name = top.icon;
    this._page.title = top.title;
    this._page.description = escapeMarkup(top.description);
    const said = `headline ${now.kind}: ${top.title} | ${top.description}`;
    if (said !== this._saidHeadline) trace(said);
    this._saidHeadline = said;
    if (!running && lastRun?.historySetAside) {
      // Told once: the next run's record no longer carries it.
      const note = _('The list of earlier backups could not be read, so a new one was started; the old one is kept. Your backups themselves are not affected.');
      this._page.description = [this._page.description, escapeMarkup(note)].filter((t) => t).join('\n');
    }

    const lastSuccess = status?.lastSuccess;
    if (lastSuccess) {
      const where = [...new Set(lastSuccess.transfers.filter((t) => t.ok).map((t) => destinationLabel(labels, t.destination)))];
      this._lastBackup.subtitle = escapeMarkup(
        where.length > 0
          ? // Translators: when, then where: "Today at 14:03, to Blue USB disk".
            fmt(_('%s, to %s'), formatWhen(lastSuccess.finished), where.join(', '))
          : formatWhen(lastSuccess.finished),
      );
    } else {
      this._lastBackup.subtitle = escapeMarkup(_('Never'));
    }
    this._next.subtitle = escapeMarkup(status?.nextRun ? formatNext(status.nextRun) : _('Automatic backups are off; back up when you want to'));
    this._what.subtitle = escapeMarkup(status ? backedUpWords(status) : '');
    const spaces = (status?.destinations ?? [])
      .filter((d) => d.enabled)
      .map((d) => describeSpace(d, this._spaceState(d)))
      .filter((s) => s.long);
    this._space.visible = spaces.length > 0;
    this._space.subtitle = escapeMarkup(spaces.map((s) => s.long).join('\n'));
    if (spaces.some((s) => s.warning)) this._space.add_css_class('warning');
    else this._space.remove_css_class('warning');

    this._showDestinations();
    this._syncCheck();
    this._showHistory(lastRun, lastSuccess, labels);

    this._runButtons.visible_child_name = running ? 'running' : 'idle';
    this._progressBox.visible = running;
    const progress = this._client.progress;
    this._progressBar.text = describeProgress(progress, labels);
    this._progressDetail.label = describeProgressDetail(progress);
    this._progressDetail.visible = this._progressDetail.label !== '';
    this._currentFile.label = progress?.currentPath ?? '';
    this._currentFile.visible = !!progress?.currentPath;
    if (running && typeof progress?.fraction === 'number') {
      this._stopPulse();
      this._progressBar.fraction = progress.fraction;
    } else if (running) this._startPulse();
    else this._stopPulse();
  }

  private _showDestinations(): void {
    for (const row of this._destinationRows) this._destinations.remove(row);
    const destinations = this._client.status?.destinations ?? [];
    this._destinations.visible = destinations.length > 0;
    this._destinationRows = destinations.map((d) => {
      let state: string;
      let icon = 'emblem-ok-symbolic';
      // From the status alone, like the headline, so the two always agree and nothing flashes after a run.
      // Translators: when, such as "last backup: Yesterday at 14:03".
      const last = d.lastBackup ? fmt(_('last backup: %s'), formatWhen(d.lastBackup)) : _('no backup yet');
      if (!d.enabled) {
        state = _('Turned off');
        icon = 'media-playback-pause-symbolic';
      } else if (d.connected === false) {
        // Translators: "Not connected — last backup: Yesterday at 14:03".
        state = fmt(_('Not connected — %s'), last);
        icon = 'drive-harddisk-symbolic';
      } else if (d.connected) {
        state = fmt(_('Connected — %s'), last);
      } else {
        state = d.lastBackup ? fmt(_('Last backup: %s'), formatWhen(d.lastBackup)) : _('No backup yet');
      }
      const spaceNow = this._spaceState(d);
      const space = describeSpace(d, spaceNow);
      if (space.warning && d.enabled) icon = 'dialog-warning-symbolic';
      const checked = d.lastDrill ? describeLastDrill(d.lastDrill) : '';
      if (d.lastDrill && drillWentWrong(d.lastDrill)) icon = 'dialog-warning-symbolic';
      const row = infoRow({ title: escapeMarkup(d.label), subtitle: escapeMarkup([[describeKind(d.kind), state, space.short].filter((s) => s).join(' · '), checked].filter((s) => s).join('\n')) });
      if (checked && !this._saidChecks.has(`${d.id} ${checked}`)) trace(`checked ${d.id}: ${checked}`);
      this._saidChecks.add(`${d.id} ${checked}`);
      const said = `space ${d.id} ${spaceNow} ${d.freeBytes}`;
      if (space.short && !this._saidSpace.has(said)) trace(said);
      this._saidSpace.add(said);
      const image = new Gtk.Image({ icon_name: icon });
      image.update_property([Gtk.AccessibleProperty.LABEL], [state]);
      row.add_prefix(image);
      this._destinations.add(row);
      return row;
    });
  }

  private _syncCheck(): void {
    this._checking.visible = this._check.checking;
    this._checkResult.label = this._check.result;
    this._checkResult.visible = !this._check.checking && this._check.result !== '';
    if (this._check.went_wrong) this._checkResult.add_css_class('warning');
    else this._checkResult.remove_css_class('warning');
  }

  private _showHistory(lastRun: RunRecord | undefined, lastSuccess: RunRecord | undefined, labels: Map<string, string>): void {
    for (const row of this._historyRows) this._history.remove(row);
    // GetStatus carries the last run and the last success; Show All opens the whole history.
    const runs = [lastRun, lastSuccess].filter((r, i, all): r is RunRecord => !!r && all.findIndex((x) => x?.id === r.id) === i);
    this._history.visible = runs.length > 0;
    this._historyRows = runs.map((run) => {
      const row = infoRow({
        title: escapeMarkup(formatWhen(run.finished)),
        // What the run removed for space is told with it, until a newer run replaces it here.
        subtitle: escapeMarkup([describeRunDetail(run, labels), ...(run.spaceFreed ?? []).map((f) => describeSpaceFreed(f, labels))].join('\n')),
      });
      const skipped = run.outcome === 'skipped';
      const postponed = run.outcome === 'postponed';
      const image = skipped
        ? new Gtk.Image({ icon_name: 'drive-harddisk-symbolic' })
        : postponed
          ? new Gtk.Image({ icon_name: 'media-playback-pause-symbolic' })
          : new Gtk.Image({ icon_name: run.ok ? 'emblem-ok-symbolic' : 'dialog-error-symbolic', css_classes: [run.ok ? 'success' : 'error'] });
      image.update_property([Gtk.AccessibleProperty.LABEL], [skipped ? _('Skipped') : postponed ? _('Postponed') : run.ok ? _('Succeeded') : _('Failed')]);
      row.add_prefix(image);
      this._history.add(row);
      return row;
    });
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
