import type Gio from 'gi://Gio';
import type GLib from 'gi://GLib';
import GObject from 'gi://GObject';

/**
 * For a command-line option that asks the running Rewind to do something
 * (`--monitor`, `--restore PATH`) from 'handle-local-options': registers the
 * application, activates `name` in the primary instance (over D-Bus when
 * another process is the primary one), and answers what
 * 'handle-local-options' should return: 0 to end a remote process, -1 for
 * the primary to go on into its main loop without the window that run()'s
 * 'activate' would open (that one 'activate' is stopped here).
 */
export function primaryAction(app: Gio.Application): (name: string, parameter: GLib.Variant | null) => number {
  let skipActivate = false;
  app.connect('activate', () => {
    if (!skipActivate) return;
    skipActivate = false;
    GObject.signal_stop_emission_by_name(app, 'activate');
  });
  return (name, parameter) => {
    app.register(null);
    app.activate_action(name, parameter);
    if (app.get_is_remote()) return 0;
    skipActivate = true;
    return -1;
  };
}
