import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { HELPER_METHODS, HELPER_SIGNALS, METHOD_NAMES, type MethodSpec } from '../../src/core/contract/methods';
import { parseRequest, REQUEST_PARSERS } from '../../src/core/contract/requests';
import { HELPER_INTERFACE_XML } from '../../src/core/dbus-interface';
import { ACTIONS, APP_ID } from '../../src/core/ids';

/**
 * The helper's contract (src/core/contract) against everything else that
 * names its methods and actions: the introspection XML, the polkit policy
 * and the D-Bus table in docs/architecture.md.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const spec = (name: string): MethodSpec => HELPER_METHODS[name as keyof typeof HELPER_METHODS];
const shortAction = (action: string) => action.slice(APP_ID.length + 1);

/** Each method of the XML with its arguments as "direction type name". */
function xmlMethods(xml: string): Map<string, string[]> {
  const methods = new Map<string, string[]>();
  for (const m of xml.matchAll(/<method name="(\w+)">([\s\S]*?)<\/method>/g)) {
    methods.set(m[1], [...m[2].matchAll(/<arg direction="(in|out)" type="(\w)" name="(\w+)"\/>/g)].map((a) => `${a[1]} ${a[2]} ${a[3]}`));
  }
  return methods;
}

/** The rows of the helper's D-Bus table in docs/architecture.md: member → [signature cell, action cell]. */
function docsTable(): Map<string, { signature: string; actions: string }> {
  const doc = readFileSync(path.join(REPO, 'docs/architecture.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith("The helper's D-Bus interface")) ?? '';
  const rows = new Map<string, { signature: string; actions: string }>();
  for (const line of section.split('\n')) {
    const m = /^\| `(\w+)\(([^)]*)\)(?: → (\w))?[^`]*` \| ([^|]*) \|/.exec(line);
    if (m) rows.set(m[1], { signature: `${m[2].split(' ')[0] ?? ''}→${m[3] ?? ''}`, actions: m[4] });
  }
  return rows;
}

describe('the helper contract', () => {
  test('has a parser for every method and nothing else', () => {
    expect(Object.keys(REQUEST_PARSERS).sort()).toEqual([...METHOD_NAMES].sort());
  });

  test('the introspection XML has exactly its methods, arguments and signals', () => {
    const xml = xmlMethods(HELPER_INTERFACE_XML);
    expect([...xml.keys()]).toEqual(METHOD_NAMES);
    for (const name of METHOD_NAMES) {
      const { in: input, out } = spec(name);
      const expected = [...(input ? [`in ${input.type} ${input.name}`] : []), ...(out ? [`out ${out.type} ${out.name}`] : [])];
      expect({ name, args: xml.get(name) }).toEqual({ name, args: expected });
    }
    expect([...HELPER_INTERFACE_XML.matchAll(/<signal name="(\w+)">/g)].map((m) => m[1])).toEqual(Object.keys(HELPER_SIGNALS));
  });

  test('every action it names is in the polkit policy, and the policy has no other', () => {
    const policy = readFileSync(path.join(REPO, `data/${APP_ID}.policy.in`), 'utf8');
    const ids = [...policy.matchAll(/<action id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.sort()).toEqual(Object.values(ACTIONS).sort());
    for (const name of METHOD_NAMES) expect({ name, listed: ids.includes(spec(name).action) }).toEqual({ name, listed: true });
    // Making a filesystem is an administrator's decision of its own, apart from changing settings.
    expect(spec('PrepareDisk').action).toBe(ACTIONS.prepareDisk);
    const prepare = new RegExp(`<action id="${ACTIONS.prepareDisk}">[\\s\\S]*?<allow_any>(\\w+)</allow_any>\\s*<allow_inactive>(\\w+)</allow_inactive>\\s*<allow_active>(\\w+)</allow_active>`).exec(policy);
    expect(prepare?.slice(1)).toEqual(['auth_admin_keep', 'auth_admin_keep', 'auth_admin_keep']);
  });

  test('only the state of backups is open to every user; reading the settings is for the active session', () => {
    const policy = readFileSync(path.join(REPO, `data/${APP_ID}.policy.in`), 'utf8');
    const defaults = (id: string) =>
      new RegExp(`<action id="${id}">[\\s\\S]*?<allow_any>(\\w+)</allow_any>\\s*<allow_inactive>(\\w+)</allow_inactive>\\s*<allow_active>(\\w+)</allow_active>`).exec(policy)?.slice(1);
    expect(defaults(ACTIONS.readStatus)).toEqual(['yes', 'yes', 'yes']);
    expect(METHOD_NAMES.filter((name) => spec(name).action === ACTIONS.readStatus).sort()).toEqual(['GetHistory', 'GetStatus']);
    // The settings, and what the helper mounts, connects to or walks as root to answer from them.
    expect(defaults(ACTIONS.readConfig)).toEqual(['auth_admin', 'auth_admin', 'yes']);
    expect(METHOD_NAMES.filter((name) => spec(name).action === ACTIONS.readConfig).sort()).toEqual(['DiscoverBackups', 'GetConfig', 'ListRestorePoints', 'ListSubvolumes']);
    // A whole home replaced is an administrator's decision.
    expect(spec('RestoreHome').action).toBe(ACTIONS.restoreFiles);
  });

  test('docs/architecture.md lists every method with its signature and action', () => {
    const rows = docsTable();
    expect([...rows.keys()].sort()).toEqual([...METHOD_NAMES].sort());
    for (const name of METHOD_NAMES) {
      const { in: input, out, action } = spec(name);
      const row = rows.get(name)!;
      expect({ name, signature: row.signature }).toEqual({ name, signature: `${input?.type ?? ''}→${out?.type ?? ''}` });
      expect({ name, action: row.actions.trim().split(/[ ,;]/)[0] }).toEqual({ name, action: shortAction(action) });
    }
  });
});

describe('parseRequest', () => {
  test('takes a JSON argument only as one string', () => {
    expect(() => parseRequest('ProbeHost', 'u', [3])).toThrow('ProbeHost takes one string (JSON); it was called with the signature "u".');
    expect(parseRequest('ListDisks', '', [])).toBeUndefined();
    expect(parseRequest('ListDisks', 's', ['{"sources":["/home"]}'])).toEqual(['/home']);
  });

  test("GetStatus's table row names each destination's last restore drill (DestinationSummary.lastDrill)", () => {
    expect(spec('GetStatus').action).toBe(ACTIONS.readStatus);
    expect(docsTable().get('GetStatus')?.signature).toBeDefined();
    expect(readFileSync(path.join(REPO, 'docs/architecture.md'), 'utf8')).toMatch(/\| `GetStatus\(\) → s` \|[^\n]*`lastDrill`/);
  });

  test('CheckBackups takes no argument, or one destination id', () => {
    expect(parseRequest('CheckBackups', '', [])).toEqual({});
    expect(parseRequest('CheckBackups', 's', ['{"destination":"usb"}'])).toEqual({ destination: 'usb' });
    expect(() => parseRequest('CheckBackups', 's', ['{"destination":"../etc"}'])).toThrow(/^CheckBackups: destination: must be a destination id/);
    expect(() => parseRequest('CheckBackups', 's', ['{"seed":1}'])).toThrow(/^CheckBackups:/);
  });

  test('refuses a control character in the raw text, naming the method', () => {
    expect(() => parseRequest('GetSshSetup', 's', ['{"path":"/srv\u0001"}'])).toThrow(/^GetSshSetup: path: must not contain control characters/);
  });

  test("words a parser's plain error as the method's InvalidArgs", () => {
    expect(() => parseRequest('ListFolder', 's', ['not json'])).toThrow(expect.objectContaining({ code: 'InvalidArgs', message: expect.stringMatching(/^ListFolder: the request is not JSON\./) }));
  });

  test('GetHistory takes a number from 1 to 1000', () => {
    expect(parseRequest('GetHistory', 'u', [20])).toBe(20);
    expect(() => parseRequest('GetHistory', '', [])).toThrow('GetHistory takes how many runs to return, from 1 to 1000.');
  });

  test('SetFolderApart takes a plain absolute folder and which way', () => {
    expect(parseRequest('SetFolderApart', 's', ['{"path":"/home/alice/.cache","apart":true}'])).toEqual({ path: '/home/alice/.cache', apart: true });
    expect(parseRequest('SetFolderApart', 's', ['{"path":"/home/alice/.cache","apart":false}'])).toEqual({ path: '/home/alice/.cache', apart: false });
    for (const bad of ['{"path":"/home/alice/../bob","apart":true}', '{"path":"/home//alice","apart":true}', '{"path":"/home/alice/","apart":true}', '{"path":"home","apart":true}', '{"path":"/home/alice"}', '{"path":"/x","apart":true,"force":true}']) {
      expect(() => parseRequest('SetFolderApart', 's', [bad])).toThrow(expect.objectContaining({ code: 'InvalidArgs' }));
    }
    // Changing the disk's layout is an administrator's decision, like the settings.
    expect(spec('SetFolderApart').action).toBe(ACTIONS.configure);
  });

  test('SetConfig tells JSON it cannot read from a bad configuration', () => {
    expect(() => parseRequest('SetConfig', 's', ['{'])).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
  });
});
