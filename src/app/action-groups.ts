import type Gio from 'gi://Gio';

/**
 * Exports a window's action group (`setup`, `ssh`, `browser`, `prefs`) on
 * the session bus at the application's object path + `/<name>`, beside the
 * application's own actions, so org.gtk.Actions reaches `setup.continue` as
 * it reaches `app.back-up-now` (the system tests drive the app this way).
 * Returns what takes it off the bus again.
 */
export function exportActionGroup(app: Gio.Application, name: string, group: Gio.ActionGroup): () => void {
  const connection = app.get_dbus_connection();
  const path = app.get_dbus_object_path();
  if (!connection || !path) return () => undefined;
  const id = connection.export_action_group(`${path}/${name}`, group);
  return () => connection.unexport_action_group(id);
}
