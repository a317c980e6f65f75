import { existsSync } from 'node:fs';
import type { Config } from '../../core/config';
import { isFoundId } from '../../core/discovery';
import type { MethodName, ResponseOf } from '../../core/contract/methods';
import type { RequestOf } from '../../core/contract/requests';
import { ACTIONS, type ActionId } from '../../core/ids';
import { specialBitsRemoved } from '../../core/restore-request';
import { loadConfig, saveConfig } from '../config/config-file';
import { keysForNewDestinations } from '../config/destination-keys';
import type { NewKey } from '../../core/contract/responses';
import { withMountPoints } from '../destinations/stream-files/mounted-folder';
import { listDisks, prepareDisk } from '../system/disks';
import { History } from '../engine/history';
import { listSubvolumeSizes, unknownFolders } from '../system/subvolume-sizes';
import { setApart } from '../system/set-apart';
import { takeInventory } from '../engine/inventory';
import { withRunContext } from '../engine/run-context';
import { readStatus } from '../engine/status';
import { postponeIfWaiting } from '../engine/postpone';
import { applySchedule } from '../system/timer';
import { NeedsAdmin, restoreFiles } from '../restore/user-restore';
import { listFolder, search, whatChanged } from '../restore/browse';
import { listVersions } from '../restore/versions';
import { searchMoments } from '../restore/search-moments';
import { discoverAndRemember } from '../recovery/found-point';
import { restoreHome } from '../recovery/restore-home';
import { keepBackingUp } from '../recovery/keep-backing-up';
import { drillDestinations } from '../drill/drill';
import { check, localHostName, probe, setup, trust } from '../destinations/ssh/setup';
import { sshPaths } from '../destinations/ssh/identity';
import type { CallerIdentity } from './caller';
import type { BackupJob } from './job';
import type { RestoreJob } from './restore-job';
import type { DaemonOptions } from './daemon';

/**
 * What each method does once the caller passed its entry's polkit action and
 * its request parsed (./daemon dispatches). Typed by the contract: each
 * handler takes its method's parsed request and answers its response type.
 */
export interface CallContext {
  /** Authorises the caller for a further action (beyond the entry's). */
  authorize(action: ActionId): Promise<void>;
  caller(): Promise<CallerIdentity>;
}

export type Handlers = { [M in MethodName]: (request: RequestOf<M>, call: CallContext) => Promise<ResponseOf<M>> };

/** The configured sources' paths, or none when there is no readable configuration. */
function configuredPaths(options: DaemonOptions, withAllSubvolumesOf: boolean): Promise<string[]> {
  return loadConfig(options.configPath).then(
    (c) => c.sources.flatMap((s) => (s.path ? [s.path] : withAllSubvolumesOf && s.allSubvolumesOf ? [s.allSubvolumesOf] : [])),
    () => [],
  );
}

/** A saved configuration's schedule takes effect at once; without systemd (a container) there is no timer to set. */
async function withSchedule(config: Config): Promise<{ config: Config; timer: string }> {
  let timer = 'not changed: systemd is not running';
  if (existsSync('/run/systemd/system')) timer = (await applySchedule(config.schedule)).enabled ? 'enabled' : 'disabled';
  return { config, timer };
}

/**
 * Backups found with no configuration (another computer's, on a disk or a
 * server) carry that computer's owner numbers, which on this one may be
 * anyone's: reading them as the caller would let one person read another's
 * old files. Opening them is an administrator's, as restoring them whole is
 * (RestoreHome), whatever the method's own action allows.
 */
async function adminForFound(call: CallContext, froms: readonly string[]): Promise<void> {
  if (froms.some(isFoundId)) await call.authorize(ACTIONS.restoreFiles);
}

