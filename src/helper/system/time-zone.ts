import { existsSync, readlinkSync } from 'node:fs';

const ZONEINFO = '/usr/share/zoneinfo/';

/** An IANA zone name that names a file of the system's zone database (so no Intl formatter will refuse it). */
function knownZone(name: string | undefined): string | undefined {
  if (!name || !/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  return existsSync(ZONEINFO + name) ? name : undefined;
}

/**
 * The machine's time zone, which retention's days and the schedule follow:
 * TZ when it names a zone, else the zone /etc/localtime links to (as
 * timedatectl sets it, and then also put in TZ), else what ICU says. Asking
 * ICU makes a backup run load its locale data, which a run whose TZ names
 * the zone never needs.
 */
export function systemTimeZone(): string {
  const tz = process.env.TZ;
  if (tz !== undefined && tz !== '') {
    const named = knownZone(tz.replace(/^:/, ''));
    if (named) return named;
  } else {
    try {
      const named = knownZone(/\/zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'))?.[1]);
      if (named) {
        // The zone Node would follow anyway, named: retention then reads the wall clock with Date's own methods (src/core/retention.ts).
        process.env.TZ = named;
        return named;
      }
    } catch {
      // not a link: a copied zone file; ICU reads it
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}
