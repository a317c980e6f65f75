import { parseListFolderRequest, parseSearchRequest, parseWhatChangedRequest } from '../browse-request';
import { parseListVersionsRequest } from '../versions-request';
import { parseSearchMomentsRequest } from '../moments-search';
import { controlCharacterProblem, rawControlCharacterProblem } from '../control-characters';
import { RewindError } from '../errors';
import { parseRestoreRequest } from '../restore-request';
import { parseListDisksRequest, parsePrepareRequest } from './disk-requests';
import { HELPER_METHODS, type MethodName } from './methods';
import { parseProbeRequest, parseSetupRequest, parseTrustRequest } from './ssh-requests';
import { parseSubvolumeRequest } from './subvolume-request';
import { parseSetApartRequest } from './set-apart-request';
import { parseKeepBackingUpRequest, parseRestoreHomeRequest } from './recovery-requests';
import { parseCheckBackupsRequest } from './drill-request';

/**
 * Every method's request parser, one per method of ./methods (the type keeps
 * the table complete). The daemon parses after polkit said yes, so a caller
 * that may not call a method learns nothing about its arguments.
 */
const none = (): void => undefined;

/** SetConfig's argument: JSON that saveConfig validates against the schema. */
function parseConfigArgument(json: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new RewindError('InvalidConfig', 'The new configuration is not JSON.');
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `SetConfig: ${problem}.`);
  return data;
}

/** GetHistory's argument: how many runs, 1 to 1000. */
function parseHistoryLimit(value: unknown): number {
  const limit = value === undefined ? NaN : Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RewindError('InvalidArgs', 'GetHistory takes how many runs to return, from 1 to 1000.');
  return limit;
}

export const REQUEST_PARSERS = {
  GetStatus: none,
  BackUpNow: none,
  StartScheduledBackup: none,
  CancelBackup: none,
  ProbeHost: parseProbeRequest,
  TrustHost: parseTrustRequest,
  GetSshSetup: parseSetupRequest,
  CheckServer: parseProbeRequest,
  GetConfig: none,
  SetConfig: parseConfigArgument,
  // Without an argument (older apps) the daemon takes the configured sources.
  ListDisks: (json: string | undefined) => (json === undefined ? undefined : parseListDisksRequest(json)),
  GetHistory: parseHistoryLimit,
  ListSubvolumes: parseSubvolumeRequest,
  SetFolderApart: parseSetApartRequest,
  PrepareDisk: parsePrepareRequest,
  ListRestorePoints: none,
  RestoreFiles: parseRestoreRequest,
  ListFolder: parseListFolderRequest,
  ListVersions: parseListVersionsRequest,
  Search: parseSearchRequest,
  SearchMoments: parseSearchMomentsRequest,
  WhatChanged: parseWhatChangedRequest,
  DiscoverBackups: none,
  DiscoverServerBackups: parseProbeRequest,
  RestoreHome: parseRestoreHomeRequest,
  CancelRestore: none,
  KeepBackingUp: parseKeepBackingUpRequest,
  CheckBackups: parseCheckBackupsRequest,
} satisfies Record<MethodName, (argument: never) => unknown>;

/** What a method's handler gets: its parsed request. */
export type RequestOf<M extends MethodName> = ReturnType<(typeof REQUEST_PARSERS)[M]>;

/**
 * The one argument of a call as its entry declares it. A string argument is
 * JSON: any other signature is refused, and so is a control character in its
 * raw text (each parser also refuses one in any string of the parsed JSON,
 * where it may come escaped).
 */
function argument(method: MethodName, signature: string, body: readonly unknown[]): unknown {
  const spec = HELPER_METHODS[method] as { in?: { type: string; optional?: true } };
  if (!spec.in) return undefined;
  if (spec.in.type === 'u') return signature === 'u' ? body[0] : undefined;
  if (signature !== 's' || typeof body[0] !== 'string') {
    if (spec.in.optional && signature !== 's') return undefined;
    throw new RewindError('InvalidArgs', `${method} takes one string (JSON); it was called with the signature "${signature}".`);
  }
  const problem = rawControlCharacterProblem(body[0]);
  if (problem) throw new RewindError('InvalidArgs', `${method}: ${problem}.`);
  return body[0];
}

/** A call's request, parsed; what is wrong with it is the caller's InvalidArgs, naming the method. */
export function parseRequest<M extends MethodName>(method: M, signature: string, body: readonly unknown[]): RequestOf<M> {
  const parse = REQUEST_PARSERS[method] as (argument: unknown) => RequestOf<M>;
  try {
    return parse(argument(method, signature, body));
  } catch (error) {
    if (error instanceof RewindError) throw error;
    throw new RewindError('InvalidArgs', `${method}: ${(error as Error).message}.`);
  }
}
