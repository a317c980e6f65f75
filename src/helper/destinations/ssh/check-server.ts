import { RewindError, toRewindError } from '../../../core/errors';
import { checkAnsweredServer, problemOfError, type ServerCheck } from '../../../core/server-check';
import { serverCapabilities } from '../../../core/server-capabilities';
import type { ProbeRequest } from '../../../core/contract/ssh-requests';
import { SshConnection } from './connection';
import type { SshPaths } from './identity';

/**
 * CheckServer: connects to the server as a run would (the pinned host key,
 * this computer's key, `rewind-helper serve`), reads its hello and hangs up.
 * Every failure is an answer, not an error: the dialog says each in words.
 */
export async function checkServer(paths: SshPaths, request: ProbeRequest): Promise<ServerCheck> {
  let connection: SshConnection;
  try {
    connection = await SshConnection.open(request, paths, { connectSeconds: 10, aliveIntervalSeconds: 10, aliveCountMax: 2 });
  } catch (error) {
    const failure = error instanceof RewindError ? error : toRewindError(error);
    return { ok: false, problem: problemOfError(failure.code, failure.detail), detail: failure.detail };
  }
  try {
    return checkAnsweredServer(serverCapabilities(connection.hello));
  } finally {
    await connection.close();
  }
}
