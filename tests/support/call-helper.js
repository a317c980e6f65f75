// A minimal D-Bus client of the Rewind helper for tests, run with `gjs -m` as
// a test user. Prints one JSON object per line: what the helper answered,
// every Progress signal of the job, and the Completed signal.
// Usage: gjs -m call-helper.js status|backup|restore REQUEST_JSON|history LIMIT|call METHOD [ARGUMENT]
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import System from 'system';

const NAME = 'io.github.rewindbackup.Rewind.Helper';
const PATH = '/io/github/rewindbackup/Rewind/Helper';
const IFACE = 'io.github.rewindbackup.Rewind.Helper1';
const [command] = System.programArgs;
const bus = Gio.DBus.system;
const loop = new GLib.MainLoop(null, false);
let exitCode = 0;

function emit(obj) {
  print(JSON.stringify(obj));
}

function call(method, then, params = null) {
  bus.call(NAME, PATH, IFACE, method, params, null, Gio.DBusCallFlags.NONE, 120000, null, (_bus, res) => {
    try {
      then(bus.call_finish(res).deep_unpack());
    } catch (e) {
      const name = Gio.DBusError.get_remote_error(e);
      Gio.DBusError.strip_remote_error(e);
      // The helper's English sentence, then on a last line the reason for the app to word (src/core/errors.ts).
      const [message, reason] = e.message.split('\nrewind-reason: ');
      emit({ error: { name, message, ...(reason ? JSON.parse(reason) : {}) } });
      exitCode = 3;
      loop.quit();
    }
  });
}

if (command === 'status') {
  call('GetStatus', ([json]) => {
    emit({ status: JSON.parse(json) });
    loop.quit();
  });
} else if (command === 'backup') {
  let job = null;
  bus.signal_subscribe(NAME, IFACE, null, PATH, null, Gio.DBusSignalFlags.NONE, (_c, _s, _p, _i, signal, params) => {
    const args = params.deep_unpack();
    if (args[0] !== job) return;
    if (signal === 'Progress') emit({ progress: JSON.parse(args[1]) });
    if (signal === 'Completed') {
      emit({ completed: args[1], result: JSON.parse(args[2]) });
      loop.quit();
    }
  });
  call('BackUpNow', ([id]) => {
    job = id;
    emit({ job });
  });
} else if (command === 'call') {
  // call METHOD [ARGUMENT]: any method with no or one string argument.
  const [, method, argument] = System.programArgs;
  call(
    method,
    (out) => {
      emit({ result: out.length ? JSON.parse(out[0]) : null });
      loop.quit();
    },
    argument === undefined ? null : new GLib.Variant('(s)', [argument]),
  );
} else if (command === 'history') {
  // history LIMIT: GetHistory, whose one argument is a number.
  call(
    'GetHistory',
    ([json]) => {
      emit({ result: JSON.parse(json) });
      loop.quit();
    },
    new GLib.Variant('(u)', [Number(System.programArgs[1])]),
  );
} else if (command === 'restore') {
  call(
    'RestoreFiles',
    ([json]) => {
      emit({ result: JSON.parse(json) });
      loop.quit();
    },
    new GLib.Variant('(s)', [System.programArgs[1]]),
  );
} else {
  printerr('usage: call-helper.js status|backup|restore REQUEST_JSON');
  exitCode = 2;
}
if (exitCode === 0) loop.run();
System.exit(exitCode);
