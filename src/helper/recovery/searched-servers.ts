import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { checkFoundServer, isFoundId, type FoundServer } from '../../core/discovery';
import { randomHex } from '../system/random-id';

/**
 * The servers this helper looked at for a lost computer's backups (discover
 * --host, D-Bus DiscoverServerBackups), and the found ids each one answered:
 * a restore names only the found id, and may come in another process (the
 * command line's next command, or the D-Bus helper started again after it
 * exited when idle), which then knows where to ask again. Kept in the
 * runtime folder (gone at the next start, as the finds' meaning is), written
 * by root 0600; read back without following a link, bounded and checked
 * as anything read from a file, though only root writes it.
 */

const FILE = 'searched-servers.json';
/** Servers kept, the most recently searched first; one looked at again moves to the front. */
const MAX_SERVERS = 16;
/** Found ids kept for one server: one per computer and kind of backups there, so few. */
const MAX_IDS = 64;
const MAX_BYTES = 64 * 1024;

export interface SearchedServer extends FoundServer {
  /** The found ids it answered when it was last looked at. */
  ids: string[];
}

const fileSchema = z.strictObject({
  version: z.literal(1),
  servers: z
    .array(
      z.strictObject({
        host: z.string().max(253),
        port: z.number(),
        user: z.string().max(32),
        ids: z.array(z.string().refine(isFoundId)).max(MAX_IDS),
      }),
    )
    .max(MAX_SERVERS),
});

function fileIn(runtimeDir: string): string {
  return path.join(runtimeDir, FILE);
}

const sameServer = (a: FoundServer, b: FoundServer) => a.host === b.host && a.port === b.port && a.user === b.user;

/** The servers searched, most recent first; none when there is no file or it is not one this helper wrote. */
export async function searchedServers(runtimeDir: string): Promise<SearchedServer[]> {
  let handle;
  try {
    handle = await open(fileIn(runtimeDir), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return [];
  }
  try {
    const info = await handle.stat();
    // Only a plain file of this helper's own, that no one else could have written.
    if (!info.isFile() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0 || info.size > MAX_BYTES) return [];
    const buffer = Buffer.alloc(MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_BYTES) return [];
    const parsed = fileSchema.safeParse(JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')));
    if (!parsed.success) return [];
    return parsed.data.servers.filter((s) => checkFoundServer(s) === undefined);
  } catch {
    return [];
  } finally {
    await handle.close();
  }
}

/** Notes that `server` was looked at and answered `ids` (replacing what it answered before). */
export async function rememberServer(runtimeDir: string, server: FoundServer, ids: readonly string[]): Promise<void> {
  if (checkFoundServer(server) !== undefined) return;
  const entry: SearchedServer = { host: server.host, port: server.port, user: server.user, ids: ids.filter(isFoundId).slice(0, MAX_IDS) };
  const servers = [entry, ...(await searchedServers(runtimeDir)).filter((s) => !sameServer(s, server))].slice(0, MAX_SERVERS);
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  // Written beside and renamed over: a reader in another process never sees half a file.
  const temp = path.join(runtimeDir, `.${FILE}.${process.pid}.${randomHex(3)}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ version: 1, servers })}\n`);
  } finally {
    await handle.close();
  }
  await rename(temp, fileIn(runtimeDir)).catch(async (error: unknown) => {
    await rm(temp, { force: true });
    throw error;
  });
}
