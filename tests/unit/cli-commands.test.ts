import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { COMMANDS } from '../../src/helper/cli/commands/index';
import { COMMON_OPTIONS, OPTION_HELP, OPTIONS, type OptionName } from '../../src/helper/cli/options';
import { usage } from '../../src/helper/cli/usage';

/** The command table of the helper's command line (src/helper/cli), against its usage text and docs/cli.md. */
const docs = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/cli.md'), 'utf8');
/** The synopsis block at the top of docs/cli.md: a line per command. */
const synopsis = /```\n(rewind-helper [\s\S]*?)```/.exec(docs)![1].trim().split('\n');
const optionsIn = (text: string) => [...text.matchAll(/--([a-z-]+)/g)].map((m) => m[1]);

describe.each(COMMANDS.map((c) => [c.name, c] as const))('%s', (name, command) => {
  test('reads no option its synopsis or the usage text leaves out, and requires only options it reads', () => {
    const told = new Set([...optionsIn(command.synopsis), ...OPTION_HELP.map(([option]) => option)]);
    expect(command.options.filter((o) => !told.has(o))).toEqual([]);
    expect((command.required ?? []).filter((o) => !command.options.includes(o))).toEqual([]);
  });

  test('has a line in the synopsis of docs/cli.md with the options of its own synopsis', () => {
    const line = synopsis.find((l) => l.split(/\s+/)[1] === name);
    expect(line).toBeDefined();
    expect(optionsIn(command.synopsis).filter((o) => !line!.includes(`--${o}`))).toEqual([]);
  });

  test('is in the usage text', () => {
    expect(usage()).toContain(`\n  ${name} ${command.synopsis.split('\n')[0]}`.trimEnd());
  });
});

test('docs/cli.md names no command that is not in the table', () => {
  expect(synopsis.map((l) => l.split(/\s+/)[1]).filter((n) => !COMMANDS.some((c) => c.name === n))).toEqual([]);
});

test('every option is common or read by a command', () => {
  const read = new Set<OptionName>([...COMMON_OPTIONS, ...COMMANDS.flatMap((c) => c.options)]);
  expect(Object.keys(OPTIONS).filter((o) => !read.has(o as OptionName))).toEqual([]);
});
