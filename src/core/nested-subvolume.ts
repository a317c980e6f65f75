/**
 * Which subvolumes found inside a folder are offered to a person (setup and
 * Preferences list them with their sizes, to add): not the layers a
 * container engine keeps as subvolumes (hundreds of them, rebuilt from
 * images, and meaningless one by one), and not what Rewind leaves while it
 * sets a folder apart (src/helper/system/set-apart.ts). Snapshots and received
 * backups are left out before (src/helper/engine/sources.ts: isBackupCandidate).
 */
const CONTAINER_LAYERS = /(^|\/)(containers\/storage\/btrfs|docker\/btrfs)\/subvolumes\//;

/** The hidden names a folder takes while it is set apart or joined again: `.NAME.rewind-new`, `.NAME.rewind-old`. */
export const SWAP_NAME = /^\..+\.rewind-(new|old)$/;

export function isOfferedNested(pathBelowTop: string): boolean {
  const name = pathBelowTop.slice(pathBelowTop.lastIndexOf('/') + 1);
  return !CONTAINER_LAYERS.test(pathBelowTop) && !SWAP_NAME.test(name);
}
