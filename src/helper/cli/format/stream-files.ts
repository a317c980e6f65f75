import type { VerifyReport } from '../results';

/** What `verify` checks, and what only a restore can: said after its findings, so "all good" is never read as more than it is. */
export const VERIFY_SCOPE =
  "Checked: each file's size and SHA-256, every command's checksum, each chain's order, and the paths and links a restore refuses. " +
  "Not checked without restoring: what this computer's kernel refuses to receive (such as labels its policy does not know; a restore leaves those out).";

/** `verify`: a line per destination, then what was and was not checked. */
export function describeVerify(reports: VerifyReport[]): string {
  const lines = reports.map(
    (r) => `${r.destination}: ${r.problem ? `DAMAGED: ${r.problem}` : r.connected ? `${r.streams} stream(s), all good` : 'not connected'}`,
  );
  return [...lines, ...(reports.some((r) => r.connected) ? ['', VERIFY_SCOPE] : [])].join('\n');
}

/** `new-key`: where the key is, and its recovery key, shown this once. */
export function describeNewKey(destination: string, key: { file: string; identity: string }): string {
  return [
    `Encryption key for ${destination} saved in ${key.file}.`,
    'Recovery key (write it down or store it somewhere safe; it is not shown again):',
    '',
    `  ${key.identity}`,
    '',
    'Without it, the backups cannot be restored on another machine.',
  ].join('\n');
}
