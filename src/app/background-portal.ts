import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { _ } from './i18n';
import { trace } from './trace';

/**
 * In a Flatpak the autostart file that meson installs is not seen by the
 * host, so the monitor asks the Background portal to start `rewind
 * --monitor` at login and to let it run without a window. The portal asks
 * the user once and remembers the answer; outside a Flatpak this does nothing.
 */
let requested = false;

export function requestBackground(): void {
  if (requested || !GLib.file_test('/.flatpak-info', GLib.FileTest.EXISTS)) return;
  requested = true;
  const options = {
    reason: new GLib.Variant('s', _('Rewind tells you when a backup fails or a backup disk needs attention.')),
    autostart: new GLib.Variant('b', true),
    commandline: new GLib.Variant('as', ['rewind', '--monitor']),
    'dbus-activatable': new GLib.Variant('b', false),
  };
  Gio.DBus.session.call(
    'org.freedesktop.portal.Desktop',
    '/org/freedesktop/portal/desktop',
    'org.freedesktop.portal.Background',
    'RequestBackground',
    new GLib.Variant('(sa{sv})', ['', options]),
    null,
    Gio.DBusCallFlags.NONE,
    -1,
    null,
    (connection, result) => {
      try {
        connection!.call_finish(result);
        trace('background requested');
      } catch (e) {
        // An old portal, or none: the monitor still runs for this session.
        trace(`background request failed ${(e as Error).message}`);
      }
    },
  );
}
