import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { HELPER_METHODS, type ArgsOf, type MethodName, type ResponseOf } from '../core/contract/methods';
import { HELPER_INTERFACE_XML } from '../core/dbus-interface';
import { errorCodeFromDbusName, splitDbusErrorMessage, type ErrorCode } from '../core/errors';
import { HELPER_BUS_NAME, HELPER_INTERFACE, HELPER_OBJECT_PATH } from '../core/ids';
import type { HelperStatus, HistoryPage, RunRecord, SpaceFreed } from '../core/status';
import { _ } from './i18n';
import { screenMessage } from './error-text';

/**
 * One call of a helper method, as its entry in the contract
 * (src/core/contract/methods.ts) says: the argument encoded, the entry's
 * timeout, the answer decoded to the method's response type. A failure
 * rejects with a classified Failure, so callers can show the helper's
 * message. Interactive authorisation is allowed: polkit may ask for a password.
 */
export type Failure =
  | { kind: 'unreachable'; code: string }
  | { kind: 'not-authorised'; code: string }
  | { kind: 'dismissed'; code: ErrorCode }
  | { kind: 'error'; code: string; message: string };

const UNREACHABLE_NAMES = [
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoServer',
];
const UNREACHABLE_PREFIXES = ['org.freedesktop.DBus.Error.Spawn.', 'org.freedesktop.systemd1.'];
// GDBusProxy reports a failed activation with a prefixed message, so the
// remote name is gone; the registered error code still says what happened.
const UNREACHABLE_CODES = [
  Gio.DBusError.SERVICE_UNKNOWN,
  Gio.DBusError.NAME_HAS_NO_OWNER,
  Gio.DBusError.NO_SERVER,
  Gio.DBusError.SPAWN_EXEC_FAILED,
  Gio.DBusError.SPAWN_FORK_FAILED,
  Gio.DBusError.SPAWN_CHILD_EXITED,
  Gio.DBusError.SPAWN_CHILD_SIGNALED,
  Gio.DBusError.SPAWN_FAILED,
  Gio.DBusError.SPAWN_SETUP_FAILED,
  Gio.DBusError.SPAWN_CONFIG_INVALID,
  Gio.DBusError.SPAWN_SERVICE_INVALID,
  Gio.DBusError.SPAWN_SERVICE_NOT_FOUND,
  Gio.DBusError.SPAWN_PERMISSIONS_INVALID,
  Gio.DBusError.SPAWN_FILE_INVALID,
  Gio.DBusError.SPAWN_NO_MEMORY,
];

export function classifyError(error: unknown): Failure {
  if (!(error instanceof GLib.Error)) {
    return { kind: 'error', code: 'Internal', message: screenMessage({ code: 'Internal', message: String(error) }) };
  }
  // Before the remote name: GDBus names its own timeouts too, with a terse message.
  if (
    error.matches(Gio.DBusError, Gio.DBusError.TIMEOUT) ||
    error.matches(Gio.DBusError, Gio.DBusError.NO_REPLY) ||
    error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT)
  ) {
    return { kind: 'error', code: 'Timeout', message: _('The backup helper did not answer in time. Try again.') };
  }
  const remote = Gio.DBusError.get_remote_error(error);
  if (remote) {
    if (UNREACHABLE_NAMES.includes(remote) || UNREACHABLE_PREFIXES.some((p) => remote.startsWith(p))) {
      return { kind: 'unreachable', code: remote };
    }
    // The bus's own policy refusing the call says the same as polkit refusing it.
    if (remote === 'org.freedesktop.DBus.Error.AccessDenied') return { kind: 'not-authorised', code: 'AccessDenied' };
    const code = errorCodeFromDbusName(remote);
    if (code === 'NotAuthorized') return { kind: 'not-authorised', code };
    if (code === 'Dismissed') return { kind: 'dismissed', code };
    Gio.DBusError.strip_remote_error(error);
    // The helper's English sentence and the reason it sends with it, worded in the user's language (./error-text).
    return { kind: 'error', code: code ?? remote, message: screenMessage({ code: code ?? remote, ...splitDbusErrorMessage(error.message) }) };
  }
  if (error.domain === Gio.DBusError.quark() && UNREACHABLE_CODES.includes(error.code)) {
    return { kind: 'unreachable', code: 'Spawn' };
  }
  // No system bus at all (e.g. its socket is missing).
  if (error.domain === Gio.io_error_quark()) return { kind: 'unreachable', code: 'NoBus' };
  return { kind: 'error', code: 'Internal', message: screenMessage({ code: 'Internal', message: error.message }) };
}

