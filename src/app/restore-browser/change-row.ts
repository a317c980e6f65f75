import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { ChangeAspect, Change } from '../../core/send-stream/changes';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { mnemonicButton } from '../widgets';

function kindLabel(kind: Change['kind']): string {
  switch (kind) {
    case 'created':
      return _('Created');
    case 'modified':
      return _('Modified');
    case 'renamed':
      return _('Renamed');
    case 'deleted':
      return _('Deleted');
  }
}

const KIND_STYLE: Record<Change['kind'], string> = { created: 'success', modified: 'accent', renamed: 'warning', deleted: 'error' };

function aspectLabel(aspect: ChangeAspect): string {
  switch (aspect) {
    case 'data':
      return _('content');
    case 'metadata':
      return _('permissions');
    case 'xattrs':
      return _('attributes');
    case 'times':
      return _('times');
  }
}

function details(change: Change): string {
  if (change.kind === 'renamed' && change.from !== undefined) return fmt(_('Was %s'), change.from);
  // Translators: what changed in a file, e.g. "Changed: content, permissions".
  if (change.changed?.length) return fmt(_('Changed: %s'), change.changed.map(aspectLabel).join(', '));
  if (change.kind === 'deleted') return _('Deleted since the previous restore point, which still has it');
  return change.type === 'dir' ? _('Folder') : '';
}

/**
 * One line of "What changed": the kind of change as a coloured tag, the path
 * and what changed about it. A row of something in this point opens its folder.
 */
export class ChangeRow extends Adw.ActionRow {
  static {
    GObject.registerClass({ GTypeName: 'RewindChangeRow' }, this);
  }

  readonly change: Change;

  constructor(change: Change) {
    const subtitle = details(change);
    super({ title: escapeMarkup(change.path), subtitle: escapeMarkup(subtitle), activatable: change.kind !== 'deleted' });
    this.change = change;
    const tag = new Gtk.Label({ label: kindLabel(change.kind), valign: Gtk.Align.CENTER, width_chars: 9, css_classes: ['caption-heading', KIND_STYLE[change.kind]] });
    this.add_prefix(tag);
    if (change.kind !== 'deleted') {
      this.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
      this.tooltip_text = _('Show in its folder');
    } else {
      // Not in this point, so nothing to show here: what a user wants is it back.
      const restore = mnemonicButton({
        label: _('_Restore'),
        valign: Gtk.Align.CENTER,
        action_name: 'browser.restore-deleted',
        action_target: new GLib.Variant('s', change.path),
        tooltip_text: _('Put it back where it was, from the previous restore point'),
      });
      restore.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Restore %s'), change.path)]);
      this.add_suffix(restore);
    }
  }
}
