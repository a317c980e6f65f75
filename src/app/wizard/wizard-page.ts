import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';

/** The main button of a step: its label, the action it names, and how it looks. */
export interface NextButton {
  label: string;
  action: string;
  destructive?: boolean;
  /** Not the default widget, and Back has the focus: Enter must not start what cannot be undone. */
  guarded?: boolean;
}

/**
 * One step of a wizard: a preferences page whose first group shows the
 * model's error message (unless `withError` is false) and, while its main
 * button is disabled, why (`hint`). A page says what its main button does
 * (`next`, null: none), shows the model again in `refresh`, and may name
 * the widget that takes the focus.
 */
export class WizardPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindWizardPage' }, this);
  }

  private _error: Gtk.Label | null = null;
  private _hint: Gtk.Label | null = null;

  constructor(withError = true) {
    super();
    if (!withError) return;
    this._error = new Gtk.Label({ wrap: true, xalign: 0, visible: false, css_classes: ['error'], margin_bottom: 12 });
    this._hint = new Gtk.Label({ wrap: true, xalign: 0, visible: false, css_classes: ['dim-label'], margin_bottom: 12 });
    const group = new Adw.PreferencesGroup();
    group.add(this._error);
    group.add(this._hint);
    this.add(group);
  }

  showError(message: string): void {
    if (!this._error) return;
    this._error.label = message;
    this._error.visible = message !== '';
  }

  /** Shows `hint()` (or nothing while the helper answers: the spinner says why then). */
  showHint(busy: boolean): void {
    if (!this._hint) return;
    const text = busy ? '' : this.hint();
    this._hint.label = text;
    this._hint.visible = text !== '';
  }

  /** Why the main button is disabled now, in one sentence; "" while it is enabled. */
  hint(): string {
    return '';
  }

  next(): NextButton | null {
    return null;
  }

  refresh(): void {
    // Pages that show the model override this.
  }

  focusWidget(): Gtk.Widget | null {
    return null;
  }
}
