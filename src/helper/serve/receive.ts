import { execa, type ResultPromise } from 'execa';
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError, toRewindError } from '../../core/errors';
import type { ReceiveResponse, ServeRequest } from '../../core/serve-protocol';
import { deleteSubvolumes } from '../system/btrfs';
import { outputText } from '../system/output-text';
import { runCommand } from '../system/run-command';
import type { FrameReader, FrameWriter } from './framing';
import { FramingError } from './framing';
import { type HostStore, showBackup } from './host-store';
import { StreamCutOff, StreamGuard, StreamRefused } from './stream-guard';
import { LeftOutCounter, receiverFilter, type ReceiverRules } from '../../core/xattrs-left-out';
import { SendStreamPipe } from '../codec/send-stream-pipe';
import { localReceiverRules } from '../system/selinux';
import { receiveComplaint } from '../system/receive-output';

/**
 * `receive`: one send stream into ROOT/HOST/<subvolume>/<name>.
 *
 * 1. Under the host's lock, check the folder (created 0700 if missing) and that
 *    `name` is free there; note what the folder holds (name, device, inode).
 * 2. Answer "ready"; the client sends the payload.
 * 3. Pipe it through `zstd -d` (if compressed) and the stream guard
 *    (./stream-guard) into `btrfs receive -e --chroot` in the folder.
 * 4. When it ends, flush the filesystem and verify: exactly one new entry,
 *    `name`, a read-only subvolume whose received UUID is the stream's and no
 *    other subvolume's, and, for an incremental stream, whose parent is the
 *    backup the guard accepted.
 * 5. On any failure (a refused stream, a receive error, a client that went
 *    away) delete everything new in the folder, so nothing partial stays. A
 *    failure found mid-payload is answered at once (the client can stop
 *    sending); the rest of the payload is read and dropped, and the folder
 *    cleaned, before the next request is read. A failure found after the
 *    payload is answered once the folder is clean.
 */

type Entries = Map<string, string>;

let rules: ReceiverRules | undefined;

/** This server's own policy decides which labels it keeps; asked once per connection. */
function serverRules(): ReceiverRules {
  rules ??= localReceiverRules();
  return rules;
}

async function entriesOf(dir: string): Promise<Entries> {
  const entries: Entries = new Map();
  for (const name of await readdir(dir)) {
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (info) entries.set(name, `${info.dev}:${info.ino}`);
  }
  return entries;
}

