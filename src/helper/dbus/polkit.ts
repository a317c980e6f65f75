import dbus from 'dbus-next';
import { RewindError } from '../../core/errors';
import { ACTIONS, type ActionId } from '../../core/ids';

/**
 * Asks polkit whether the sender of a D-Bus call may perform an action.
 * The subject is the caller's unique bus name, so polkit (not the caller)
 * establishes who is asking.
 */
const ALLOW_USER_INTERACTION = 1;

/** What each action lets a user do, so that a refusal says what was refused rather than blaming backups. */
const WHAT: Record<ActionId, string> = {
  [ACTIONS.readStatus]: 'see the state of backups',
  [ACTIONS.readConfig]: 'read the backup settings',
  [ACTIONS.runBackup]: 'start or cancel backups',
  [ACTIONS.configure]: 'change the backup settings',
  [ACTIONS.prepareDisk]: 'prepare a backup disk',
  [ACTIONS.restoreOwnFiles]: 'restore files',
  [ACTIONS.restoreFiles]: 'restore files your account cannot read, or restore where it cannot write',
};

/** The sentence of a refusal: for reading the settings, also who may. */
function refused(action: ActionId): string {
  if (action === ACTIONS.readConfig) {
    return 'Your account may not read the backup settings; nor the restore points, which are found with them. Only the person using this computer (its active session) or an administrator may.';
  }
  return `Your account is not allowed to ${WHAT[action]} on this computer.`;
}

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
      advice: 'An administrator of this computer should check that polkit is installed and running.',
    });
  }
  // The reply is one struct (bba{ss}): authorised, challenge, details.
  const [result] = (reply?.body ?? []) as [[boolean, boolean, Record<string, string>]?];
  if (!Array.isArray(result) || typeof result[0] !== 'boolean') {
    throw new RewindError('NotAuthorized', 'The authorization service (polkit) gave an answer Rewind does not understand.', {
      advice: 'An administrator of this computer should check polkit; if it is working, this is a bug in Rewind: please report it.',
    });
  }
  const [authorized, , details] = result;
  if (authorized === true) return;
  if (details['polkit.dismissed']) {
    throw new RewindError('Dismissed', 'The request was not authorised because the authentication dialog was dismissed.');
  }
  throw new RewindError('NotAuthorized', refused(action), {
    advice: 'An administrator of this computer can allow it, or do it for you.',
  });
}
