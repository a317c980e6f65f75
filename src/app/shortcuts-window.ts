import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from './format';
import { _ } from './i18n';

interface Shortcut {
  action: string;
  /** The first one is shown in the shortcuts window. */
  accels: string[];
  title: string;
  /** Set by its window alone (a key it handles itself): the application sets no accelerator for it. */
  windowOnly?: boolean;
}

/** Every keyboard shortcut, in one table: the app sets them, the window lists them. */
export function shortcutGroups(): { title: string; shortcuts: Shortcut[] }[] {
  return [
    {
      title: _('Backups'),
      shortcuts: [
        { action: 'app.back-up-now', accels: ['<Control>b'], title: _('Back up now') },
        { action: 'app.refresh', accels: ['<Control>r', 'F5'], title: _('Refresh') },
        { action: 'app.restore-points', accels: ['<Control>o'], title: _('Show restore points') },
        { action: 'app.history', accels: ['<Control>h'], title: _('Show backup history') },
      ],
    },
    {
      // The restore browser's (its window sets them too; the app's accels reach only a window that has the action).
      title: _('Restore browser'),
      shortcuts: [
        { action: 'browser.older', accels: ['<Control>Page_Up'], title: _('Earlier restore point') },
        { action: 'browser.newer', accels: ['<Control>Page_Down'], title: _('Later restore point') },
        { action: 'browser.up', accels: ['<Alt>Up'], title: _('Parent folder') },
        { action: 'browser.search', accels: ['<Control>f'], title: _('Search by name'), windowOnly: true },
      ],
    },
    {
      title: _('General'),
      shortcuts: [
        { action: 'app.preferences', accels: ['<Control>comma'], title: _('Preferences') },
        { action: 'win.show-help-overlay', accels: ['<Control>question'], title: _('Show shortcuts') },
        { action: 'window.close', accels: ['<Control>w'], title: _('Close window') },
        { action: 'app.quit', accels: ['<Control>q'], title: _('Quit') },
      ],
    },
  ];
}

/** The keyboard shortcuts window (win.show-help-overlay); Escape closes it. */
export function newShortcutsWindow(): Gtk.ShortcutsWindow {
  // GTK 4.8 can fill a shortcuts window only from GtkBuilder XML.
  const groups = shortcutGroups()
    .map(
      (group) => `
        <child>
          <object class="GtkShortcutsGroup">
            <property name="title">${escapeMarkup(group.title)}</property>${group.shortcuts
              .map(
                (s) => `
            <child>
              <object class="GtkShortcutsShortcut">
                <property name="title">${escapeMarkup(s.title)}</property>
                <property name="accelerator">${escapeMarkup(s.accels[0])}</property>
              </object>
            </child>`,
              )
              .join('')}
          </object>
        </child>`,
    )
    .join('');
  const xml = `<interface>
  <object class="GtkShortcutsWindow" id="shortcuts">
    <property name="modal">True</property>
    <child>
      <object class="GtkShortcutsSection">
        <property name="section-name">shortcuts</property>${groups}
      </object>
    </child>
  </object>
</interface>`;
  return Gtk.Builder.new_from_string(xml, -1).get_object('shortcuts') as Gtk.ShortcutsWindow;
}
