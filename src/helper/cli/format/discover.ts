import { isOnServer, type Discovery, type FoundBackups } from '../../../core/discovery';
import { sizeText } from '../../../core/space-notice';

/** A time in UTC, as the snapshot names are. */
function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** An old system disk's snapshots: whose they are, or that they are an earlier installation's. */
function describeSnapshots(found: FoundBackups): string {
  return `${found.host || 'An earlier installation'}, on ${found.disk.name} (snapshots kept on the old computer's own disk: they can be restored from, not backed up to)`;
}

function describeOne(found: FoundBackups): string[] {
  if (found.kind === 'snapshots') return [describeSnapshots(found), ...pointLines(found)];
  const onServer = isOnServer(found);
  const what = found.kind === 'btrfs' ? (onServer ? 'backups' : 'backup disk') : found.encrypted ? 'encrypted backup files' : 'backup files';
  const place = onServer ? `the server ${found.disk.name}` : found.disk.name;
  return [`${found.host}, on ${place} (${what}${found.path ? ` in the folder ${found.path}` : ''})`, ...pointLines(found)];
}

function pointLines(found: FoundBackups): string[] {
  const lines = [`  id: ${found.id}`];
  for (const folder of found.folders) {
    const n = folder.points.length;
    lines.push(`  ${folder.folder}: ${n} restore point${n === 1 ? '' : 's'}, ${when(parseName(folder.points[0]))} to ${when(parseName(folder.points[n - 1]))} (newest ${folder.points[n - 1]})`);
  }
  if (found.bytes !== undefined) lines.push(`  size: ${sizeText(found.bytes)}`);
  else if (found.diskUsedBytes !== undefined) lines.push(`  size: ${sizeText(found.diskUsedBytes)} used on the disk`);
  return lines;
}

function parseName(name: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

/** `discover`: each computer's backups found, how to restore one, and the disks that could not be read. */
export function describeDiscovery(discovery: Discovery): string {
  const lines: string[] = [];
  if (discovery.found.length === 0 && discovery.serversSearched) {
    lines.push('No Rewind backups that this computer may read on the server.');
  } else if (discovery.found.length === 0) {
    lines.push(`No Rewind backups on the ${discovery.disksSearched} disk${discovery.disksSearched === 1 ? '' : 's'} looked at.`);
  } else {
    for (const found of discovery.found) lines.push(...describeOne(found), '');
    // A server's finds restore as a disk's: restore-subvolume asks the server again (it is remembered until the next start).
    lines.push('To bring a home back: rewind-helper restore-subvolume --into /home --destination ID --snapshot NAME [--replace]');
    if (discovery.found.some((f) => f.encrypted)) lines.push('For encrypted backups, add --key FILE: a file with the recovery key.');
  }
  for (const problem of discovery.problems) lines.push(`Not read: ${problem}`);
  return lines.join('\n').trimEnd();
}
