import Gtk from 'gi://Gtk?version=4.0';

/** What one window shows: its title and every text in it. */
export interface WindowTexts {
  window: string;
  texts: string[];
}

/**
 * Every text the app's windows show now: labels (row titles and subtitles,
 * buttons, headings, toasts and dialogs draw theirs with one), what entries
 * hold, and tooltips, of widgets that are on screen (mapped). The system
 * tests read it (app.trace-texts) to check that no device path, snapshot
 * name, validator text or btrfs word reaches a screen.
 */
export function visibleTexts(): WindowTexts[] {
  return Gtk.Window.list_toplevels()
    .filter((w): w is Gtk.Window => w instanceof Gtk.Window && w.get_mapped())
    .map((window) => {
      const texts: string[] = window.title ? [window.title] : [];
      const visit = (widget: Gtk.Widget) => {
        if (!widget.get_mapped()) return;
        if (widget instanceof Gtk.Label || widget instanceof Gtk.Text) texts.push(widget.get_text());
        const tooltip = widget.get_tooltip_text();
        if (tooltip) texts.push(tooltip);
        for (let child = widget.get_first_child(); child; child = child.get_next_sibling()) visit(child);
      };
      visit(window);
      return { window: window.title ?? '', texts: texts.map((t) => t.trim()).filter((t) => t !== '') };
    });
}
