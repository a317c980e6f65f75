import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { parentOf } from '../../core/browse-request';
import type { MomentHit, MomentsSearchResult } from '../../core/moments-search';
import { escapeMarkup } from '../format';
import { _, fmt, ngettext } from '../i18n';
import { pointWhen } from '../timeline-words';
import { entryType } from './entry-row';

/**
 * One hit of a search across time: the name, the newest moment that had it
 * (in the timeline's words, on this computer or only on a backup disk)
 * and its folder. Activating it shows that moment
 * at that folder.
 */
export class MomentHitRow extends Adw.ActionRow {
  static {
    GObject.registerClass({ GTypeName: 'RewindMomentHitRow' }, this);
  }

  readonly hit: MomentHit;

  constructor(hit: MomentHit) {
    const folder = parentOf(hit.entry.path);
    const inFolder = folder === '' ? _('the top folder') : folder;
    const where = hit.from
      ? // Translators: as "%s · in %s", for a moment this computer no longer keeps and that a backup disk still has.
        fmt(_('%s · in %s · only on a backup disk'), pointWhen(hit.snapshot), inFolder)
      : // Translators: a name found in an earlier moment: the moment, e.g. "Yesterday 09:12", then the folder it was in.
        fmt(_('%s · in %s'), pointWhen(hit.snapshot), inFolder);
    super({ title: escapeMarkup(hit.entry.name), subtitle: escapeMarkup(where), activatable: true });
    this.hit = hit;
    const type = entryType(hit.entry);
    const icon = new Gtk.Image({ gicon: type.icon, tooltip_text: type.label });
    icon.update_property([Gtk.AccessibleProperty.LABEL], [type.label]);
    this.add_prefix(icon);
    this.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    this.tooltip_text = _('Show this moment, in this folder');
  }
}

/** The line above the hits: how far the search got when a bound stopped it. */
export function momentsCaption(pattern: string, result: MomentsSearchResult | undefined): string {
  if (result?.truncated) return fmt(ngettext('The first %s name containing “%s”, in every moment', 'The first %s names containing “%s”, in every moment', result.hits.length), result.hits.length, pattern);
  if (result && result.searched < result.moments) {
    // Translators: a search across time that ran out of time: "Names containing “plan” in the newest 120 of 200 moments".
    return fmt(ngettext('Names containing “%s” in the newest %s of %s moment', 'Names containing “%s” in the newest %s of %s moments', result.moments), pattern, result.searched, result.moments);
  }
  // Short, to fit beside the time; the button's tooltip says which backups are not searched.
  return fmt(_('Names containing “%s” in every moment here and on backup disks'), pattern);
}
