import { ACTIONS, type ActionId } from '../ids';
import type { Config } from '../config';
import type { RestoreRequest, RestoreResult } from '../restore-request';
import type { FolderListing, ListFolderInput, SearchInput, SearchResult, WhatChangedInput, WhatChangedResult } from '../browse-request';
import type { HostProbe, SshSetup } from '../ssh';
import type { ServerCheck } from '../server-check';
import type { HelperStatus, HistoryPage } from '../status';
import type { SubvolumeRequest, SubvolumeSize } from '../subvolume-size';
import type { DiskInfo, Inventory, PrepareDiskResult, ScheduledStart, SetConfigResult } from './responses';
import type { ListDisksInput, PrepareDiskRequest } from './disk-requests';
import type { ProbeInput, SetupRequest, TrustInput } from './ssh-requests';
import type { SetApartRequest, SetApartResult } from './set-apart-request';
import type { Discovery, ServerDiscovery } from '../discovery';
import type { KeepBackingUpInput, RestoreHomeInput, RestoreHomeResult } from './recovery-requests';
import type { CheckBackupsRequest } from './drill-request';
import type { DrillResult } from '../drill';
import type { ListVersionsInput, VersionsListing } from '../versions-request';
import type { MomentsSearchResult, SearchMomentsInput } from '../moments-search';

/**
 * The helper's D-Bus contract: one entry per method of
 * io.github.rewindbackup.Rewind.Helper1, with its arguments (D-Bus type and
 * name), the polkit action the daemon checks before anything else, and how
 * long the app waits for it. Each entry also carries, as types only, what the
 * app sends and what it gets back, so the daemon's handlers and the app's
 * `call` are checked against the same definition.
 *
 * Structured values travel as JSON in one string ("s"); an "s" answer is
 * JSON unless `json: false` (BackUpNow's job id). The request parsers are in
 * ./requests (a table with one per method, which the type system keeps
 * complete); they are apart so the app's bundle does not carry them.
 * The introspection XML (../dbus-interface) is generated from this table;
 * tests/unit/helper-contract.test.ts checks it against the polkit policy
 * and the table in docs/architecture.md.
 */
export interface ArgSpec {
  type: 's' | 'u' | 'b';
  name: string;
}

export interface MethodSpec {
  /** The action authorised first; a handler may ask for a second one (RestoreFiles, ListSubvolumes). */
  action: ActionId;
  /** The one argument, if any; `optional`: older callers may leave it out. */
  in?: ArgSpec & { optional?: true };
  out?: ArgSpec & { json?: false };
  timeoutMs: number;
}

/** What travels, as types only: `types` is never set. */
export interface Typed<Input, Response> {
  readonly types?: { input: Input; response: Response };
}

const method = <Input = void, Response = void>(spec: MethodSpec): MethodSpec & Typed<Input, Response> => spec;

const json = (name: string): ArgSpec => ({ type: 's', name });
const REQUEST = json('request_json');

const SECONDS = 1000;
/** Reading state answers at once. */
const READ = 25 * SECONDS;
/** BackUpNow returns as soon as polkit said yes; the prompt may take a while. */
const START = 60 * SECONDS;
/** A password prompt, then ProbeHost connects to the server. */
const SSH = 120 * SECONDS;
/** PrepareDisk runs mkfs.btrfs; ListRestorePoints opens every destination; restores read as the caller. */
const LONG = 180 * SECONDS;
/** SetFolderApart clones a folder's files by reference: minutes for a million of them. */
const SET_APART = 30 * 60 * SECONDS;
/** CheckBackups restores and compares a sample on each destination, each within its time budget (300 s by default). */
const DRILL = 60 * 60 * SECONDS;
/** RestoreHome receives a whole home. */
const WHOLE = 6 * 3600 * SECONDS;

