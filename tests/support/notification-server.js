// GNOME Shell's part for GApplication notifications, for tests: owns
// org.gtk.Notifications on the session bus (the interface the Shell
// implements and GLib's "gtk" notification backend calls) and prints one JSON
// line per call it receives. It shows nothing and answers nothing else; the
// tests read its output. Run with `gjs -m` as the session's user.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

const XML = `<node>
  <interface name="org.gtk.Notifications">
    <method name="AddNotification">
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/>
    </method>
    <method name="RemoveNotification">
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
    </method>
  </interface>
</node>`;

const info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0];
const loop = new GLib.MainLoop(null, false);

Gio.bus_own_name(
  Gio.BusType.SESSION,
  'org.gtk.Notifications',
  Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
  (connection) => {
    connection.register_object('/org/gtk/Notifications', info, (_c, _sender, _path, _iface, method, params, invocation) => {
      const [appId, id, notification] = params.recursiveUnpack();
      if (method === 'AddNotification') print(JSON.stringify({ call: 'add', appId, id, notification }));
      else print(JSON.stringify({ call: 'remove', appId, id }));
      invocation.return_value(null);
    }, null, null);
  },
  () => print(JSON.stringify({ ready: true })),
  () => {
    print(JSON.stringify({ error: 'could not own org.gtk.Notifications' }));
    loop.quit();
  },
);
loop.run();
