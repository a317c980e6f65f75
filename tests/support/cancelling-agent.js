// A polkit authentication agent that does what a person does who closes the
// password dialog: registered for one process (as pkttyagent --process is),
// it answers every BeginAuthentication with Cancelled, so polkitd tells the
// caller "dismissed". Run with gjs -m as root on the test's system bus
// (DBUS_SYSTEM_BUS_ADDRESS); the argument is the process's pid. Prints
// "agent registered", then "agent dismissed ACTION" for each request.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

const [pid] = ARGV;
const AGENT_PATH = '/io/github/rewindbackup/TestAgent';
const XML = `<node><interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
  <method name="BeginAuthentication">
    <arg type="s" name="action_id" direction="in"/><arg type="s" name="message" direction="in"/>
    <arg type="s" name="icon_name" direction="in"/><arg type="a{ss}" name="details" direction="in"/>
    <arg type="s" name="cookie" direction="in"/><arg type="a(sa{sv})" name="identities" direction="in"/>
  </method>
  <method name="CancelAuthentication"><arg type="s" name="cookie" direction="in"/></method>
</interface></node>`;

const bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, null);
const info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0];
bus.register_object(AGENT_PATH, info, (_conn, _sender, _path, _iface, method, params, invocation) => {
  if (method === 'BeginAuthentication') {
    print(`agent dismissed ${params.deep_unpack()[0]}`);
    invocation.return_dbus_error('org.freedesktop.PolicyKit1.Error.Cancelled', 'The password dialog was closed');
  } else {
    invocation.return_value(null);
  }
}, null, null);
const subject = ['unix-process', { pid: new GLib.Variant('u', Number(pid)), 'start-time': new GLib.Variant('t', 0) }];
bus.call_sync('org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority', 'org.freedesktop.PolicyKit1.Authority', 'RegisterAuthenticationAgent',
  new GLib.Variant('((sa{sv})ss)', [subject, 'en_US.UTF-8', AGENT_PATH]), null, Gio.DBusCallFlags.NONE, -1, null);
print('agent registered');
new GLib.MainLoop(null, false).run();