export const HELPER_METHODS = {
  GetStatus: method<void, HelperStatus>({ action: ACTIONS.readStatus, out: json('status_json'), timeoutMs: READ }),
  BackUpNow: method<void, string>({ action: ACTIONS.runBackup, out: { type: 's', name: 'job_id', json: false }, timeoutMs: START }),
  StartScheduledBackup: method<void, ScheduledStart>({ action: ACTIONS.runBackup, out: json('result_json'), timeoutMs: START }),
  CancelBackup: method<void, boolean>({ action: ACTIONS.runBackup, out: { type: 'b', name: 'was_running' }, timeoutMs: LONG }),
  ProbeHost: method<ProbeInput, HostProbe>({ action: ACTIONS.configure, in: REQUEST, out: json('probe_json'), timeoutMs: SSH }),
  TrustHost: method<TrustInput>({ action: ACTIONS.configure, in: REQUEST, timeoutMs: SSH }),
  GetSshSetup: method<SetupRequest, SshSetup>({ action: ACTIONS.configure, in: REQUEST, out: json('setup_json'), timeoutMs: SSH }),
  CheckServer: method<ProbeInput, ServerCheck>({ action: ACTIONS.configure, in: REQUEST, out: json('check_json'), timeoutMs: SSH }),
  GetConfig: method<void, Config>({ action: ACTIONS.readConfig, out: json('config_json'), timeoutMs: LONG }),
  SetConfig: method<Config, SetConfigResult>({ action: ACTIONS.configure, in: json('config_json'), out: json('result_json'), timeoutMs: LONG }),
  ListDisks: method<ListDisksInput | undefined, DiskInfo[]>({ action: ACTIONS.configure, in: { ...REQUEST, optional: true }, out: json('disks_json'), timeoutMs: LONG }),
  GetHistory: method<number, HistoryPage>({ action: ACTIONS.readStatus, in: { type: 'u', name: 'limit' }, out: json('history_json'), timeoutMs: READ }),
  ListSubvolumes: method<SubvolumeRequest, SubvolumeSize[]>({ action: ACTIONS.readConfig, in: REQUEST, out: json('subvolumes_json'), timeoutMs: LONG }),
  SetFolderApart: method<SetApartRequest, SetApartResult>({ action: ACTIONS.configure, in: REQUEST, out: json('result_json'), timeoutMs: SET_APART }),
  PrepareDisk: method<PrepareDiskRequest, PrepareDiskResult>({ action: ACTIONS.prepareDisk, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  ListRestorePoints: method<void, Inventory>({ action: ACTIONS.readConfig, out: json('inventory_json'), timeoutMs: LONG }),
  RestoreFiles: method<RestoreRequest, RestoreResult>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  ListFolder: method<ListFolderInput, FolderListing>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('listing_json'), timeoutMs: LONG }),
  ListVersions: method<ListVersionsInput, VersionsListing>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('versions_json'), timeoutMs: LONG }),
  Search: method<SearchInput, SearchResult>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  SearchMoments: method<SearchMomentsInput, MomentsSearchResult>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  WhatChanged: method<WhatChangedInput, WhatChangedResult>({ action: ACTIONS.restoreOwnFiles, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  DiscoverBackups: method<void, Discovery>({ action: ACTIONS.readConfig, out: json('discovery_json'), timeoutMs: LONG }),
  // Connects with the helper's own key, as CheckServer: configuring's authorization.
  DiscoverServerBackups: method<ProbeInput, ServerDiscovery>({ action: ACTIONS.configure, in: REQUEST, out: json('discovery_json'), timeoutMs: SSH }),
  RestoreHome: method<RestoreHomeInput, RestoreHomeResult>({ action: ACTIONS.restoreFiles, in: REQUEST, out: json('result_json'), timeoutMs: WHOLE }),
  CancelRestore: method<void, boolean>({ action: ACTIONS.restoreFiles, out: { type: 'b', name: 'was_running' }, timeoutMs: LONG }),
  KeepBackingUp: method<KeepBackingUpInput, SetConfigResult>({ action: ACTIONS.configure, in: REQUEST, out: json('result_json'), timeoutMs: LONG }),
  CheckBackups: method<CheckBackupsRequest | undefined, DrillResult>({ action: ACTIONS.runBackup, in: { ...REQUEST, optional: true }, out: json('result_json'), timeoutMs: DRILL }),
} as const;

export type HelperMethods = typeof HELPER_METHODS;
export type MethodName = keyof HelperMethods;

type TypesOf<M extends MethodName> = NonNullable<HelperMethods[M]['types']>;
/** What the app sends (before the parser fills in defaults). */
export type InputOf<M extends MethodName> = TypesOf<M>['input'];
/** What the method answers, decoded. */
export type ResponseOf<M extends MethodName> = TypesOf<M>['response'];
/** The arguments of a call: none, one that may be left out, or one. */
export type ArgsOf<M extends MethodName> = [InputOf<M>] extends [void] ? [] : undefined extends InputOf<M> ? [request?: InputOf<M>] : [request: InputOf<M>];

export const METHOD_NAMES = Object.keys(HELPER_METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(HELPER_METHODS, name);
}

/**
 * The signals, for the introspection XML: BackUpNow's job reports Progress
 * and ends with one Completed; a running RestoreHome reports RestoreProgress
 * (one at a time: it holds the run lock) until its call answers.
 */
export const HELPER_SIGNALS: Record<'Progress' | 'Completed' | 'RestoreProgress', ArgSpec[]> = {
  Progress: [
    { type: 's', name: 'job_id' },
    { type: 's', name: 'progress_json' },
  ],
  Completed: [
    { type: 's', name: 'job_id' },
    { type: 'b', name: 'success' },
    { type: 's', name: 'result_json' },
  ],
  RestoreProgress: [{ type: 's', name: 'progress_json' }],
};
