import type { VerifyReport } from '../results';

/** `verify`: a line per destination. */
export function describeVerify(reports: VerifyReport[]): string {
  return reports
    .map((r) => `${r.destination}: ${r.problem ? `DAMAGED: ${r.problem}` : r.connected ? `${r.streams} stream(s), all good` : 'not connected'}`)
    .join('\n');
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
