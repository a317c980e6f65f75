import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { ISSUES_URL, WEBSITE_URL } from '../../src/core/ids';

/** The About window's links (src/core/ids.ts) are the ones software centres and packagers read. */
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

test('the metainfo and the spec name the same website and issue tracker as the app', () => {
  const metainfo = read('data/io.github.rewindbackup.Rewind.metainfo.xml.in');
  const url = (type: string) => new RegExp(`<url type="${type}">([^<]+)</url>`).exec(metainfo)?.[1];
  expect({ homepage: url('homepage'), bugtracker: url('bugtracker') }).toEqual({ homepage: WEBSITE_URL, bugtracker: ISSUES_URL });
  expect(/^URL:\s+(\S+)$/m.exec(read('build-aux/rewind.spec'))?.[1]).toBe(WEBSITE_URL);
});
