import { constants } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import { REWIND_VERSION } from '../../core/ids';
import { SERVE_PROTOCOL_VERSION, type HelloResponse } from '../../core/serve-protocol';
import { filesystemName } from '../../core/server-capabilities';
import { receiveCapabilities } from '../system/send-capabilities';
import { selinuxEnabled } from '../system/selinux';
import type { HostStore } from './host-store';

/**
 * The hello: what this server can do in ROOT (docs/serve-protocol.md), so
 * the client picks the store itself and Add Backup Server can say, before
 * anything is stored, whether the server is usable. Each figure that cannot
 * be found is left out rather than guessed.
 */
export async function helloAnswer(store: HostStore): Promise<HelloResponse> {
  const { sendProtocols, zstd, btrfsProgs } = await receiveCapabilities();
  const fs = await statfs(store.root).catch(() => undefined);
  const space = await store.space().catch(() => undefined);
  const writable = await access(store.root, constants.W_OK).then(
    () => true,
    () => false,
  );
  // btrfs receive makes subvolumes, sets owners and received UUIDs: only root can.
  const root = process.geteuid?.() === 0;
  return {
    ok: true,
    version: SERVE_PROTOCOL_VERSION,
    host: store.host,
    sendProtocols,
    zstd,
    btrfs: store.btrfs,
    serverVersion: REWIND_VERSION,
    ...(fs ? { filesystem: filesystemName(fs.type) } : {}),
    canReceive: store.btrfs && btrfsProgs && root,
    selinux: selinuxEnabled(),
    ...(space ?? {}),
    writable,
    filtersXattrs: true,
  };
}
