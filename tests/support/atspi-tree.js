// What a screen reader is told: the accessible tree of every application on
// the session's accessibility bus (AT-SPI), as JSON on one line: for each
// node that is shown, its role, its name and whether it takes the
// keyboard focus. Run with gjs -m as the person, in their session
// (DBUS_SESSION_BUS_ADDRESS). Plain D-Bus calls: no Atspi typelib needed.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

const ACCESSIBLE = 'org.a11y.atspi.Accessible';
// AtspiStateType: bit numbers in the two words GetState answers.
const FOCUSABLE = 11;
const SHOWING = 25;
const VISIBLE = 30;

const session = Gio.bus_get_sync(Gio.BusType.SESSION, null);
const [address] = session
  .call_sync('org.a11y.Bus', '/org/a11y/bus', 'org.a11y.Bus', 'GetAddress', null, new GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, 5000, null)
  .deep_unpack();
const bus = Gio.DBusConnection.new_for_address_sync(address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);

function call(dest, path, iface, method, args, type) {
  return bus.call_sync(dest, path, iface, method, args, new GLib.VariantType(type), Gio.DBusCallFlags.NONE, 5000, null).deep_unpack();
}

function has(state, bit) {
  return ((state[Math.floor(bit / 32)] >>> bit % 32) & 1) === 1;
}

const nodes = [];
function walk(dest, path, depth) {
  if (depth > 60 || nodes.length > 5000) return;
  const [state] = call(dest, path, ACCESSIBLE, 'GetState', null, '(au)');
  const [role] = call(dest, path, ACCESSIBLE, 'GetRoleName', null, '(s)');
  const [name] = call(dest, path, 'org.freedesktop.DBus.Properties', 'Get', new GLib.Variant('(ss)', [ACCESSIBLE, 'Name']), '(v)');
  // GTK 4.8 marks a widget on screen VISIBLE, not always SHOWING: a hidden page of a stack is neither.
  const shown = has(state, SHOWING) || has(state, VISIBLE) || role === 'application';
  if (!shown) return;
  nodes.push({ role, name: name.deep_unpack ? name.deep_unpack() : name, focusable: has(state, FOCUSABLE), depth });
  const [children] = call(dest, path, ACCESSIBLE, 'GetChildren', null, '(a(so))');
  for (const [childDest, childPath] of children) walk(childDest || dest, childPath, depth + 1);
}

const [apps] = call('org.a11y.atspi.Registry', '/org/a11y/atspi/accessible/root', ACCESSIBLE, 'GetChildren', null, '(a(so))');
for (const [dest, path] of apps) {
  try {
    walk(dest, path, 0);
  } catch (e) {
    nodes.push({ role: 'error', name: String(e.message), focusable: false, depth: 0 });
  }
}
print(JSON.stringify(nodes));
