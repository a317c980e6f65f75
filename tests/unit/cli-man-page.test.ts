import { describe, expect, test } from '@jest/globals';
import { REWIND_RELEASE_DATE, REWIND_VERSION } from '../../src/core/ids';
import { COMMANDS } from '../../src/helper/cli/commands/index';
import { manPage } from '../../src/helper/cli/man-page';
import { OPTION_HELP } from '../../src/helper/cli/options';
import { EXIT_CODES, INFO_OPTIONS, usage } from '../../src/helper/cli/usage';
import { SERVE_COMMANDS } from '../../src/helper/serve/usage';

/** rewind-helper(1) and `rewind-helper --help`: made from the same parts, they tell the same. */
const page = manPage();
/** The page's text with roff's escapes undone, as man shows it. */
const shown = page.replaceAll('\\-', '-').replaceAll('\\e', '\\').replace(/\\f[BIR]/g, '').replaceAll('\\&', '');

describe('the man page', () => {
  test('is section 1 of this release', () => {
    expect(page.split('\n')[0]).toBe(`.TH REWIND\\-HELPER 1 "${REWIND_RELEASE_DATE}" "Rewind ${REWIND_VERSION}" "Rewind"`);
  });

  test.each([...COMMANDS, ...SERVE_COMMANDS].map((c) => [c.name, c] as const))('has %s with its synopsis and summary, as the help does', (name, command) => {
    const synopsis = command.synopsis.replace(/\s+/g, ' ').trim();
    expect(shown).toContain(`\n${name}${synopsis ? ` ${synopsis}` : ''}\n${command.summary.split('\n').join(' ')}\n`);
    expect(usage()).toContain(`  ${name} ${command.synopsis.split('\n')[0]}`.trimEnd());
  });

  test('has every option and exit code of the help', () => {
    for (const [name, argument, help] of OPTION_HELP) expect(shown).toContain(`.B --${name}${argument ? ` ${argument}` : ''}\n${help}\n`);
    for (const [name, help] of INFO_OPTIONS) {
      expect(shown).toContain(`.B --${name}\n${help}\n`);
      expect(usage()).toMatch(new RegExp(`\\n  --${name} +${help}\\n`));
    }
    for (const [code, meaning] of EXIT_CODES) {
      expect(shown).toContain(`.B ${code}\n${meaning}\n`);
      expect(usage()).toContain(`${code} ${meaning}`);
    }
  });

  test('escapes what roff would take for a request or an escape', () => {
    // No line but a request starts with a dot or a quote; every dash of an option is escaped.
    expect(page.split('\n').filter((l) => /^['.]/.test(l) && !/^\.(TH|SH|SS|TP|B|I|RI|BR|nh|ad)( |$)/.test(l))).toEqual([]);
    expect(page).not.toMatch(/(^|\s)--[a-z]/m);
  });
});
