import type { ErrorCode } from './errors';
import { chooseServerStore, serverProblem, type ServerCapabilities, type ServerStore } from './server-capabilities';

/**
 * CheckServer's answer: Add Backup Server's connection test, which proves,
 * before the server is added, that this computer's key is accepted there
 * and the backup folder can be written; and what the server is (its free
 * space, the store Rewind will use there) for the page to say in words.
 */
export type ServerCheckProblem =
  | 'no-route'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'key-not-accepted'
  | 'not-installed'
  | 'folder-missing'
  | 'not-writable'
  | 'full'
  | 'too-old'
  | 'other';

export type ServerCheck =
  | { ok: true; store: ServerStore; server: ServerCapabilities }
  | { ok: false; problem: ServerCheckProblem; /** The helper's own sentence (logs, the CLI). */ detail: string; server?: ServerCapabilities };

/** Which problem a failed connection was, from the error the connection raised. */
export function problemOfError(code: ErrorCode, detail: string): ServerCheckProblem {
  switch (code) {
    case 'HostUnreachable':
      return 'no-route';
    case 'HostKeyUnknown':
      return 'host-key-unknown';
    case 'HostKeyChanged':
      return 'host-key-changed';
    case 'KeyNotAccepted':
      return 'key-not-accepted';
    case 'DestinationMissing':
      return 'folder-missing';
    case 'InvalidArgs':
      // A serve that does not speak this client's hello is older (or newer) than this one.
      return /hello|only version/i.test(detail) ? 'too-old' : 'other';
    case 'TransferFailed':
      return /did not start rewind-helper serve|did not answer like rewind-helper serve/.test(detail) ? 'not-installed' : 'other';
    default:
      return 'other';
  }
}

/** A server that answered: fit, or what keeps it from being added. */
export function checkAnsweredServer(server: ServerCapabilities, configured?: ServerStore): ServerCheck {
  const problem = serverProblem(server);
  if (problem) return { ok: false, problem, detail: `The server cannot be added: ${problem}.`, server };
  return { ok: true, store: chooseServerStore(configured, server), server };
}
