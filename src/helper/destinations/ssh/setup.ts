import { hostname } from 'node:os';
import { RewindError } from '../../../core/errors';
import { checkHostName } from '../../../core/serve-protocol';
import { DEFAULT_SSH_USER, type HostProbe, type SshSetup } from '../../../core/ssh';
import type { ServerCheck } from '../../../core/server-check';
import type { ProbeRequest, SetupRequest, TrustRequest } from '../../../core/contract/ssh-requests';
export { parseProbeRequest, parseSetupRequest, parseTrustRequest, type ProbeRequest, type TrustRequest } from '../../../core/contract/ssh-requests';
import { loadConfig } from '../../config/config-file';
import { sshPaths, sshSetup } from './identity';
import { probeHost, trustHost } from './known-hosts';

/**
 * The steps of setting up an SSH destination, shared by the D-Bus
 * methods (ProbeHost, TrustHost, GetSshSetup, CheckServer) and the CLI (ssh-probe,
 * ssh-trust, ssh-setup). Their requests are parsed in core
 * (src/core/contract/ssh-requests.ts) before anything is scanned, generated
 * or written.
 */
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

/** Add Backup Server's connection test (./check-server). */
export async function check(context: SetupContext, request: ProbeRequest): Promise<ServerCheck> {
  const { checkServer } = await import('./check-server');
  return checkServer(sshPaths(context.stateDir), request);
}

export async function setup(context: SetupContext, request: SetupRequest): Promise<SshSetup> {
  return sshSetup(sshPaths(context.stateDir), await localHostName(context.configPath), request.path, request.user ?? DEFAULT_SSH_USER);
}