/** How one backup that this client followed ended. */
export interface BackupResult {
  ok: boolean;
  /** An ErrorCode from the helper, or why the helper could not be asked. */
  code?: string;
  message?: string;
  /** What the run removed to make room or to free a source disk, to be told after it. */
  spaceFreed?: SpaceFreed[];
  /** Nothing was backed up: no destination was there (`message` says which is missing). */
  skipped?: boolean;
}

/** Completed's result JSON: a run record, or an error report on its own. */
export function parseResult(success: boolean, json: string): BackupResult {
  let record: Partial<RunRecord> & { code?: string; message?: string } = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === 'object' && parsed !== null) record = parsed;
  } catch {
    // An unreadable result still has its success flag.
  }
  const spaceFreed = Array.isArray(record.spaceFreed) && record.spaceFreed.length > 0 ? { spaceFreed: record.spaceFreed } : {};
  if (success) return { ok: true, ...spaceFreed };
  // A run that found no destination: why the first one was not there.
  const skipped = record.outcome === 'skipped' && Array.isArray(record.skipped) ? record.skipped[0]?.reason : undefined;
  const report = record.error ?? skipped ?? (record.code ? { code: record.code, message: record.message } : undefined);
  return {
    ok: false,
    code: report?.code ?? 'Internal',
    message: report ? screenMessage(report) : _('The backup failed.'),
    ...spaceFreed,
    ...(skipped && !record.error ? { skipped: true } : {}),
  };
}

/** Parses GetStatus' JSON, checking only what the app relies on. */
export function parseStatus(json: string): HelperStatus | null {
  try {
    const status = JSON.parse(json) as HelperStatus;
    if (typeof status !== 'object' || status === null) return null;
    if (typeof status.configured !== 'boolean' || typeof status.running !== 'boolean') return null;
    if (!Array.isArray(status.destinations) || !Array.isArray(status.sources)) return null;
    return status;
  } catch {
    return null;
  }
}

function parseHistory(json: string): HistoryPage | null {
  try {
    const page = JSON.parse(json) as HistoryPage;
    return Array.isArray(page?.runs) ? page : null;
  } catch {
    return null;
  }
}

/** Answers the app checks before it relies on them; any other JSON is taken as its type says. */
const CHECKED: { [M in MethodName]?: { parse: (json: string) => ResponseOf<M> | null; message: () => string } } = {
  GetStatus: {
    parse: parseStatus,
    message: () => _('The backup helper sent a status this version of Rewind does not understand. Update Rewind and the helper to the same version.'),
  },
  GetHistory: {
    parse: parseHistory,
    message: () => _('The backup helper sent a history this version of Rewind does not understand. Update Rewind and the helper to the same version.'),
  },
};

function encode(method: MethodName, args: readonly unknown[]): GLib.Variant | null {
  const input = (HELPER_METHODS[method] as { in?: { type: string } }).in;
  if (!input || args[0] === undefined) return null;
  return input.type === 'u' ? new GLib.Variant('(u)', [args[0] as number]) : new GLib.Variant('(s)', [JSON.stringify(args[0])]);
}

