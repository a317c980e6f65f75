import dbus from 'dbus-next';
import { randomUUID } from 'node:crypto';
import { HELPER_INTERFACE_XML } from '../../core/dbus-interface';
import { dbusErrorName, RewindError, toRewindError } from '../../core/errors';
import { ACTIONS, HELPER_BUS_NAME, HELPER_INTERFACE, HELPER_OBJECT_PATH } from '../../core/ids';
import type { Progress } from '../../core/status';
import { runBackup, type EngineOptions } from '../engine/engine';
import { authorize } from './polkit';
import { existsSync } from 'node:fs';
import { loadConfig, saveConfig } from '../config/config-file';
import { listDisks, parseListDisksRequest, prepareDisk } from '../system/disks';
import { History } from '../engine/history';
import { listSubvolumeSizes, parseSubvolumeRequest, unknownFolders } from '../system/subvolume-sizes';
import { takeInventory } from '../engine/inventory';
import { withRunContext } from '../engine/run-context';
import { applySchedule } from '../system/timer';
import { parseRestoreRequest, specialBitsRemoved } from '../../core/restore-request';
import { controlCharacterProblem, rawControlCharacterProblem } from '../../core/control-characters';
import { runCommand } from '../system/run-command';
import { NeedsAdmin, restoreFiles } from '../restore/user-restore';
import { parseListFolderRequest, parseSearchRequest, parseWhatChangedRequest } from '../../core/browse-request';
import { fetchedPoints, listFolder, search, whatChanged, type BrowseCaller } from '../restore/browse';
import { parseProbeRequest, parseSetupRequest, parseTrustRequest, probe, setup, trust } from '../destinations/ssh/setup';
import { readStatus } from '../engine/status';

/**
 * The helper on the system bus. Every method has the same shape: authorise
 * the caller's bus name with the method's own polkit action, validate, call
 * the engine, reply. The daemon exits after a while without work; D-Bus
 * activation starts it again on the next call.
 */
export interface DaemonOptions extends Omit<EngineOptions, 'onProgress'> {
  idleSeconds: number;
}

const PROGRESS_INTERVAL_MS = 200;

/**
 * The one string argument of a method; anything else is refused, and so is
 * a control character in it (each parser also refuses one in any string of
 * the parsed JSON, where it may come escaped).
 */
function stringArgument(msg: dbus.Message, method: string): string {
  if (msg.signature !== 's' || typeof msg.body[0] !== 'string') {
    throw new RewindError('InvalidArgs', `${method} takes one string (JSON); it was called with the signature "${msg.signature ?? ''}".`);
  }
  const text = msg.body[0] as string;
  const problem = rawControlCharacterProblem(text);
  if (problem) throw new RewindError('InvalidArgs', `${method}: ${problem}.`);
  return text;
}

/** A request parsed by `parse`; what is wrong with it is the caller's InvalidArgs. */
function parsed<T>(parse: () => T, method: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RewindError) throw error;
    throw new RewindError('InvalidArgs', `${method}: ${(error as Error).message}.`);
  }
}

/** PrepareDisk's argument: the device and the size the user was shown. */
function parsePrepareRequest(json: string): { path: string; sizeBytes: number; label?: string } {
  let data: { path?: unknown; sizeBytes?: unknown; label?: unknown } | undefined;
  try {
    data = JSON.parse(json) as typeof data;
  } catch {
    // handled below
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `PrepareDisk: ${problem}.`);
  const keys = data && typeof data === 'object' ? Object.keys(data) : [];
  if (
    !data ||
    keys.some((k) => !['path', 'sizeBytes', 'label'].includes(k)) ||
    typeof data.path !== 'string' ||
    !/^\/dev\/[A-Za-z0-9_./-]+$/.test(data.path) ||
    data.path.includes('..') ||
    !Number.isSafeInteger(data.sizeBytes) ||
    (data.label !== undefined && (typeof data.label !== 'string' || data.label.length > 64))
  ) {
    throw new RewindError('InvalidArgs', 'PrepareDisk needs {"path": "/dev/…", "sizeBytes": N, "label"?: "…"}.');
  }
  return { path: data.path, sizeBytes: data.sizeBytes as number, ...(data.label === undefined ? {} : { label: data.label as string }) };
}

