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
 * model's error message (unless `withError` is false). A page says what its
 * main button does (`next`, null: none), shows the model again in `refresh`,
 * and may name the widget that takes the focus.
 */
export class WizardPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindWizardPage' }, this);
  }

  private _error: Gtk.Label | null = null;

  constructor(withError = true) {
    super();
    if (!withError) return;
    this._error = new Gtk.Label({ wrap: true, xalign: 0, visible: false, css_classes: ['error'], margin_bottom: 12 });
    const group = new Adw.PreferencesGroup();
    group.add(this._error);
    this.add(group);
  }

  showError(message: string): void {
    if (!this._error) return;
    this._error.label = message;
    this._error.visible = message !== '';
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