export function helperHandlers(options: DaemonOptions, job: BackupJob, restoreJob: RestoreJob): Handlers {
  return {
    GetStatus: () => readStatus(options.configPath, options.stateDir, job.running !== undefined),
    CancelBackup: async () => job.cancel(),
    BackUpNow: async () => job.start(),
    // What the timer would do now: the monitor's catch-up on a disk that came back, and a postponed run whose reason ended.
    async StartScheduledBackup() {
      const postponed = await postponeIfWaiting(options);
      return postponed?.postponed ? { postponed: postponed.postponed } : { job: job.start() };
    },
    ProbeHost: (request) => probe(options, request),
    TrustHost: async (request) => {
      await trust(options, request);
    },
    GetSshSetup: (request) => setup(options, request),
    CheckServer: (request) => check(options, request),
    async RestoreFiles(request, call) {
      await adminForFound(call, [request.from]);
      const { uid, gid } = await call.caller();
      try {
        return await restoreFiles(options, request, { uid, gid, admin: false });
      } catch (error) {
        if (!(error instanceof NeedsAdmin)) throw error;
        // The kernel refused the caller: only an administrator may go on.
        await call.authorize(ACTIONS.restoreFiles);
        const rest = await restoreFiles(options, { ...request, paths: error.remaining }, { uid, gid, admin: true });
        // What the user's part restored lost its special bits; the administrator's part kept them.
        return { restored: [...error.done, ...rest.restored], as: 'admin', ...specialBitsRemoved(error.specialBitsRemoved) };
      }
    },
    // The restore browser reads as the caller, like RestoreFiles without an administrator.
    ListFolder: async (request, call) => {
      await adminForFound(call, [request.from]);
      return listFolder(options, request, await call.caller());
    },
    ListVersions: async (request, call) => {
      await adminForFound(call, request.points.map((p) => p.from));
      return listVersions(options, request, await call.caller());
    },
    Search: async (request, call) => {
      await adminForFound(call, [request.from]);
      return search(options, request, await call.caller());
    },
    // Every moment of this computer's own configuration: found backups are not searched.
    SearchMoments: async (request, call) => searchMoments(options, request, await call.caller()),
    WhatChanged: async (request, call) => {
      await adminForFound(call, [request.from]);
      return whatChanged(options, request, await call.caller());
    },
    GetConfig: () => loadConfig(options.configPath),
    async SetConfig(data) {
      // A folder destination records the mount it must be on; the helper sees the mounts, a sandboxed app may not.
      const previous = await loadConfig(options.configPath).then((c) => c.destinations, () => []);
      let newKeys: NewKey[] = [];
      const makeKeys = async (config: Config) => {
        newKeys = await keysForNewDestinations(options.stateDir, config, new Set(previous.map((d) => d.id)));
      };
      const result = await withSchedule(await saveConfig(options.configPath, await withMountPoints(data, previous), makeKeys));
      return newKeys.length > 0 ? { ...result, newKeys } : result;
    },
    // Without an argument (older apps), the configured sources mark their disks.
    ListDisks: async (sources) => listDisks(sources ?? (await configuredPaths(options, true))),
    GetHistory: (limit) => new History(options.stateDir).page(limit),
    // Sizes walk folders as root: mounted subvolumes, the configured sources and the caller's own
    // home are for whoever may read the settings; any other folder needs the configure action.
    async ListSubvolumes(request, call) {
      const { uid } = await call.caller();
      if ((await unknownFolders(request, await configuredPaths(options, false), uid)).length > 0) await call.authorize(ACTIONS.configure);
      return listSubvolumeSizes(request, options.stateDir);
    },
    // The configured sources are never joined into the folder around them.
    SetFolderApart: async (request) => setApart(request.path, request.apart ? 'apart' : 'join', { sources: await configuredPaths(options, false), stateDir: options.stateDir }),
    PrepareDisk: (request) => prepareDisk(request),
    ListRestorePoints: () => withRunContext(options, false, takeInventory),
    // Needs no configuration: after a reinstall, what the connected disks hold.
    DiscoverBackups: () => discoverAndRemember(options.runtimeDir),
    // Only reads on the server: the backups this computer's key may read there (accept-key --read-only).
    async DiscoverServerBackups(request) {
      const { discoverServerForApp } = await import('../recovery/discover-server');
      return discoverServerForApp(sshPaths(options.stateDir), request, await localHostName(options.configPath), options.runtimeDir);
    },
    RestoreHome: (request) => restoreJob.run((watch) => restoreHome(options, request, watch)),
    CancelRestore: async () => restoreJob.cancel(),
    // The configuration (and the recovery key) for the found backups is the helper's to make, from what it found.
    KeepBackingUp: async (request) => withSchedule(await keepBackingUp(options, request)),
    // Under the run lock, as a backup: Busy while one runs.
    CheckBackups: (request) => drillDestinations(options, { destination: request.destination }),
  };
}
