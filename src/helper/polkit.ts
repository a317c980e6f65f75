import dbus from 'dbus-next';
import { RewindError } from '../core/errors';
import type { ActionId } from '../core/ids';

/**
 * Asks polkit whether the sender of a D-Bus call may perform an action.
 * The subject is the caller's unique bus name, so polkit (not the caller)
 * establishes who is asking.
 */
const ALLOW_USER_INTERACTION = 1;

export async function authorize(bus: dbus.MessageBus, sender: string, action: ActionId): Promise<void> {
  const request = new dbus.Message({
    destination: 'org.freedesktop.PolicyKit1',
    path: '/org/freedesktop/PolicyKit1/Authority',
    interface: 'org.freedesktop.PolicyKit1.Authority',
    member: 'CheckAuthorization',
    signature: '(sa{sv})sa{ss}us',
    body: [['system-bus-name', { name: new dbus.Variant('s', sender) }], action, {}, ALLOW_USER_INTERACTION, ''],
  });
  let reply: dbus.Message | null;
  try {
    reply = await bus.call(request);
  } catch (error) {
    throw new RewindError('NotAuthorized', `The authorization service (polkit) could not check this request: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  // The reply is one struct (bba{ss}): authorised, challenge, details.
  const [result] = (reply?.body ?? []) as [[boolean, boolean, Record<string, string>]?];
  if (!Array.isArray(result) || typeof result[0] !== 'boolean') {
    throw new RewindError('NotAuthorized', 'The authorization service (polkit) gave an answer Rewind does not understand.');
  }
  const [authorized, , details] = result;
  if (authorized === true) return;
  if (details['polkit.dismissed']) {
    throw new RewindError('Dismissed', 'The request was not authorised because the authentication dialog was dismissed.');
  }
  throw new RewindError('NotAuthorized', 'You are not allowed to do this on this computer.');
}
