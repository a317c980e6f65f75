import type { ErrorParams, ErrorReason, ErrorReasonId } from './error-reasons';
import { ERROR_PREFIX } from './ids';
import type { ErrorReport } from './status';

/**
 * One error type for the whole helper. Each code maps to exactly one D-Bus
 * error name and one message that says what happened and what to do; the
 * Record type makes the compiler prove the table is complete.
 */
export type ErrorCode =
  | 'NotAuthorized'
  | 'Dismissed'
  | 'Busy'
  | 'NotConfigured'
  | 'InvalidConfig'
  | 'InvalidArgs'
  | 'SourceNotBtrfs'
  | 'SourceMissing'
  | 'DestinationMissing'
  | 'DestinationFull'
  | 'TransferFailed'
  | 'BackupDamaged'
  | 'WrongKey'
  | 'HostKeyUnknown'
  | 'HostKeyChanged'
  | 'HostUnreachable'
  | 'KeyNotAccepted'
  | 'ConnectionLost'
  | 'Cancelled'
  | 'Internal';

interface ErrorInfo {
  /** What the user should do; appended to the specific detail. */
  advice: string;
}

const ERRORS: Record<ErrorCode, ErrorInfo> = {
  NotAuthorized: { advice: 'Ask an administrator of this computer to allow it.' },
  Dismissed: { advice: 'The authentication dialog was closed; try again to authenticate.' },
  Busy: { advice: 'Wait for the running backup to finish, or cancel it.' },
  NotConfigured: { advice: 'Set up backups first: choose what to back up and where.' },
  InvalidConfig: { advice: 'Fix the configuration file named above, or set up backups again.' },
  // Only for a request no person could have written (a malformed D-Bus call); see ADVICE for the rest.
  InvalidArgs: { advice: 'This is a bug in the calling program; please report it.' },
  // Advice reaches the app's screens: in plain words (./plain-text); the detail names the filesystem for the CLI.
  SourceNotBtrfs: {
    advice: 'Rewind backs up only folders it can take snapshots of, such as /home on Fedora, because it compares snapshots to copy only what changed.',
  },
  SourceMissing: { advice: 'Check that the folder to back up exists and its disk is mounted.' },
  DestinationMissing: { advice: 'Connect the backup disk, then try again.' },
  DestinationFull: { advice: 'Free space on the backup disk, or use a larger one.' },
  TransferFailed: { advice: 'Try again; if it keeps failing, check the backup disk for errors.' },
  BackupDamaged: {
    advice: 'The damaged backup cannot be used; restore from another point in time or another destination, and check the backup disk for errors.',
  },
  WrongKey: { advice: 'Use the recovery key that Rewind showed when encryption was turned on for this destination.' },
  HostKeyUnknown: {
    advice: 'Confirm the server’s key fingerprint in Rewind (or with rewind-helper ssh-probe and ssh-trust), after checking it on the server with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub.',
  },
  HostKeyChanged: {
    advice:
      'If the server was reinstalled or its keys were regenerated, check the new fingerprint on the server and confirm it in Rewind; otherwise someone may be intercepting the connection: do not confirm it.',
  },
  HostUnreachable: { advice: 'Check that the server is on, reachable over the network and runs its SSH service, then try again.' },
  KeyNotAccepted: {
    advice: 'Install this computer’s key on the server with rewind-helper accept-key (Rewind shows the exact command), then try again.',
  },
  ConnectionLost: { advice: 'Check the network and the server; the next backup cleans up and continues from the last complete one.' },
  Cancelled: { advice: 'Nothing was lost: the next backup cleans up and continues from the last complete one.' },
  Internal: { advice: 'This is a bug in Rewind; please report it with the system log.' },
};

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * Advice for causes that a code's own advice would pin on the wrong party
 * (RewindErrorOptions.advice): most InvalidArgs are well-formed requests
 * that name something a person chose, not a program's bug.
 */
