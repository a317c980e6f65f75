import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from '../format';
import { _ } from '../i18n';
import type { ViewState } from './browser-model';

/** A view that is loading, shows a list, or shows a message (empty or failed). */
export class StateStack {
  readonly stack = new Gtk.Stack({ vexpand: true, transition_type: Gtk.StackTransitionType.CROSSFADE });
  readonly list = new Gtk.ListBox({ css_classes: ['boxed-list'], selection_mode: Gtk.SelectionMode.NONE, valign: Gtk.Align.START });
  private _message = new Adw.StatusPage({ vexpand: true });

  constructor(listName: string) {
    this.list.update_property([Gtk.AccessibleProperty.LABEL], [listName]);
    const spinner = new Gtk.Spinner({ spinning: true, width_request: 32, height_request: 32, halign: Gtk.Align.CENTER, valign: Gtk.Align.CENTER });
    spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Loading')]);
    this.stack.add_named(spinner, 'loading');
    const clamp = new Adw.Clamp({ maximum_size: 900, child: this.list, margin_top: 12, margin_bottom: 18, margin_start: 12, margin_end: 12 });
    this.stack.add_named(new Gtk.ScrolledWindow({ child: clamp, hscrollbar_policy: Gtk.PolicyType.NEVER }), 'list');
    this.stack.add_named(this._message, 'message');
  }

  show<T>(state: ViewState<T>, rows: (value: T) => Gtk.Widget[], empty: { icon: string; title: string; description: string }): void {
    if (state.kind === 'loading') {
      this.stack.visible_child_name = 'loading';
      return;
    }
    if (state.kind === 'failed') {
      this.say('dialog-warning-symbolic', _('Could not read the restore point'), state.message);
      return;
    }
    for (let child = this.list.get_first_child(); child; child = this.list.get_first_child()) this.list.remove(child);
    const made = rows(state.value);
    for (const row of made) this.list.append(row);
    if (made.length === 0) this.say(empty.icon, empty.title, empty.description);
    else this.stack.visible_child_name = 'list';
  }

  /** A message in place of the list. */
  say(icon: string, title: string, description: string): void {
    this._message.icon_name = icon;
    this._message.title = title;
    this._message.description = escapeMarkup(description);
    this.stack.visible_child_name = 'message';
  }
}
