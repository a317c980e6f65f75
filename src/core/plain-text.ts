/**
 * Whether a sentence may go on one of the app's screens. The helper's
 * messages are written for the CLI and the history's details too, where
 * a device path, a snapshot name, a validator's field path or btrfs words
 * help an administrator; on a screen they only confuse. The app shows a
 * helper's message when none of these is in it, and its own sentence for
 * the error's code otherwise (src/app/error-text.ts).
 */
const TECHNICAL: readonly RegExp[] = [
  // Device paths: /dev/sdb, /dev/loop3, /dev/mapper/…
  /\/dev\//,
  // Snapshot and backup names (src/core/snapshot-name.ts).
  /\d{8}T\d{6}Z/,
  // The filesystem's own vocabulary.
  /btrfs|subvol|qgroup|received[ _]uuid|\bxattrs?\b/i,
  // Identifiers: filesystem UUIDs.
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i,
  // A validator's words and field paths: "destinations[0].kind: Invalid discriminator value".
  /discriminator|invalid input|unknown fields?\b|\w\[\d+\]|; found /i,
  // Processes and command lines: exit statuses, stderr, options such as --source.
  /\bstderr\b|\bexit(ed)? (with )?(status|code)\b|(^|\s)--[a-z]/i,
  // A command's own output ("ERROR: cannot open …").
  /\b(ERROR|WARNING):/,
  // errno names (ENOSPC, EACCES).
  /\bE(NOSPC|ACCES|NOENT|INVAL|PERM|IO|BUSY|ROFS|EXIST|NOTDIR|ISDIR|XDEV|NODEV|NXIO)\b/,
];

/** True when `text` has none of the words that belong to the CLI and the history's details. */
export function isPlainText(text: string): boolean {
  return !TECHNICAL.some((pattern) => pattern.test(text));
}
