import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import { settingChoices } from '../../core/setting-choices';

/**
 * A number setting as a row of plain choices (src/core/setting-choices),
 * each a whole sentence ("Warn when less than 10 % is free"); the one
 * chosen is the row's subtitle (`use_subtitle`), which wraps, where a value
 * beside the title is cut off in a narrow window. `onChange` is called only
 * for a choice the person made, not when the row shows the model.
 */
export class ChoiceRow {
  readonly row: Adw.ComboRow;
  private _values: number[] = [];
  private _showing = false;

  constructor(
    title: string,
    private readonly _usual: readonly number[],
    private readonly _words: (value: number) => string,
    onChange: (value: number) => void,
  ) {
    this.row = new Adw.ComboRow({ title, use_subtitle: true });
    this.row.connect('notify::selected', () => {
      if (!this._showing) onChange(this.value);
    });
  }

  get value(): number {
    return this._values[this.row.selected] ?? 0;
  }

  show(value: number): void {
    this._showing = true;
    const values = settingChoices(this._usual, value);
    if (values.join() !== this._values.join()) {
      this._values = values;
      this.row.model = Gtk.StringList.new(values.map((v) => this._words(v)));
    }
    this.row.selected = values.indexOf(value);
    this._showing = false;
  }
}
