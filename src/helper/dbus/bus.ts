import dbus from 'dbus-next';
import { HELPER_METHODS, isMethodName, type MethodName } from '../../core/contract/methods';
import { HELPER_INTERFACE_XML } from '../../core/dbus-interface';
import { dbusErrorMessage, dbusErrorName, toRewindError } from '../../core/errors';
import { HELPER_BUS_NAME, HELPER_INTERFACE, HELPER_OBJECT_PATH, REWIND_VERSION } from '../../core/ids';

/**
 * The helper's object on the bus: routes each call of a method in the
 * contract to `answer`, encodes the answer as the contract's entry says
 * (JSON in one string, a plain string, a boolean or nothing), maps every
 * failure to its D-Bus error name, and answers Introspect and the read-only
 * Version property.
 */
export interface MethodCall {
  member: MethodName;
  sender: string;
  signature: string;
  body: unknown[];
}

export interface BusActivity {
  /** A call came in. */
  begin(): void;
  /** Its reply went out. */
  end(): void;
}

function reply(member: MethodName, value: unknown): [string, unknown[]] {
  const out = (HELPER_METHODS[member] as { out?: { type: string; json?: false } }).out;
  if (!out) return ['', []];
  if (out.type === 's' && out.json !== false) return ['s', [JSON.stringify(value)]];
  return [out.type, [value]];
}

export function serveHelperObject(bus: dbus.MessageBus, answer: (call: MethodCall) => Promise<unknown>, activity: BusActivity): void {
  bus.addMethodHandler((msg: dbus.Message) => {
    if (msg.path !== HELPER_OBJECT_PATH) return false;
    if (msg.interface === 'org.freedesktop.DBus.Introspectable' && msg.member === 'Introspect') {
      bus.send(dbus.Message.newMethodReturn(msg, 's', [HELPER_INTERFACE_XML]));
      return true;
    }
    if (msg.interface === 'org.freedesktop.DBus.Properties') {
      answerProperties(bus, msg);
      return true;
    }
    if (msg.interface !== HELPER_INTERFACE && msg.interface) return false;
    const member = msg.member;
    if (!isMethodName(member)) return false;
    activity.begin();
    answer({ member, sender: msg.sender, signature: msg.signature ?? '', body: msg.body as unknown[] })
      .then(
        (value) => bus.send(dbus.Message.newMethodReturn(msg, ...reply(member, value))),
        (error: unknown) => {
          const failure = toRewindError(error);
          if (failure.code === 'Internal') console.error(`rewind-helper: ${member}:`, failure.cause ?? failure);
          bus.send(dbus.Message.newError(msg as unknown as string, dbusErrorName(failure.code), dbusErrorMessage(failure)));
        },
      )
      .finally(activity.end);
    return true;
  });
}

/**
 * Version, the helper's release, read by the app before anything else
 * (src/core/helper-version.ts). It is answered without polkit, as
 * Introspect is: it says nothing about this computer, and the app needs it
 * to tell a user whose helper is of another release what to update.
 */
function answerProperties(bus: dbus.MessageBus, msg: dbus.Message): void {
  const [iface, name] = (msg.body ?? []) as unknown[];
  const ours = iface === HELPER_INTERFACE;
  if (msg.member === 'Get' && msg.signature === 'ss' && ours && name === 'Version') {
    bus.send(dbus.Message.newMethodReturn(msg, 'v', [new dbus.Variant('s', REWIND_VERSION)]));
  } else if (msg.member === 'GetAll' && msg.signature === 's') {
    bus.send(dbus.Message.newMethodReturn(msg, 'a{sv}', [ours ? { Version: new dbus.Variant('s', REWIND_VERSION) } : {}]));
  } else if (msg.member === 'Set' && ours) {
    bus.send(dbus.Message.newError(msg as unknown as string, 'org.freedesktop.DBus.Error.PropertyReadOnly', 'Version is read-only.'));
  } else if (msg.member === 'Get' || msg.member === 'Set') {
    bus.send(dbus.Message.newError(msg as unknown as string, 'org.freedesktop.DBus.Error.UnknownProperty', 'No such property.'));
  } else {
    bus.send(dbus.Message.newError(msg as unknown as string, 'org.freedesktop.DBus.Error.UnknownMethod', 'No such method.'));
  }
}

export function emitSignal(bus: dbus.MessageBus, member: string, signature: string, body: unknown[]): void {
  bus.send(dbus.Message.newSignal(HELPER_OBJECT_PATH, HELPER_INTERFACE, member, signature, body));
}

/** Owns the helper's name; another helper owning it already is an error. */
export async function ownHelperName(bus: dbus.MessageBus): Promise<void> {
  const reply = await bus.requestName(HELPER_BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
  if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
    throw new Error(`could not own ${HELPER_BUS_NAME} on the system bus (reply ${reply}); is another helper running?`);
  }
}
