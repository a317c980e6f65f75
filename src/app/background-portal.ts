import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { backgroundAnswer, requestPath, requestToken } from '../core/background-answer';
import { _ } from './i18n';
import { notificationPrefs } from './notification-prefs';
import { trace } from './trace';

/**
 * In a Flatpak the autostart file that meson installs is not seen by the
 * host, so the monitor asks the Background portal to start `rewind
 * --monitor` at login and to let it run without a window. The portal asks
 * the user once and remembers the answer; its Response (followed here, see
 * src/core/background-answer.ts) is kept in the user's settings, and
 * Preferences says when notifications come only while Rewind is open.
 * Outside a Flatpak this does nothing.
 */
let requested = false;

const REQUEST_INTERFACE = 'org.freedesktop.portal.Request';

export function requestBackground(): void {
  if (requested || !GLib.file_test('/.flatpak-info', GLib.FileTest.EXISTS)) return;
  requested = true;
  const bus = Gio.DBus.session;
  const token = requestToken(Math.random());
  let subscription = 0;
  const follow = (path: string) => {
    if (subscription) bus.signal_unsubscribe(subscription);
    subscription = bus.signal_subscribe('org.freedesktop.portal.Desktop', REQUEST_INTERFACE, 'Response', path, null, Gio.DBusSignalFlags.NONE, (_c, _s, _p, _i, _n, parameters) => {
      bus.signal_unsubscribe(subscription);
      const [response, results] = parameters.recursiveUnpack() as [number, Record<string, unknown>];
      const answer = backgroundAnswer(response, results);
      trace(`background answer ${answer ?? `none (${response})`}`);
      if (answer) notificationPrefs().setBackgroundRefused(answer === 'refused');
    });
  };
  // Subscribed before the call, so an answer the portal gives at once is not missed.
  follow(requestPath(bus.get_unique_name() ?? '', token));
  const options = {
    handle_token: new GLib.Variant('s', token),
    reason: new GLib.Variant('s', _('Rewind tells you when a backup fails or a backup disk needs attention.')),
    autostart: new GLib.Variant('b', true),
    commandline: new GLib.Variant('as', ['rewind', '--monitor']),
    'dbus-activatable': new GLib.Variant('b', false),
  };
  bus.call(
    'org.freedesktop.portal.Desktop',
    '/org/freedesktop/portal/desktop',
    'org.freedesktop.portal.Background',
    'RequestBackground',
    new GLib.Variant('(sa{sv})', ['', options]),
    new GLib.VariantType('(o)'),
    Gio.DBusCallFlags.NONE,
    -1,
    null,
    (connection, result) => {
      try {
        const [handle] = connection!.call_finish(result).deepUnpack<[string]>();
        // A portal older than handle_token answers at a path of its own choosing.
        if (handle !== requestPath(bus.get_unique_name() ?? '', token)) follow(handle);
        trace('background requested');
      } catch (e) {
        // An old portal, or none: the monitor still runs for this session.
        bus.signal_unsubscribe(subscription);
        trace(`background request failed ${(e as Error).message}`);
      }
    },
  );
}
