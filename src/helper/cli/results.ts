import type { cleanDestinations } from '../engine/clean';
import type { runBackup } from '../engine/engine';
import type { takeInventory } from '../engine/inventory';
import type { pruneAll } from '../engine/prune';
import type { readStatus } from '../engine/status';
import type { verifyDestinations } from '../destinations/stream-files/verify';
import type { probe, setup } from '../destinations/ssh/setup';
import type { restoreSubvolume } from '../restore/restore-subvolume';
import type { diffSnapshots } from '../restore/diff';

/** What the modules the commands run resolve to, named for the commands and their formatting. */
type Result<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

export type RunRecord = Result<typeof runBackup>;
export type HelperStatus = Result<typeof readStatus>;
export type Inventory = Result<typeof takeInventory>;
export type PruneReport = Result<typeof pruneAll>[number];
export type CleanReport = Result<typeof cleanDestinations>[number];
export type VerifyReport = Result<typeof verifyDestinations>[number];
export type SubvolumeRestoreResult = Result<typeof restoreSubvolume>;
export type SshSetup = Result<typeof setup>;
export type HostProbe = Result<typeof probe>;
export type DiffResult = Result<typeof diffSnapshots>;