export const ADVICE = {
  /** Something asked for by name that is not, or no longer, there. */
  chooseAgain: 'Check the name and choose again: backups and the configuration may have changed since they were listed.',
  /** An incomplete or contradictory command line. */
  commandLine: 'Run rewind-helper --help to see how to name it.',
  /** The detail already says what the person who asked can do. */
  inDetail: '',
  /** A backup server refused a request: it may name what is no longer there, or this computer asked wrongly. */
  serverRefused: 'The backup server refused the request: if its backups changed meanwhile, choose again; if it keeps refusing, report it with the system logs of both computers.',
} as const;

export function dbusErrorName(code: ErrorCode): string {
  return `${ERROR_PREFIX}.${code}`;
}

export function errorCodeFromDbusName(name: string): ErrorCode | undefined {
  const prefix = `${ERROR_PREFIX}.`;
  if (!name.startsWith(prefix)) return undefined;
  const code = name.slice(prefix.length);
  return (ERROR_CODES as string[]).includes(code) ? (code as ErrorCode) : undefined;
}

export function adviceFor(code: ErrorCode): string {
  return ERRORS[code].advice;
}

export interface RewindErrorOptions {
  cause?: unknown;
  /**
   * What to do, when the code's own advice would blame the wrong party or
   * name the wrong remedy for this cause; "" when `detail` already says it.
   */
  advice?: string;
  /** The cause as the app words it in the user's language (./error-reasons). */
  reason?: ErrorReason;
}

/** An error the helper reports to its callers; `detail` names the specific cause. */
export class RewindError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly reason?: ErrorReason;

  constructor(code: ErrorCode, detail: string, options: RewindErrorOptions = {}) {
    const { advice = ERRORS[code].advice, reason, ...rest } = options;
    super(advice ? `${detail} ${advice}` : detail, rest);
    this.name = 'RewindError';
    this.code = code;
    this.detail = detail;
    if (reason) this.reason = reason;
  }
}

/** What the helper reports of an error in its JSON answers and records: the code, the English message, and the reason when it has one. */
export function errorReport(error: RewindError): ErrorReport {
  return {
    code: error.code,
    message: error.message,
    ...(error.reason ? { reason: error.reason.id, params: withoutUndefined(error.reason.params) } : {}),
  };
}

function withoutUndefined(params: object): ErrorParams {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as ErrorParams;
}

/**
 * A D-Bus error has one string, its message (GDBus reads no other argument).
 * It is the helper's English message; when the error has a reason, a last
 * line `rewind-reason: {"reason":…,"params":{…}}` follows, which
 * `splitDbusErrorMessage` takes off again.
 */
const REASON_LINE = '\nrewind-reason: ';

export function dbusErrorMessage(error: RewindError): string {
  const report = errorReport(error);
  return report.reason ? `${report.message}${REASON_LINE}${JSON.stringify({ reason: report.reason, params: report.params })}` : report.message;
}

/** The message and the reason of a D-Bus error's text; a reason line that is not well-formed is dropped. */
export function splitDbusErrorMessage(text: string): { message: string; reason?: string; params?: ErrorParams } {
  const at = text.lastIndexOf(REASON_LINE);
  if (at < 0) return { message: text };
  const message = text.slice(0, at);
  const parsed = parseReason(text.slice(at + REASON_LINE.length));
  return parsed ? { message, ...parsed } : { message };
}

const REASON_ID = /^[a-z][a-z-]{0,63}$/;

/**
 * A reason and its parameters as read from JSON, checked: a well-formed id,
 * and parameters that are short strings or finite numbers; anything else is no reason.
 */
export function parseReason(json: unknown): { reason: string; params: ErrorParams } | undefined {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { reason, params = {} } = value as { reason?: unknown; params?: unknown };
  if (typeof reason !== 'string' || !REASON_ID.test(reason)) return undefined;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const entries = Object.entries(params as Record<string, unknown>);
  const plain = entries.every(([k, v]) => /^[a-zA-Z]{1,32}$/.test(k) && ((typeof v === 'string' && v.length <= 1000) || (typeof v === 'number' && Number.isFinite(v))));
  return plain && entries.length <= 16 ? { reason: reason as ErrorReasonId, params: params as ErrorParams } : undefined;
}

/** Anything thrown becomes a RewindError, keeping the original as the cause. */
export function toRewindError(error: unknown): RewindError {
  if (error instanceof RewindError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new RewindError('Internal', `Unexpected error: ${detail}.`, { cause: error });
}
