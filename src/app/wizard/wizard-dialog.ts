import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { closeOnEscape } from '../close-on-escape';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import type { WizardModel } from './wizard-model';
import type { WizardPage } from './wizard-page';
import { mnemonicButton } from '../widgets';

export interface WizardDialogOptions {
  title: string;
  /** The name the model's action group has on this window: `setup`, `ssh`. */
  group: string;
  width: number;
  height: number;
  transition: Gtk.StackTransitionType;
  transitionMs: number;
}

/**
 * The dialog shell of a wizard: a header with Cancel, or Back and a close
 * button that cancels, the title with
 * "Step x of N", the spinner while the helper answers and the page's main
 * button; below it, one page per step. It is a view of a WizardModel: the
 * model's actions are inserted on the window, the buttons name them.
 */
export class WizardDialog extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindWizardDialog' }, this);
  }

  private _model!: WizardModel;
  private _pages!: Record<string, WizardPage>;
  private _stack!: Gtk.Stack;
  private _toasts!: Adw.ToastOverlay;
  private _title!: Adw.WindowTitle;
  private _back!: Gtk.Button;
  private _cancel!: Gtk.Button;
  private _close!: Gtk.Button;
  private _next!: Gtk.Button;
  private _spinner!: Gtk.Spinner;

  constructor(parent: Gtk.Window, model: WizardModel, pages: Record<string, WizardPage>, options: WizardDialogOptions) {
    super({ transient_for: parent, application: parent.application, modal: true, default_width: options.width, default_height: options.height, width_request: 360, title: options.title });
    this._model = model;
    this._pages = pages;
    this.insert_action_group(options.group, model.actions);

    this._title = new Adw.WindowTitle({ title: options.title });
    this._back = new Gtk.Button({ icon_name: 'go-previous-symbolic', action_name: `${options.group}.back`, tooltip_text: _('Back') });
    this._back.update_property([Gtk.AccessibleProperty.LABEL], [_('Back')]);
    this._cancel = mnemonicButton({ label: _('_Cancel'), action_name: `${options.group}.cancel` });
    // Where Back takes Cancel's place, the header ends with a close button that cancels.
    this._close = new Gtk.Button({ icon_name: 'window-close-symbolic', action_name: `${options.group}.cancel`, tooltip_text: _('Cancel'), css_classes: ['flat'] });
    this._close.update_property([Gtk.AccessibleProperty.LABEL], [_('Cancel')]);
    this._next = mnemonicButton({ css_classes: ['suggested-action'] });
    this._spinner = new Gtk.Spinner({ spinning: true, visible: false });
    this._spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Waiting for the backup helper')]);
    const header = new Adw.HeaderBar({ title_widget: this._title, show_end_title_buttons: false, show_start_title_buttons: false });
    header.pack_start(this._cancel);
    header.pack_start(this._back);
    header.pack_end(this._close);
    header.pack_end(this._next);
    header.pack_end(this._spinner);

    this._stack = new Gtk.Stack({ transition_type: options.transition, transition_duration: options.transitionMs, vexpand: true });
    for (const [name, page] of Object.entries(pages)) this._stack.add_named(page, name);
    this._toasts = new Adw.ToastOverlay({ child: this._stack });
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._toasts);
    this.set_content(content);
    closeOnEscape(this);

    const handlers = [
      ...['busy', 'error-message'].map((property) => model.connect(`notify::${property}`, () => this._sync())),
      model.connect('notify::page', () => {
        this._refresh();
        this._sync();
      }),
      model.connect('changed', () => this._refresh()),
      model.connect('cancelled', () => this.close()),
    ];
    this.connect('close-request', () => {
      for (const id of handlers.splice(0)) model.disconnect(id);
      return false;
    });
    this._refresh();
    this._sync();
  }

  toast(title: string): void {
    this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(title), timeout: 2 }));
  }

  private _refresh(): void {
    for (const page of Object.values(this._pages)) page.refresh();
    this._pages[this._model.page]?.showHint(this._model.busy);
  }

  private _sync(): void {
    const model = this._model;
    const name = model.page;
    const page = this._pages[name];
    this._stack.visible_child_name = name;
    this._spinner.visible = model.busy;
    for (const p of Object.values(this._pages)) p.showError(model.error_message);
    page.showHint(model.busy);
    const back = model.hasBack(name);
    this._cancel.visible = !back;
    this._back.visible = back;
    this._close.visible = back;
    const steps = model.steps;
    const at = model.stepOf(name);
    this._title.subtitle = at >= 0 ? fmt(_('Step %s of %s'), at + 1, steps.length) : '';
    const next = page.next();
    this._next.visible = next !== null;
    if (next) {
      this._next.label = next.label;
      this._next.action_name = next.action;
      for (const [style, on] of [
        ['suggested-action', !next.destructive],
        ['destructive-action', !!next.destructive],
      ] as const) {
        if (on) this._next.add_css_class(style);
        else this._next.remove_css_class(style);
      }
    }
    this.set_default_widget(next && !next.guarded ? this._next : null);
    const focus = page.focusWidget() ?? (next?.guarded ? this._back : next ? this._next : null);
    focus?.grab_focus();
  }
}