/** Removes whatever is new (or replaced) in `dir` since `before`: subvolumes with btrfs, anything else with rm. */
async function removeNew(dir: string, before: Entries): Promise<string[]> {
  const removed: string[] = [];
  for (const [name, id] of await entriesOf(dir)) {
    if (before.get(name) === id) continue;
    const target = path.join(dir, name);
    const info = await lstat(target).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory() && info.ino === 256) {
      await deleteSubvolumes([target]).catch(() => undefined);
    }
    // Plain files, links and folders (and what a failed subvolume delete left) go; rm never follows links.
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

function unzipFailure(stderr: unknown): RewindError {
  return new RewindError('TransferFailed', `The compressed stream could not be read: ${outputText(stderr).trim() || 'zstd failed'}.`);
}

function classify(stderr: string): RewindError {
  const text = receiveComplaint(stderr);
  if (/No space left on device/i.test(text)) return new RewindError('DestinationFull', 'The server ran out of space during the backup.');
  return new RewindError('TransferFailed', `Receiving the backup failed: ${text || 'no message from btrfs receive'}.`);
}

/** Why `uuid` may not be an incremental stream's parent here, or undefined when it may. */
function parentProblem(
  uuid: string,
  own: ReadonlyArray<{ id: number; name: string; complete: boolean; receivedUuid?: string }>,
  all: ReadonlyArray<{ id: number; receivedUuid?: string; uuid: string }>,
): string | undefined {
  const mine = own.filter((b) => b.receivedUuid === uuid);
  const ownIds = new Set(own.map((b) => b.id));
  const elsewhere = all.filter((s) => (s.receivedUuid === uuid || s.uuid === uuid) && !ownIds.has(s.id));
  if (mine.length === 0 || elsewhere.length > 0) {
    return `The stream's parent ${uuid} is not a backup in this folder; send a full backup, or one based on a backup listed here.`;
  }
  if (!mine.every((b) => b.complete)) return `The stream's parent ${uuid} is an incomplete backup; run clean, then send again.`;
  return undefined;
}

type Held = ReadonlyArray<{ id: number; receivedUuid?: string; uuid: string }>;

function holds(s: { receivedUuid?: string; uuid: string }, uuid: string): boolean {
  return s.receivedUuid === uuid || s.uuid === uuid;
}

function takenElsewhere(uuid: string): string {
  return `This backup already exists for another computer on this server (its subvolume ${uuid} is there outside this folder); it was refused, and nothing was received.`;
}

/**
 * Why a stream whose subvolume has `uuid` (the received UUID the new backup
 * would get) may not be received here, or undefined when it may. A UUID any
 * other subvolume holds would make it ambiguous, and `parentProblem` then
 * refuses the next incremental of whoever had it first: one host's upload
 * would break another's chain, or a second copy in the folder its own.
 */
function uuidProblem(uuid: string, own: ReadonlyArray<{ id: number; name: string; complete: boolean; receivedUuid?: string; uuid: string }>, all: Held): string | undefined {
  const twin = own.find((b) => holds(b, uuid));
  if (twin && !twin.complete) return `The incomplete backup ${twin.name} already has this stream's subvolume ${uuid}; run clean, then send again.`;
  if (twin) return `This backup is already on the server as ${twin.name} in this folder (subvolume ${uuid}); it was refused, and nothing was received.`;
  const ownIds = new Set(own.map((b) => b.id));
  if (all.some((s) => holds(s, uuid) && !ownIds.has(s.id))) return takenElsewhere(uuid);
  return undefined;
}

export async function receiveBackup(
  store: HostStore,
  request: Extract<ServeRequest, { op: 'receive' }>,
  reader: FrameReader,
  writer: FrameWriter,
): Promise<void> {
  const release = await store.lock();
  try {
    const dir = (await store.folder(request.subvolume, true)) as string;
    if (await lstat(path.join(dir, request.name)).catch(() => undefined)) {
      throw new RewindError('InvalidArgs', `${request.subvolume}/${request.name} already exists on the server.`);
    }
    const own = await store.backups(request.subvolume);
    const all = await store.allSubvolumes();
    const before = await entriesOf(dir);
    await writer.line({ ok: true, ready: true });
    const checks: Checks = {
      isOwnParent: (uuid) => parentProblem(uuid, own, all),
      isNewUuid: (uuid) => uuidProblem(uuid, own, all),
      // Another host's receive may have finished meanwhile (it holds another lock): checked again at the end.
      heldElsewhere: async (uuid, id) => (await store.allSubvolumes()).some((s) => s.id !== id && holds(s, uuid)),
    };
    const result = await transfer(dir, request, reader, writer, checks, before);
    if (result) await writer.line(result);
  } finally {
    await release();
  }
}

interface Checks {
  isOwnParent: (uuid: string) => string | undefined;
  isNewUuid: (uuid: string) => string | undefined;
  /** Whether a subvolume other than `id` holds `uuid`, as UUID or received UUID. */
  heldElsewhere: (uuid: string, id: number) => Promise<boolean>;
}

/** Steps 3–5; returns the success line, or undefined when the failure was already answered. */
async function transfer(
  dir: string,
  request: Extract<ServeRequest, { op: 'receive' }>,
  reader: FrameReader,
  writer: FrameWriter,
  checks: Checks,
  before: Entries,
): Promise<ReceiveResponse | undefined> {
  const receive = execa('btrfs', ['receive', '-q', '-e', '-C', dir], {
    stdin: 'pipe',
    stdout: 'ignore',
    buffer: { stderr: true },
    encoding: 'utf8',
    reject: false,
  });
  const unzip: ResultPromise | undefined =
    request.compression === 'zstd'
      ? execa('zstd', ['-d', '-q', '-c'], { stdin: 'pipe', stdout: 'pipe', buffer: { stdout: false, stderr: true }, encoding: 'buffer', reject: false })
      : undefined;
  const guard = new StreamGuard({ name: request.name, isOwnParent: checks.isOwnParent, isNewUuid: checks.isNewUuid });
  // What this server's kernel would refuse is left out, so the receive completes with its Received UUID.
  const leftOut = new LeftOutCounter();
  const filter = new SendStreamPipe({ xattrs: receiverFilter(serverRules(), ({ name, path }) => leftOut.add(name, path)) });
  const entry: Writable = unzip ? unzip.stdin! : guard;
  const downstream = unzip ? pipeline(unzip.stdout!, guard, filter, receive.stdin!) : pipeline(guard, filter, receive.stdin!);

  let failure: RewindError | undefined;
  let payloadDone = false;
  let earlyAnswer: Promise<void> | undefined;
  const failureLine = () => ({ ok: false, error: { code: failure!.code, message: failure!.detail } });
  const fail = (error: unknown) => {
    if (failure) return;
    failure =
      error instanceof StreamRefused
        ? new RewindError('InvalidArgs', error.message)
        : error instanceof RewindError
          ? error
          : new RewindError('TransferFailed', `The backup stream was interrupted: ${(error as Error).message}.`, { cause: error });
    receive.kill('SIGKILL');
    unzip?.kill('SIGKILL');
    entry.destroy();
    // Mid-payload, tell the client at once so it can stop sending; the rest of the payload is dropped below.
    if (!payloadDone) earlyAnswer = writer.line(failureLine()).catch(() => undefined);
  };
  const downstreamDone = downstream.catch(async (error: unknown) => {
    if (error instanceof StreamRefused && !(error instanceof StreamCutOff)) return fail(error);
    // A broken pipe or a stream cut short: the processes' own messages say why (a full disk, corrupt zstd data).
    const [received, unzipped] = await Promise.all([receive, unzip]);
    const stderr = outputText(received.stderr);
    if (unzipped?.exitCode) fail(unzipFailure(unzipped.stderr));
    else if (/No space left on device/i.test(stderr) || (received.exitCode && !(error instanceof StreamCutOff))) fail(classify(stderr));
    else fail(error);
  });
  entry.on('error', () => undefined);

  let wireBytes = 0;
  let lost: unknown;
  try {
    for (;;) {
      const chunk = await reader.readChunk();
      if (!chunk) break;
      wireBytes += chunk.length;
      // The pipeline may have torn the entry down already (receive died) before fail() ran: never wait on a dead stream.
      if (failure || entry.destroyed) continue;
      if (!entry.write(chunk) && !entry.destroyed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            entry.off('drain', done);
            entry.off('close', done);
            resolve();
          };
          entry.on('drain', done);
          entry.on('close', done);
        });
      }
    }
    payloadDone = true;
    if (!failure) entry.end();
  } catch (error) {
    // The client went away mid-payload (or broke the framing): no answer is possible.
    payloadDone = true;
    lost = error;
    fail(error);
  }

  await downstreamDone;
  const [received, unzipped] = await Promise.all([receive, unzip]);
  if (!failure && unzipped?.exitCode) {
    fail(unzipFailure(unzipped.stderr));
  }
  if (!failure && received.exitCode !== 0) fail(classify(outputText(received.stderr)));

  if (!failure) {
    try {
      const done = await verify(dir, request.name, guard, before, wireBytes, checks.heldElsewhere);
      const dropped = leftOut.value;
      return dropped ? { ...done, leftOut: dropped } : done;
    } catch (error) {
      fail(error instanceof RewindError ? error : toRewindError(error));
    }
  }
  // Whatever failed, nothing new stays in the folder; this is done before the next request is read.
  await removeNew(dir, before);
  if (lost) throw lost instanceof FramingError ? lost : new FramingError(String(lost));
  if (earlyAnswer) await earlyAnswer;
  else await writer.line(failureLine());
  return undefined;
}

