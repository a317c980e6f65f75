import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { RewindError, toRewindError } from '../../core/errors';
import { DEFAULT_RUNTIME_DIR } from '../../core/ids';
import {
  checkHostName,
  checkOriginalCommand,
  MAX_REQUEST_BYTES,
  parseRequest,
  serveFailure,
  type ServeRequest,
} from '../../core/serve-protocol';
import { helloAnswer } from './capabilities';
import { FrameReader, FramingError, FrameWriter } from './framing';
import { HostStore } from './host-store';
import { readBackupDir, readBackupFile, sendBackupStream } from './read';
import { receiveBackup } from './receive';
import { checkFile, deleteFile, getFile, listFiles, putFile } from './stored-files';

/**
 * `rewind-helper serve --root ROOT --host HOST`: the forced command of one
 * client's SSH key. It answers requests on stdin/stdout until the client
 * closes the connection, acting only in ROOT/HOST/ (docs/serve-protocol.md).
 * It runs no shell; every command it starts gets an argument array.
 */
export interface ServeOptions {
  root: string;
  host: string;
  /** Where the per-host locks live (default /run/rewind/serve). */
  lockDir?: string;
  input?: Readable;
  output?: Writable;
  /**
   * The environment, for SSH_ORIGINAL_COMMAND and SSH_CONNECTION. Under sshd
   * the client's requested command must be exactly "rewind-helper serve".
   */
  env?: NodeJS.ProcessEnv;
  /** Aborting ends the connection; a receive in progress is removed first. */
  signal?: AbortSignal;
  /** Only list and read (a recovering computer's key, from accept-key --read-only): every changing op is refused. */
  readOnly?: boolean;
}

/** Ops that act on received subvolumes, which only a btrfs ROOT holds. */
const BTRFS_OPS = new Set<ServeRequest['op']>(['list', 'receive', 'delete', 'clean', 'read', 'readdir', 'send', 'diff']);
/** Ops that change what the server keeps, refused to a read-only key. */
const CHANGING_OPS = new Set<ServeRequest['op']>(['receive', 'delete', 'clean', 'file-put', 'file-delete']);

async function handle(store: HostStore, request: ServeRequest, reader: FrameReader, writer: FrameWriter, readOnly: boolean): Promise<void> {
  if (readOnly && CHANGING_OPS.has(request.op)) {
    throw new RewindError('InvalidArgs', `This key may only read ${store.host}'s backups on this server; ${request.op} is refused.`);
  }
  if (BTRFS_OPS.has(request.op)) store.needBtrfs();
  switch (request.op) {
    case 'hello': {
      const hello = await helloAnswer(store);
      await writer.line(readOnly ? { ...hello, writable: false, readOnly: true } : hello);
      return;
    }
    case 'list': {
      const backups = (await store.backups(request.subvolume)).map(({ id: _id, ...b }) => b);
      await writer.line({ ok: true, backups });
      return;
    }
    case 'folders':
      await writer.line({ ok: true, folders: await store.folders() });
      return;
    case 'receive':
      await receiveBackup(store, request, reader, writer);
      return;
    case 'delete': {
      const release = await store.lock();
      try {
        await store.deleteBackups(request.subvolume, [request.name]);
      } finally {
        await release();
      }
      await writer.line({ ok: true, deleted: request.name });
      return;
    }
    case 'clean': {
      const release = await store.lock();
      let removed: string[];
      try {
        removed = await store.clean(request.subvolume);
      } finally {
        await release();
      }
      await writer.line({ ok: true, removed });
      return;
    }
    case 'space':
      await writer.line({ ok: true, ...(await store.space()) });
      return;
    case 'read':
      await readBackupFile(store, request, writer);
      return;
    case 'readdir':
      await writer.line({ ok: true, entries: await readBackupDir(store, request) });
      return;
    case 'sync':
      await store.sync();
      await writer.line({ ok: true });
      return;
    case 'send':
    case 'diff':
      await sendBackupStream(store, request, writer);
      return;
    case 'file-list':
      await writer.line({ ok: true, files: await listFiles(store, request.subvolume) });
      return;
    case 'file-get':
      await getFile(store, request, writer);
      return;
    case 'file-put':
      await putFile(store, request, reader, writer);
      return;
    case 'file-check':
      await writer.line({ ok: true, ...(await checkFile(store, request.subvolume, request.file)) });
      return;
    case 'file-delete':
      await writer.line({ ok: true, deleted: await deleteFile(store, request.subvolume, request.file) });
      return;
  }
}

function describeFailure(error: unknown): ReturnType<typeof serveFailure> {
  if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return serveFailure('DestinationFull', 'The server\'s backup disk is full.');
  const failure = error instanceof RewindError ? error : toRewindError(error);
  return serveFailure(failure.code, failure.detail);
}

/** Serves one connection; resolves to the exit code (0: the client closed the connection). */
export async function runServe(options: ServeOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const env = options.env ?? process.env;
  const reader = new FrameReader(input);
  const writer = new FrameWriter(output);
  const refuse = async (code: 'InvalidArgs' | 'DestinationMissing' | 'Internal', message: string) => {
    await writer.line(serveFailure(code, message)).catch(() => undefined);
    process.stderr.write(`rewind-helper serve: ${message}\n`);
    reader.destroy(new Error('refused'));
    return 1;
  };

  if (env.SSH_CONNECTION !== undefined || env.SSH_ORIGINAL_COMMAND !== undefined) {
    const problem = checkOriginalCommand(env.SSH_ORIGINAL_COMMAND);
    if (problem) return refuse('InvalidArgs', problem);
  }
  const hostProblem = checkHostName(options.host);
  if (hostProblem) return refuse('InvalidArgs', `--host ${hostProblem}.`);
  let store: HostStore;
  try {
    store = await HostStore.open(options.root, options.host, options.lockDir ?? path.join(DEFAULT_RUNTIME_DIR, 'serve'));
  } catch (error) {
    const failure = toRewindError(error);
    return refuse(failure.code === 'InvalidArgs' || failure.code === 'DestinationMissing' ? failure.code : 'Internal', failure.detail);
  }

  const onAbort = () => reader.destroy(new FramingError('The server was asked to stop.'));
  options.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      let line: string | undefined;
      try {
        line = await reader.readLine(MAX_REQUEST_BYTES);
      } catch (error) {
        await writer.line(serveFailure('InvalidArgs', (error as Error).message)).catch(() => undefined);
        return 1;
      }
      if (line === undefined) return 0;
      const parsed = parseRequest(line);
      if (!parsed.ok) {
        await writer.line(parsed);
        continue;
      }
      try {
        await handle(store, parsed.request, reader, writer, options.readOnly === true);
      } catch (error) {
        if (error instanceof FramingError) {
          await writer.line(serveFailure('InvalidArgs', error.message)).catch(() => undefined);
          return 1;
        }
        await writer.line(describeFailure(error));
      }
    }
  } catch {
    // The client is gone: nothing left to answer.
    return 1;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    reader.destroy(new Error('closed'));
  }
}
