import { hostname } from 'node:os';
import { controlCharacterProblem } from '../../../core/control-characters';
import { RewindError } from '../../../core/errors';
import { checkHostName } from '../../../core/serve-protocol';
import { checkFields, checkFingerprint, checkSshHost, checkSshPort, checkSshUser, DEFAULT_SSH_PORT, DEFAULT_SSH_USER, normalizeSshHost, type HostProbe, type SshSetup } from '../../../core/ssh';
import { loadConfig } from '../../config/config-file';
import { sshPaths, sshSetup } from './identity';
import { probeHost, trustHost } from './known-hosts';

/**
 * The three steps of setting up an SSH destination, shared by the D-Bus
 * methods (ProbeHost, TrustHost, GetSshSetup) and the CLI (ssh-probe,
 * ssh-trust, ssh-setup). Each request is a JSON object checked field by field
 * before anything is scanned, generated or written.
 */
function invalid(method: string, problems: string[]): RewindError {
  return new RewindError('InvalidArgs', `${method}: ${problems.join('; ')}.`);
}

function parseJson(method: string, json: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw invalid(method, ['the argument must be a JSON object']);
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw invalid(method, [problem]);
  return data;
}

function check(method: string, data: unknown, required: string[], optional: string[], checks: Array<[string, (v: unknown) => string | undefined]>): Record<string, unknown> {
  const problems = checkFields(data, required, optional);
  if (problems.length > 0) throw invalid(method, problems);
  const fields = data as Record<string, unknown>;
  for (const [key, checkOne] of checks) {
    if (fields[key] === undefined) continue;
    const problem = checkOne(fields[key]);
    if (problem) throw invalid(method, [problem]);
  }
  return fields;
}

export interface ProbeRequest {
  host: string;
  port: number;
  user: string;
}

export function parseProbeRequest(json: string): ProbeRequest {
  const f = check('ProbeHost', parseJson('ProbeHost', json), ['host'], ['port', 'user'], [
    ['host', checkSshHost],
    ['port', checkSshPort],
    ['user', checkSshUser],
  ]);
  return { host: normalizeSshHost(f.host as string), port: (f.port as number | undefined) ?? DEFAULT_SSH_PORT, user: (f.user as string | undefined) ?? DEFAULT_SSH_USER };
}

export interface TrustRequest {
  host: string;
  port: number;
  fingerprint: string;
}

export function parseTrustRequest(json: string): TrustRequest {
  const f = check('TrustHost', parseJson('TrustHost', json), ['host', 'fingerprint'], ['port'], [
    ['host', checkSshHost],
    ['port', checkSshPort],
    ['fingerprint', checkFingerprint],
  ]);
  return { host: normalizeSshHost(f.host as string), port: (f.port as number | undefined) ?? DEFAULT_SSH_PORT, fingerprint: f.fingerprint as string };
}

const SHELL_SAFE_ABSOLUTE = /^\/[A-Za-z0-9._+/-]*$/;

export function parseSetupRequest(json: string): { path: string } {
  const f = check('GetSshSetup', parseJson('GetSshSetup', json), ['path'], [], [
    [
      'path',
      (v) =>
        typeof v === 'string' && SHELL_SAFE_ABSOLUTE.test(v) && !v.split('/').includes('..') && v.length <= 1024
          ? undefined
          : `"path" must be an absolute path on the server of letters, digits, ".", "_", "+", "-" and "/", without ".."; found ${JSON.stringify(v)}`,
    ],
  ]);
  return { path: f.path as string };
}

/** This machine's folder name on servers: hostName from the configuration, else the host name. */
export async function localHostName(configPath: string): Promise<string> {
  const config = await loadConfig(configPath).catch(() => undefined);
  const name = config?.hostName ?? hostname();
  const problem = checkHostName(name);
  if (problem) {
    throw new RewindError('InvalidConfig', `This computer’s name cannot name its folder on a server: it ${problem}. Set "hostName" in the configuration.`);
  }
  return name;
}

export interface SetupContext {
  configPath: string;
  stateDir: string;
}

export async function probe(context: SetupContext, request: ProbeRequest): Promise<HostProbe> {
  return probeHost(sshPaths(context.stateDir), request.host, request.port);
}

export async function trust(context: SetupContext, request: TrustRequest): Promise<HostProbe> {
  const key = await trustHost(sshPaths(context.stateDir), request.host, request.port, request.fingerprint);
  return { host: request.host, port: request.port, keyType: key.type, fingerprint: key.fingerprint, state: 'known' };
}

export async function setup(context: SetupContext, request: { path: string }): Promise<SshSetup> {
  return sshSetup(sshPaths(context.stateDir), await localHostName(context.configPath), request.path);
}