function decode<M extends MethodName>(method: M, reply: GLib.Variant): ResponseOf<M> {
  const out = (HELPER_METHODS[method] as { out?: { type: string; json?: false } }).out;
  const [value] = (reply.deep_unpack() as unknown[] | undefined) ?? [];
  if (!out || out.type !== 's' || out.json === false) return value as ResponseOf<M>;
  const checked = CHECKED[method];
  if (!checked) {
    try {
      return JSON.parse(value as string) as ResponseOf<M>;
    } catch {
      // Translators: the helper's answer could not be read (a helper of another version).
      const failure: Failure = { kind: 'error', code: 'Internal', message: _('The backup helper sent an answer this version of Rewind does not understand. Update Rewind and the helper to the same version.') };
      throw failure;
    }
  }
  const answer = checked.parse(value as string);
  if (answer === null) {
    const failure: Failure = { kind: 'error', code: 'Internal', message: checked.message() };
    throw failure;
  }
  return answer;
}

export function newHelperProxy(): Promise<Gio.DBusProxy> {
  const info = Gio.DBusNodeInfo.new_for_xml(HELPER_INTERFACE_XML).lookup_interface(HELPER_INTERFACE);
  return new Promise((resolve, reject) => {
    // Auto-start stays allowed: the helper is D-Bus activated.
    Gio.DBusProxy.new_for_bus(
      Gio.BusType.SYSTEM,
      Gio.DBusProxyFlags.DO_NOT_LOAD_PROPERTIES,
      info,
      HELPER_BUS_NAME,
      HELPER_OBJECT_PATH,
      HELPER_INTERFACE,
      null,
      (_o, result) => {
        try {
          resolve(Gio.DBusProxy.new_for_bus_finish(result));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

/**
 * The helper's release (its Version property), read without polkit; null
 * when the helper has no such property (a release from before it). Rejects
 * with a Failure when the helper cannot be reached at all.
 */
export async function readHelperVersion(proxy: Promise<Gio.DBusProxy>): Promise<string | null> {
  try {
    const helper = await proxy;
    const reply = await new Promise<GLib.Variant>((resolve, reject) => {
      helper.g_connection.call(
        HELPER_BUS_NAME,
        HELPER_OBJECT_PATH,
        'org.freedesktop.DBus.Properties',
        'Get',
        new GLib.Variant('(ss)', [HELPER_INTERFACE, 'Version']),
        new GLib.VariantType('(v)'),
        Gio.DBusCallFlags.NONE,
        READ_VERSION_MS,
        null,
        (connection, result) => {
          try {
            resolve(connection!.call_finish(result));
          } catch (e) {
            reject(e);
          }
        },
      );
    });
    const value = reply.get_child_value(0).get_variant();
    return value.is_of_type(new GLib.VariantType('s')) ? value.get_string()[0] : null;
  } catch (e) {
    if (e instanceof GLib.Error) {
      const remote = Gio.DBusError.get_remote_error(e);
      if (remote && NO_PROPERTY_NAMES.includes(remote)) return null;
    }
    throw classifyError(e);
  }
}

/** What a helper without the Version property answers (dbus-next's default, or a bus of another make). */
const NO_PROPERTY_NAMES = [
  'org.freedesktop.DBus.Error.UnknownProperty',
  'org.freedesktop.DBus.Error.UnknownMethod',
  'org.freedesktop.DBus.Error.UnknownInterface',
  'org.freedesktop.DBus.Error.UnknownObject',
  'org.freedesktop.DBus.Error.InvalidArgs',
];
/** As long as a status read: the helper may be started by this call. */
const READ_VERSION_MS = HELPER_METHODS.GetStatus.timeoutMs;

/** Calls `method` on the helper's proxy. Rejects with a Failure. */
export async function callHelper<M extends MethodName>(proxy: Promise<Gio.DBusProxy>, method: M, ...args: ArgsOf<M>): Promise<ResponseOf<M>> {
  try {
    const helper = await proxy;
    const reply = await new Promise<GLib.Variant>((resolve, reject) => {
      helper.call(method, encode(method, args), Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, HELPER_METHODS[method].timeoutMs, null, (_p, result) => {
        try {
          resolve(helper.call_finish(result));
        } catch (e) {
          reject(e);
        }
      });
    });
    return decode(method, reply);
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'kind' in e) throw e;
    throw classifyError(e);
  }
}
