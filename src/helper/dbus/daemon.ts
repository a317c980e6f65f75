import dbus from 'dbus-next';
import { HELPER_METHODS } from '../../core/contract/methods';
import { parseRequest } from '../../core/contract/requests';
import { RewindError } from '../../core/errors';
import type { ActionId } from '../../core/ids';
import type { EngineOptions } from '../engine/engine';
import { fetchedPoints } from '../restore/browse';
import { emitSignal, ownHelperName, serveHelperObject, type MethodCall } from './bus';
import { callerIdentity, callerUid } from './caller';
import { helperHandlers, type CallContext } from './handlers';
import { BackupJob } from './job';
import { RestoreJob } from './restore-job';
import { authorize } from './polkit';
import { onStopSignal } from '../system/stop-signals';

/**
 * The helper on the system bus. Every method has the same shape, from its
 * entry in the contract (src/core/contract): authorise the caller's bus name
 * with the entry's polkit action, parse the request, call the handler,
 * reply. Authorising first means an unauthorised caller learns nothing
 * about its arguments. Every refusal is logged once (stderr, the journal)
 * with the method, the caller's uid and the action. The daemon exits after a while without work; D-Bus
 * activation starts it again on the next call.
 */
export interface DaemonOptions extends Omit<EngineOptions, 'onProgress'> {
  idleSeconds: number;
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  const bus = dbus.systemBus();
  let idleTimer: NodeJS.Timeout | undefined;
  let calls = 0;

  const resetIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // A long call (a restore, a point fetched from a server) is work too.
      if (!job.running && calls === 0) shutdown(0);
    }, options.idleSeconds * 1000);
  };
  const job = new BackupJob(options, (member, signature, body) => emitSignal(bus, member, signature, body), resetIdle);
  // Fetched copies of restore points are scratch subvolumes on the source's disk: never left behind.
  const shutdown = (code: number) =>
    void fetchedPoints
      .putAwayAll()
      .catch((error: unknown) => console.error(`rewind-helper: could not delete a fetched restore point: ${String(error)}`))
      .finally(() => {
        bus.disconnect();
        process.exit(code);
      });
  // Deleting the fetched copies may wait for a command under execa to end (../system/stop-signals.ts).
  onStopSignal(() => shutdown(job.running ? 1 : 0));
  bus.on('error', (error) => {
    console.error(`rewind-helper: lost the system bus: ${String(error)}`);
    shutdown(job.running ? 1 : 0);
  });

  const restoreJob = new RestoreJob((progress) => emitSignal(bus, 'RestoreProgress', 's', [JSON.stringify(progress)]));
  const handlers = helperHandlers(options, job, restoreJob);
  const check = (member: string, sender: string, action: ActionId): Promise<void> =>
    authorize(bus, sender, action).catch(async (error: unknown) => {
      if (error instanceof RewindError && error.code === 'NotAuthorized') {
        const uid = await callerUid(bus, sender).catch(() => 'unknown');
        console.error(`rewind-helper: refused ${member} to uid ${uid}: polkit action ${action} not granted (${error.message})`);
      }
      throw error;
    });
  const answer = async ({ member, sender, signature, body }: MethodCall): Promise<unknown> => {
    await check(member, sender, HELPER_METHODS[member].action);
    const request = parseRequest(member, signature, body);
    const context: CallContext = { authorize: (action) => check(member, sender, action), caller: () => callerIdentity(bus, sender) };
    // One method's handler for its own request: the contract's types tie them; TypeScript cannot follow `member`.
    const handle = handlers[member] as (request: unknown, call: CallContext) => Promise<unknown>;
    return handle(request, context);
  };
  serveHelperObject(bus, answer, {
    begin: () => {
      calls++;
      resetIdle();
    },
    end: () => {
      calls--;
      resetIdle();
    },
  });

  await ownHelperName(bus);
  resetIdle();
}
