import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { foundFolder, isOnServer, type Discovery, type FoundBackups } from '../../core/discovery';
import { closeOnEscape } from '../close-on-escape';
import { escapeMarkup } from '../format';
import type { Failure } from '../helper-call';
import type { HelperClient } from '../helper-client';
import { _, fmt } from '../i18n';
import { trace } from '../trace';
import { watchDisks } from '../disk-watch';
import { computerOf, describeFound, keepNote, labelsOf } from './found-words';
import { PointsPage } from './points-page';
import { RestoreProgressPage } from './restore-progress-page';
import { ServerSearch, type ServerPage } from './server-search';
import { mnemonicButton } from '../widgets';

function failureText(failure: Failure): string {
  if (failure.kind === 'error') return failure.message;
  if (failure.kind === 'unreachable') return _('The backup helper is not available. Install the rewind-helper package.');
  return _('The system’s policy does not allow this account to do this.');
}

type Page = 'found' | 'point' | 'confirm' | 'working' | 'done' | ServerPage;

/**
 * Restore from a Backup with no configuration (the welcome page): the
 * backups on the connected disks (DiscoverBackups; a disk plugged in looks
 * again) or on a server (./server-search), one computer's restore points
 * (./points-page), then either its files in the restore browser or
 * everything back (RestoreHome) after a page that says what is replaced and
 * what is kept, and "Keep Backing Up to This Disk", which saves a
 * configuration that goes on in the same folder. A server's entries go the
 * same way as a disk's (the helper takes their ids as it takes a disk's),
 * but for keeping on backing up there, which the server does not allow yet.
 * The `recover` group's actions do what the buttons do, for the tests.
 */
