/**
 * What `btrfs receive --chroot` says on stderr, without the "Chroot to …"
 * line it prints first: that line is no complaint, and names a folder
 * nobody needs to see.
 */
export function receiveComplaint(stderr: string): string {
  return stderr.replace(/^Chroot to .*\n?/gm, '').trim();
}
