import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { REWIND_RELEASE_DATE, REWIND_VERSION } from '../../src/core/ids';

/**
 * The newest release is told in two places that packagers and software
 * centres read: the RPM changelog and the AppStream metainfo. They name the
 * same version on the same day, and that version is the project's.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => readFileSync(path.join(REPO, file), 'utf8');

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The first %changelog entry: "* Wed Nov 26 2025 Name <mail> - 0.1.0-1". */
function newestChangelog(spec: string): { weekday: string; date: string; version: string } {
  const changelog = spec.slice(spec.indexOf('\n%changelog\n'));
  const m = /^\* (\w{3}) (\w{3}) +(\d{1,2}) (\d{4}) .+ - ([^\s-]+)-\S+$/m.exec(changelog);
  if (!m) throw new Error('no changelog entry in build-aux/rewind.spec');
  const [, weekday, month, day, year, version] = m;
  const date = `${year}-${String(MONTHS.indexOf(month) + 1).padStart(2, '0')}-${day.padStart(2, '0')}`;
  return { weekday, date, version };
}

describe('release dates', () => {
  const spec = read('build-aux/rewind.spec');
  const metainfo = read('data/io.github.rewindbackup.Rewind.metainfo.xml.in');
  const { version } = JSON.parse(read('package.json')) as { version: string };

  test('the changelog and the metainfo name the same newest release on the same day', () => {
    const entry = newestChangelog(spec);
    const release = /<release version="([^"]+)" date="(\d{4}-\d{2}-\d{2})"/.exec(metainfo);
    expect(release).not.toBeNull();
    expect({ version: release![1], date: release![2] }).toEqual({ version: entry.version, date: entry.date });
    expect(entry.version).toBe(version);
  });

  test("the changelog's weekday is that date's (rpmbuild warns of a bogus date)", () => {
    const entry = newestChangelog(spec);
    expect(entry.weekday).toBe(WEEKDAYS[new Date(`${entry.date}T12:00:00Z`).getUTCDay()]);
  });

  test('the code names the same release and day (the man page and the About window show them)', () => {
    const release = /<release version="([^"]+)" date="(\d{4}-\d{2}-\d{2})"/.exec(metainfo);
    expect({ version: REWIND_VERSION, date: REWIND_RELEASE_DATE }).toEqual({ version: release?.[1], date: release?.[2] });
  });
});
