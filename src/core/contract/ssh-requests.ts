import { controlCharacterProblem } from '../control-characters';
import { RewindError } from '../errors';
import { checkFields, checkFingerprint, checkSshHost, checkSshPort, checkSshUser, DEFAULT_SSH_PORT, DEFAULT_SSH_USER, normalizeSshHost } from '../ssh';

/**
 * The requests of the three steps of setting up an SSH destination, shared
 * by the D-Bus methods (ProbeHost, TrustHost, GetSshSetup) and the CLI
 * (ssh-probe, ssh-trust, ssh-setup). Each is a JSON object checked field by
 * field before anything is scanned, generated or written.
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

/** What the app sends to ProbeHost; port and user have defaults. */
export interface ProbeInput {
  host: string;
  port?: number;
  user?: string;
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

/** What the app sends to TrustHost; the port has a default. */
export interface TrustInput {
  host: string;
  port?: number;
  fingerprint: string;
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

/** GetSshSetup's request: the backup folder on the server, and the account backups arrive as there (default root). */
export interface SetupRequest {
  path: string;
  user?: string;
}

export function parseSetupRequest(json: string): SetupRequest {
  const f = check('GetSshSetup', parseJson('GetSshSetup', json), ['path'], ['user'], [
    ['user', checkSshUser],
    [
      'path',
      (v) =>
        typeof v === 'string' && SHELL_SAFE_ABSOLUTE.test(v) && !v.split('/').includes('..') && v.length <= 1024
          ? undefined
          : `"path" must be an absolute path on the server of letters, digits, ".", "_", "+", "-" and "/", without ".."; found ${JSON.stringify(v)}`,
    ],
  ]);
  return { path: f.path as string, user: (f.user as string | undefined) ?? DEFAULT_SSH_USER };
}