/** The caller's user and primary group, as the bus (not the caller) knows it. */
async function callerIdentity(bus: dbus.MessageBus, sender: string): Promise<{ uid: number; gid: number }> {
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
  const gid = Number(await runCommand('id', ['-g', String(uid)]).catch(() => 'x'));
  if (!Number.isInteger(gid)) throw new RewindError('NotAuthorized', `User ${uid} has no account on this computer.`);
  return { uid, gid };
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  const bus = dbus.systemBus();
  let running: string | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let calls = 0;

  const resetIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // A long call (a restore, a point fetched from a server) is work too.
      if (!running && calls === 0) shutdown(0);
    }, options.idleSeconds * 1000);
  };
  // Fetched copies of restore points are scratch subvolumes on the source's disk: never left behind.
  const shutdown = (code: number) =>
    void fetchedPoints
      .putAwayAll()
      .catch((error: unknown) => console.error(`rewind-helper: could not delete a fetched restore point: ${String(error)}`))
      .finally(() => {
        bus.disconnect();
        process.exit(code);
      });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => shutdown(running ? 1 : 0));
  bus.on('error', (error) => {
    console.error(`rewind-helper: lost the system bus: ${String(error)}`);
    shutdown(running ? 1 : 0);
  });

  const emit = (member: string, signature: string, body: unknown[]) =>
    bus.send(dbus.Message.newSignal(HELPER_OBJECT_PATH, HELPER_INTERFACE, member, signature, body));

  let abort: AbortController | undefined;
  const startBackup = (): string => {
    const job = randomUUID();
    running = job;
    abort = new AbortController();
    let lastSent = 0;
    let lastPhase = '';
    let pending: Progress | undefined;
    // Every change of phase is sent; byte counts within a phase at most every PROGRESS_INTERVAL_MS.
    const onProgress = (progress: Progress) => {
      pending = progress;
      const now = Date.now();
      const phase = `${progress.phase}:${progress.source}:${progress.destination ?? ''}`;
      if (phase !== lastPhase || now - lastSent >= PROGRESS_INTERVAL_MS) {
        lastSent = now;
        lastPhase = phase;
        emit('Progress', 'ss', [job, JSON.stringify(progress)]);
        pending = undefined;
      }
    };
    // `running` is cleared before Completed goes out, so a client that
    // refreshes its status on Completed never sees the finished job as running.
    void runBackup({ ...options, onProgress, signal: abort.signal })
      .then((run) => {
        if (pending) emit('Progress', 'ss', [job, JSON.stringify(pending)]);
        running = undefined;
        emit('Completed', 'sbs', [job, run.ok, JSON.stringify(run)]);
      })
      .catch((error: unknown) => {
        running = undefined;
        const failure = toRewindError(error);
        emit('Completed', 'sbs', [job, false, JSON.stringify({ error: { code: failure.code, message: failure.message } })]);
      })
      .finally(resetIdle);
    return job;
  };

  /** A method that reads a restore point as the caller: authorise, parse the JSON request, read, answer JSON. */
  const readAsCaller =
    <R>(method: string, parse: (json: string) => R, read: (paths: DaemonOptions, request: R, caller: BrowseCaller) => Promise<unknown>) =>
    async (msg: dbus.Message): Promise<[string, unknown[]]> => {
      await authorize(bus, msg.sender, ACTIONS.restoreOwnFiles);
      const request = parsed(() => parse(stringArgument(msg, method)), method);
      return ['s', [JSON.stringify(await read(options, request, await callerIdentity(bus, msg.sender)))]];
    };

  const methods: Record<string, (msg: dbus.Message) => Promise<[string, unknown[]]>> = {
    async GetStatus(msg) {
      await authorize(bus, msg.sender, ACTIONS.readStatus);
      const status = await readStatus(options.configPath, options.stateDir, running !== undefined);
      return ['s', [JSON.stringify(status)]];
    },
    async CancelBackup(msg) {
      await authorize(bus, msg.sender, ACTIONS.runBackup);
      if (!running || !abort) return ['b', [false]];
      abort.abort();
      return ['b', [true]];
    },
    async BackUpNow(msg) {
      await authorize(bus, msg.sender, ACTIONS.runBackup);
      if (running) throw new RewindError('Busy', 'A backup is already running.');
      return ['s', [startBackup()]];
    },
    // Authorise first, then validate: an unauthorised caller learns nothing about its arguments.
    async ProbeHost(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      return ['s', [JSON.stringify(await probe(options, parseProbeRequest(stringArgument(msg, 'ProbeHost'))))]];
    },
    async TrustHost(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      await trust(options, parseTrustRequest(stringArgument(msg, 'TrustHost')));
      return ['', []];
    },
    async RestoreFiles(msg) {
      await authorize(bus, msg.sender, ACTIONS.restoreOwnFiles);
      const request = parsed(() => parseRestoreRequest(stringArgument(msg, 'RestoreFiles')), 'RestoreFiles');
      const { uid, gid } = await callerIdentity(bus, msg.sender);
      try {
        return ['s', [JSON.stringify(await restoreFiles(options, request, { uid, gid, admin: false }))]];
      } catch (error) {
        if (!(error instanceof NeedsAdmin)) throw error;
        // The kernel refused the caller: only an administrator may go on.
        await authorize(bus, msg.sender, ACTIONS.restoreFiles);
        const rest = await restoreFiles(options, { ...request, paths: error.remaining }, { uid, gid, admin: true });
        // What the user's part restored lost its special bits; the administrator's part kept them.
        return ['s', [JSON.stringify({ restored: [...error.done, ...rest.restored], as: 'admin', ...specialBitsRemoved(error.specialBitsRemoved) })]];
      }
    },
    // The restore browser reads as the caller, like RestoreFiles without an administrator.
    ListFolder: readAsCaller('ListFolder', parseListFolderRequest, listFolder),
    Search: readAsCaller('Search', parseSearchRequest, search),
    WhatChanged: readAsCaller('WhatChanged', parseWhatChangedRequest, whatChanged),
    async GetConfig(msg) {
      await authorize(bus, msg.sender, ACTIONS.readStatus);
      return ['s', [JSON.stringify(await loadConfig(options.configPath))]];
    },
    async SetConfig(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      const text = stringArgument(msg, 'SetConfig');
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new RewindError('InvalidConfig', 'The new configuration is not JSON.');
      }
      const problem = controlCharacterProblem(data);
      if (problem) throw new RewindError('InvalidArgs', `SetConfig: ${problem}.`);
      const config = await saveConfig(options.configPath, data);
      // The schedule takes effect at once; without systemd (a container) there is no timer to set.
      let timer = 'not changed: systemd is not running';
      if (existsSync('/run/systemd/system')) timer = (await applySchedule(config.schedule)).enabled ? 'enabled' : 'disabled';
      return ['s', [JSON.stringify({ config, timer })]];
    },
    // Without an argument (older apps), the configured sources mark their disks.
    async ListDisks(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      const sources =
        msg.signature === 's'
          ? parseListDisksRequest(stringArgument(msg, 'ListDisks'))
          : await loadConfig(options.configPath).then(
              (c) => c.sources.map((s) => (s.path ?? s.allSubvolumesOf) as string),
              () => [],
            );
      return ['s', [JSON.stringify(await listDisks(sources))]];
    },
    async GetHistory(msg) {
      await authorize(bus, msg.sender, ACTIONS.readStatus);
      const limit = msg.signature === 'u' ? Number(msg.body[0]) : NaN;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RewindError('InvalidArgs', 'GetHistory takes how many runs to return, from 1 to 1000.');
      return ['s', [JSON.stringify(await new History(options.stateDir).page(limit))]];
    },
    // Sizes walk folders as root: mounted subvolumes and the configured sources are status;
    // any other folder needs the configure action.
    async ListSubvolumes(msg) {
      await authorize(bus, msg.sender, ACTIONS.readStatus);
      const request = parseSubvolumeRequest(stringArgument(msg, 'ListSubvolumes'));
      const configured = await loadConfig(options.configPath).then(
        (c) => c.sources.flatMap((s) => (s.path ? [s.path] : [])),
        () => [],
      );
      if ((await unknownFolders(request, configured)).length > 0) await authorize(bus, msg.sender, ACTIONS.configure);
      return ['s', [JSON.stringify(await listSubvolumeSizes(request))]];
    },
    async PrepareDisk(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      const request = parsePrepareRequest(stringArgument(msg, 'PrepareDisk'));
      return ['s', [JSON.stringify(await prepareDisk(request))]];
    },
    async ListRestorePoints(msg) {
      await authorize(bus, msg.sender, ACTIONS.readStatus);
      return ['s', [JSON.stringify(await withRunContext(options, false, takeInventory))]];
    },
    async GetSshSetup(msg) {
      await authorize(bus, msg.sender, ACTIONS.configure);
      return ['s', [JSON.stringify(await setup(options, parseSetupRequest(stringArgument(msg, 'GetSshSetup'))))]];
    },
  };

  bus.addMethodHandler((msg: dbus.Message) => {
    if (msg.path !== HELPER_OBJECT_PATH) return false;
    if (msg.interface === 'org.freedesktop.DBus.Introspectable' && msg.member === 'Introspect') {
      bus.send(dbus.Message.newMethodReturn(msg, 's', [HELPER_INTERFACE_XML]));
      return true;
    }
    if (msg.interface !== HELPER_INTERFACE && msg.interface) return false;
    const method = methods[msg.member];
    if (!method) return false;
    calls++;
    resetIdle();
    method(msg)
      .then(
        ([signature, body]) => bus.send(dbus.Message.newMethodReturn(msg, signature, body)),
        (error: unknown) => {
          const failure = toRewindError(error);
          if (failure.code === 'Internal') console.error(`rewind-helper: ${msg.member}:`, failure.cause ?? failure);
          bus.send(dbus.Message.newError(msg as unknown as string, dbusErrorName(failure.code), failure.message));
        },
      )
      .finally(() => {
        calls--;
        resetIdle();
      });
    return true;
  });

  const reply = await bus.requestName(HELPER_BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
  if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
    throw new Error(`could not own ${HELPER_BUS_NAME} on the system bus (reply ${reply}); is another helper running?`);
  }
  resetIdle();
}
