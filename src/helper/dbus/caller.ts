import dbus from 'dbus-next';
import { RewindError } from '../../core/errors';
import { runCommand } from '../system/run-command';

/** Who is calling: the user and primary group, as the bus (not the caller) knows it. */
export interface CallerIdentity {
  uid: number;
  gid: number;
}

/** The caller's uid, as the bus knows it. */
export async function callerUid(bus: dbus.MessageBus, sender: string): Promise<number> {
  const reply = await bus.call(
    new dbus.Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'GetConnectionUnixUser',
      signature: 's',
      body: [sender],
    }),
  );
  const uid = Number(reply?.body[0]);
  if (!Number.isInteger(uid)) throw new RewindError('NotAuthorized', 'The bus could not say who is asking.');
  return uid;
}

export async function callerIdentity(bus: dbus.MessageBus, sender: string): Promise<CallerIdentity> {
  const uid = await callerUid(bus, sender);
  const gid = Number(await runCommand('id', ['-g', String(uid)]).catch(() => 'x'));
  if (!Number.isInteger(gid)) throw new RewindError('NotAuthorized', `User ${uid} has no account on this computer.`);
  return { uid, gid };
}