async function verify(
  dir: string,
  name: string,
  guard: StreamGuard,
  before: Entries,
  wireBytes: number,
  heldElsewhere: Checks['heldElsewhere'],
): Promise<ReceiveResponse> {
  const after = await entriesOf(dir);
  const extra = [...after].filter(([n, id]) => n !== name && before.get(n) !== id).map(([n]) => n);
  if (extra.length > 0) {
    throw new RewindError('InvalidArgs', `The stream created ${extra.map((n) => JSON.stringify(n)).join(', ')} outside its own backup; it was removed.`);
  }
  const info = await lstat(path.join(dir, name)).catch(() => undefined);
  if (!info?.isDirectory() || info.ino !== 256) throw new RewindError('TransferFailed', `The stream did not create the backup ${name}.`);
  await runCommand('btrfs', ['filesystem', 'sync', dir]);
  const backup = await showBackup(path.join(dir, name));
  if (!backup.readOnly || backup.receivedUuid === undefined || backup.receivedUuid !== guard.uuid) {
    throw new RewindError('TransferFailed', `The backup ${name} was not received completely.`);
  }
  if (await heldElsewhere(backup.receivedUuid, backup.id)) throw new RewindError('InvalidArgs', takenElsewhere(backup.receivedUuid));
  if (guard.parentUuid !== undefined) {
    const parent = await findParent(dir, guard.parentUuid, name);
    if (!parent || backup.parentUuid !== parent) {
      throw new RewindError('InvalidArgs', `The backup ${name} is not based on a backup in this folder; it was removed.`);
    }
  }
  return {
    ok: true,
    name,
    uuid: backup.uuid,
    receivedUuid: backup.receivedUuid,
    ...(backup.parentUuid ? { parentUuid: backup.parentUuid } : {}),
    wireBytes,
    streamBytes: guard.bytes,
  };
}

/** The UUID of the backup in `dir` whose received UUID is `receivedUuid`. */
async function findParent(dir: string, receivedUuid: string, except: string): Promise<string | undefined> {
  for (const name of await readdir(dir)) {
    if (name === except) continue;
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (!info?.isDirectory() || info.ino !== 256) continue;
    const shown = await showBackup(path.join(dir, name)).catch(() => undefined);
    if (shown?.receivedUuid === receivedUuid) return shown.uuid;
  }
  return undefined;
}