export class RecoveryWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindRecoveryWindow' }, this);
  }

  private _client: HelperClient;
  private _stack = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.SLIDE_LEFT_RIGHT, vexpand: true });
  private _spinner = new Gtk.Spinner({ spinning: true });
  private _foundPage = new Adw.PreferencesPage();
  private _foundGroups: Adw.PreferencesGroup[] = [];
  private _points = new PointsPage();
  private _confirm = new Adw.StatusPage({ icon_name: 'dialog-warning-symbolic' });
  private _working = new RestoreProgressPage();
  private _done = new Adw.StatusPage({ icon_name: 'emblem-ok-symbolic' });
  private _keepButton = mnemonicButton({ label: _('_Keep Backing Up to This Disk'), css_classes: ['pill', 'suggested-action'], halign: Gtk.Align.CENTER });
  private _keepNote = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER, max_width_chars: 60, css_classes: ['dim-label'] });
  private _back = new Gtk.Button({ icon_name: 'go-previous-symbolic', tooltip_text: _('Back'), visible: false });
  private _discovery: Discovery | null = null;
  private _server: ServerSearch;
  /** Whether the whole home came back from the chosen backups: the next backup then goes on from them. */
  private _restoredAll = false;
  /** The whole restore stopped (cancelled or failed): Back goes to the points again. */
  private _stopped = false;
  private _looking = false;
  /** Stops watching disks come and go (../disk-watch). */
  private _stopWatching: () => void = () => undefined;
  readonly actions = new Gio.SimpleActionGroup();

  constructor(parent: Gtk.Window, client: HelperClient) {
    super({ transient_for: parent, application: parent.application, modal: true, default_width: 600, default_height: 640, width_request: 360, title: _('Restore from a Backup') });
    this._client = client;
    const header = new Adw.HeaderBar();
    header.pack_start(this._back);
    header.pack_end(this._spinner);
    this._back.connect('clicked', () => this._goBack());
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._stack);
    this.set_content(content);
    closeOnEscape(this);

    this._stack.add_named(this._foundPage, 'found');
    this._stack.add_named(this._points.widget, 'point');
    this._stack.add_named(this._confirm, 'confirm');
    this._stack.add_named(this._working.widget, 'working');
    this._stack.add_named(this._done, 'done');
    const server = (this._server = new ServerSearch({
      client,
      actions: this.actions,
      show: (page) => this._show(page),
      busy: (on) => (this._spinner.visible = on),
      describe: describeFound,
      failureText,
    }));
    for (const [name, page] of server.pages) this._stack.add_named(page, name);
    const confirmButtons = new Gtk.Box({ spacing: 12, halign: Gtk.Align.CENTER });
    confirmButtons.append(mnemonicButton({ label: _('_Cancel'), css_classes: ['pill'], action_name: 'recover.back' }));
    confirmButtons.append(mnemonicButton({ label: _('_Restore Everything'), css_classes: ['pill', 'destructive-action'], action_name: 'recover.confirm' }));
    this._confirm.set_child(confirmButtons);
    const doneBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, halign: Gtk.Align.CENTER });
    this._keepButton.action_name = 'recover.keep';
    doneBox.append(this._keepNote);
    doneBox.append(this._keepButton);
    doneBox.append(mnemonicButton({ label: _('_Close'), css_classes: ['pill'], halign: Gtk.Align.CENTER, action_name: 'recover.close' }));
    this._done.set_child(doneBox);

    this._addAction('look', false, () => void this._look());
    this._addAction('choose', true, (id) => this._choose(id));
    this._addAction('point', true, (name) => this._points.choose(name, this._keepOffered()));
    this._addAction('key', true, (key) => (this._points.key = key));
    this._addAction('browse', false, () => this._browse());
    this._addAction('restore-all', false, () => this._askRestoreAll());
    this._addAction('confirm', false, () => void this._restoreAll());
    this._addAction('cancel', false, () => void this._cancelRestore());
    this._addAction('keep', false, () => void this._keep());
    this._addAction('back', false, () => this._goBack());
    this._addAction('close', false, () => this.close());
    this.insert_action_group('recover', this.actions);

    // A disk plugged in, or taken out, while the list is open: look again.
    this._stopWatching = watchDisks(() => void this._look());
    this.connect('close-request', () => {
      // Closed while it runs: the restore stops, as Cancel stops it.
      if (this._stack.visible_child_name === 'working') void this._cancelRestore();
      this._working.stop();
      this._stopWatching();
      return false;
    });
    this._show('found');
    void this._look();
  }

  private _addAction(name: string, withString: boolean, activate: (value: string) => void): void {
    const action = new Gio.SimpleAction({ name, ...(withString ? { parameter_type: new GLib.VariantType('s') } : {}) });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
    this.actions.add_action(action);
  }

  private _show(page: Page): void {
    this._stack.visible_child_name = page;
    this._back.visible = page === 'point' || page === 'confirm' || (page === 'done' && this._stopped) || page.startsWith('server-');
    trace(`recover page ${page}`);
  }

  private _goBack(): void {
    const page = this._stack.visible_child_name as Page;
    if (page === 'confirm') this._show('point');
    else if (page === 'point') this._show(this._chosen && isOnServer(this._chosen) ? 'server-found' : 'found');
    else if (page === 'done' && this._stopped) this._show('point');
    else if (page === 'server-ask') this._show('found');
    else if (page.startsWith('server-')) this._show('server-ask');
  }

  private _clear(page: Adw.PreferencesPage, groups: Adw.PreferencesGroup[]): void {
    for (const group of groups.splice(0)) page.remove(group);
  }

  private _group(page: Adw.PreferencesPage, groups: Adw.PreferencesGroup[], title: string, description?: string): Adw.PreferencesGroup {
    const group = new Adw.PreferencesGroup({ title: escapeMarkup(title), ...(description ? { description: escapeMarkup(description) } : {}) });
    page.add(group);
    groups.push(group);
    return group;
  }

  private async _look(): Promise<void> {
    if (this._looking) return;
    this._looking = true;
    this._spinner.visible = true;
    try {
      this._discovery = await this._client.call('DiscoverBackups');
      trace(`recover found ${this._discovery.found.length}`);
      this._showFound();
    } catch (e) {
      trace(`recover failed ${(e as Failure).code}`);
      this._clear(this._foundPage, this._foundGroups);
      this._group(this._foundPage, this._foundGroups, _('Could not look for backups'), failureText(e as Failure));
    } finally {
      this._looking = false;
      this._spinner.visible = false;
    }
  }

  private _showFound(): void {
    const discovery = this._discovery!;
    this._clear(this._foundPage, this._foundGroups);
    if (discovery.found.length === 0) {
      const group = this._group(
        this._foundPage,
        this._foundGroups,
        _('No backups found'),
        _('None of the connected disks has backups made by Rewind. Connect the disk your backups are on; it is looked at as soon as it is connected.'),
      );
      group.add(mnemonicButton({ label: _('_Look Again'), halign: Gtk.Align.START, action_name: 'recover.look' }));
    }
    const byDisk = new Map<string, FoundBackups[]>();
    for (const found of discovery.found) byDisk.set(found.disk.name, [...(byDisk.get(found.disk.name) ?? []), found]);
    for (const [disk, founds] of byDisk) {
      const group = this._group(this._foundPage, this._foundGroups, fmt(_('On %s'), disk), _('Choose the computer whose files you want back.'));
      for (const found of founds) {
        const row = new Adw.ActionRow({ title: escapeMarkup(computerOf(found)), subtitle: escapeMarkup(describeFound(found)), activatable: true, action_name: 'recover.choose' });
        row.set_action_target_value(new GLib.Variant('s', found.id));
        row.add_prefix(new Gtk.Image({ icon_name: 'computer-symbolic' }));
        row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
        group.add(row);
      }
    }
    if (discovery.problems.length > 0) this._group(this._foundPage, this._foundGroups, _('Some disks could not be read'), discovery.problems.join('\n'));
    const server = this._group(this._foundPage, this._foundGroups, _('Backups on a server'), _('A server is looked at when you name it.'));
    server.add(mnemonicButton({ label: _('Backups on a _Server…'), halign: Gtk.Align.START, action_name: 'recover.server' }));
  }

  /** The entry `id`, from the disks' list or the server's. */
  private _choose(id: string): void {
    const found = this._discovery?.found.find((f) => f.id === id) ?? this._server.found(id);
    if (!found) return;
    this._restoredAll = false;
    this._points.show(found, this._keepOffered(found));
    this._show('point');
  }

  private get _chosen(): FoundBackups | null {
    return this._points.found;
  }

  private get _point(): string | null {
    return this._points.point;
  }

  /**
   * Whether Keep backing up is offered for `found`: for a disk's backups. A
   * server lets a fresh install's key only read there (accept-key
   * --read-only), and the helper refuses to save it (./found-words keepNote).
   */
  private _keepOffered(found: FoundBackups | null = this._chosen): boolean {
    // Nor for an old system disk's snapshots: they are no backups, and the helper only reads that disk.
    return found !== null && !isOnServer(found) && found.kind !== 'snapshots';
  }

  /** The recovery key typed, when the backups are encrypted. */
  private _key(): { recoveryKey?: string } {
    return this._points.key;
  }

  private _browse(): void {
    const found = this._chosen;
    if (!found || !this._point) return;
    const point = { from: found.id, snapshot: this._point, source: foundFolder(found)!.folder, where: found.disk.name, ...this._key() };
    this.application?.activate_action('browse-point', new GLib.Variant('s', JSON.stringify(point)));
  }

  private _askRestoreAll(): void {
    const found = this._chosen;
    if (!found || !this._point) return;
    const folder = foundFolder(found)!.folder;
    this._confirm.title = found.kind === 'snapshots' ? fmt(_('Replace %s with the files of the time you chose?'), folder) : fmt(_('Replace %s with the backup of %s?'), folder, found.host);
    this._confirm.description = escapeMarkup(
      fmt(
        _('Everything in %s will be as it was at the time you chose (%s). What %s holds now is kept on this computer, beside it, until you delete it. The restored files are in use from the next time you start the computer.'),
        folder,
        labelsOf(found).get(this._point)!,
        folder,
      ),
    );
    this._show('confirm');
  }

  private async _restoreAll(): Promise<void> {
    const found = this._chosen;
    if (!found || !this._point) return;
    this._stopped = false;
    this._show('working');
    this._working.start();
    try {
      const restored = await this._client.call('RestoreHome', { from: found.id, snapshot: this._point, source: foundFolder(found)!.folder, ...this._key() });
      this._restoredAll = true;
      trace('recover restored all');
      this._done.icon_name = 'emblem-ok-symbolic';
      this._done.title = _('Your Files Are Back');
      // On a fresh install an account may have another number than on the old computer: the helper gave each person's files to their account here.
      const given = restored.owners?.given ?? [];
      const kept = restored.owners?.kept ?? [];
      this._done.description = escapeMarkup(
        [
          fmt(_('Restart the computer to use them. What %s held before is kept beside it until you delete it.'), foundFolder(found)!.folder),
          [
            ...(given.length > 0 ? [fmt(_('The files of %s now belong to the account of the same name on this computer.'), given.join(', '))] : []),
            ...(kept.length > 0 ? [fmt(_('The files of %s keep the owner they had on the old computer: no account on this computer can take them over.'), kept.join(', '))] : []),
          ].join(' '),
        ]
          .filter((part) => part !== '')
          .join('\n\n'),
      );
      this._keepNote.label = keepNote(found);
      this._keepButton.visible = this._keepOffered();
      this._show('done');
    } catch (e) {
      const failure = e as Failure;
      trace(`recover restore failed ${failure.code}`);
      const cancelled = failure.code === 'Cancelled';
      this._stopped = true;
      this._done.icon_name = cancelled ? 'process-stop-symbolic' : 'dialog-warning-symbolic';
      this._done.title = cancelled ? _('Restore Cancelled') : _('Could Not Restore Everything');
      this._done.description = escapeMarkup(
        cancelled
          ? _('Your home folders were not changed, and nothing of the restore was kept.')
          : // A wrong key is refused before anything is received, and its words say so already.
            failure.code === 'WrongKey'
            ? failureText(failure)
            : `${failureText(failure)} ${_('Your home folders were not changed.')}`,
      );
      this._keepNote.label = '';
      this._keepButton.visible = false;
      this._show('done');
    } finally {
      this._working.stop();
    }
  }

  /** Stops the running whole restore; RestoreHome then fails with Cancelled, and the done page says so. */
  private async _cancelRestore(): Promise<void> {
    if (this._stack.visible_child_name !== 'working') return;
    this._working.cancelling();
    trace('recover cancelling');
    try {
      await this._client.call('CancelRestore');
    } catch (e) {
      trace(`recover cancel failed ${(e as Failure).code}`);
    }
  }

  private async _keep(): Promise<void> {
    const found = this._chosen;
    if (!found || !this._keepOffered()) return;
    try {
      // The helper makes the configuration from what it found, and keeps the recovery key of encrypted backups as this computer's.
      await this._client.call('KeepBackingUp', { from: found.id, source: foundFolder(found)!.folder, ...this._key() });
      trace(`recover kept ${this._restoredAll ? 'incremental' : 'full'}`);
      this._stopped = false;
      this._done.icon_name = 'emblem-ok-symbolic';
      this._done.title = _('Backups Continue on This Disk');
      this._done.description = escapeMarkup(
        this._restoredAll
          ? fmt(_('This computer backs up to %s, beside the backups already there. The next backup copies only what changed.'), found.disk.name)
          : fmt(_('This computer backs up to %s, beside the backups already there. The first backup copies all your files once.'), found.disk.name),
      );
      this._keepNote.label = '';
      this._keepButton.visible = false;
      this._show('done');
      void this._client.refresh();
    } catch (e) {
      trace(`recover keep failed ${(e as Failure).code}`);
      this._keepNote.label = failureText(e as Failure);
      this._show('done');
    }
  }
}
