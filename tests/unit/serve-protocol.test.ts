import { describe, expect, test } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { configSchema } from '../../src/core/config';
import {
  authorizedKeysLine,
  checkBackupName,
  checkBackupPath,
  checkHostName,
  checkOriginalCommand,
  checkStoredFileName,
  checkSubvolumeDir,
  hostOfAuthorizedKeysLine,
  readOnlyHostOfAuthorizedKeysLine,
  installAuthorizedKey,
  parsePublicKey,
  parsePutTrailer,
  parseRequest,
  validateRequest,
} from '../../src/core/serve-protocol';
import { FrameReader, FrameWriter } from '../../src/helper/serve/framing';
import { StreamGuard } from '../../src/helper/serve/stream-guard';
import { ATTR, CMD, command, craftStream, str, streamHeader, u64, type Attr } from '../support/send-stream-craft';

/** A public key line whose blob really is of `type` (as ssh-keygen writes it). */
function keyLine(type: string, comment = 'rewind@alice-laptop', blobType = type): string {
  const name = Buffer.from(blobType);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  const key = Buffer.alloc(36, 7);
  key.writeUInt32BE(32);
  return `${type} ${Buffer.concat([len, name, key]).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

const KEY = keyLine('ssh-ed25519');
const BLOB = KEY.split(' ')[1];

describe('requests', () => {
  test.each([
    [{ op: 'hello', version: 1 }],
    [{ op: 'list', subvolume: 'home' }],
    [{ op: 'list', subvolume: 'var%2Flib%2Fx' }],
    [{ op: 'receive', subvolume: 'home', name: '20260101T080000Z', compression: 'zstd' }],
    [{ op: 'receive', subvolume: '.snapshots', name: '20260101T080000Z_2', compression: 'none' }],
    [{ op: 'delete', subvolume: 'home', name: '20260101T080000Z' }],
    [{ op: 'clean', subvolume: 'home' }],
    [{ op: 'space' }],
    [{ op: 'sync' }],
    [{ op: 'folders' }],
    [{ op: 'read', subvolume: 'home', name: '20260101T080000Z', path: 'alice/Documents/report (1).odt' }],
    [{ op: 'read', subvolume: 'home', name: '20260101T080000Z', path: '...hidden/..x/x..' }],
    [{ op: 'readdir', subvolume: 'home', name: '20260101T080000Z', path: '' }],
    [{ op: 'file-list', subvolume: 'home' }],
    [{ op: 'file-get', subvolume: 'home', file: 'manifest.json' }],
    [{ op: 'file-put', subvolume: 'home', file: '20260101T080000Z.full.btrfs.zst.age.000' }],
    [{ op: 'file-check', subvolume: 'home', file: '20260101T080000Z.incr.btrfs.zst.012' }],
    [{ op: 'file-delete', subvolume: 'home', file: '.20260101T080000Z.incr.btrfs.zst.012.partial' }],
  ])('%j is accepted as it is', (request) => {
    expect(validateRequest(request)).toEqual({ ok: true, request });
    expect(parseRequest(JSON.stringify(request))).toEqual({ ok: true, request });
  });

  test.each([
    ['not JSON', 'list home', /^A request must be one line of JSON: /],
    ['an array', '["list"]', /^A request must be a JSON object; found an array\.$/],
    ['null', 'null', /^A request must be a JSON object; found null\.$/],
    ['a string', '"hello"', /^A request must be a JSON object; found the string "hello"\.$/],
    ['no op', '{}', /^A request needs "op", a string; found none\.$/],
    ['a numeric op', '{"op":1}', /^A request needs "op", a string; found number 1\.$/],
    ['an unknown op', '{"op":"exec","command":"id"}', /^Unknown op "exec"; this server does only hello, list, folders, receive, delete, clean, space, read, readdir, sync, file-list, file-get, file-put, file-check, file-delete, send, diff\.$/],
    ['an inherited name as op', '{"op":"toString"}', /^Unknown op "toString"/],
    ['__proto__ as op', '{"op":"__proto__"}', /^Unknown op "__proto__"/],
    ['an unknown field', '{"op":"space","path":"/"}', /^space: unknown field "path"\.$/],
    ['a host field', '{"op":"list","subvolume":"home","host":"bob"}', /^list: unknown field "host"\.$/],
    ['two unknown fields', '{"op":"sync","a":1,"b":2}', /^sync: unknown fields "a", "b"\.$/],
    ['a missing field', '{"op":"delete","subvolume":"home"}', /^delete: "name" is missing; it must be a string\.$/],
    ['a wrong type', '{"op":"list","subvolume":5}', /^list: "subvolume" must be a string; found number 5\.$/],
    ['an object for a string', '{"op":"list","subvolume":{"a":1}}', /^list: "subvolume" must be a string; found an object\.$/],
    ['another version', '{"op":"hello","version":2}', /^hello: "version" must be 1, the only version this server speaks; found 2\.$/],
    ['a string version', '{"op":"hello","version":"1"}', /^hello: "version" must be a number; found the string "1"\.$/],
    ['an unknown compression', '{"op":"receive","subvolume":"home","name":"20260101T080000Z","compression":"gzip"}', /^receive: "compression" must be "zstd" or "none"; found "gzip"\.$/],
    ['a bad folder', '{"op":"list","subvolume":"../bob/home"}', /^list: "subvolume" must be one folder name .*; found "\.\.\/bob\/home"\.$/],
    ['a bad name', '{"op":"delete","subvolume":"home","name":"latest"}', /^delete: "name" must be a backup name .*; found "latest"\.$/],
    ['a bad path', '{"op":"read","subvolume":"home","name":"20260101T080000Z","path":"../x"}', /^read: "path" must not contain "\.\."; found "\.\.\/x"\.$/],
    ['an empty read path', '{"op":"read","subvolume":"home","name":"20260101T080000Z","path":""}', /^read: "path" must name a file inside the backup; found ""\.$/],
  ])('%s is refused with a message that names the problem', (_what, line, message) => {
    const result = parseRequest(line);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('InvalidArgs');
    expect(result.error.message).toMatch(message);
  });
});

describe('names and paths', () => {
  // Any name subvolumeDirName can make: Ubuntu's "@home", spaces, accents; no shell ever sees them.
  test.each(['home', 'var%2Flib%2Fx', '.snapshots', '@home', 'My Stuff', 'hôme', 'home;id', '$(id)', '`id`', 'a..b', '...', 'x'.repeat(255)])('folder %j is valid', (name) => {
    expect(checkSubvolumeDir(name)).toBeUndefined();
  });

  test.each(['', '.', '..', '../home', 'home/x', '/home', 'home/', 'a\nb', 'a\tb', 'a\0b', 'a\u007fb', 'x'.repeat(256), 'é'.repeat(128)])('folder %j is refused', (name) => {
    expect(checkSubvolumeDir(name)).toMatch(/^must be one folder name of 1–255 bytes, without "\/" or control characters, and not "\." or "\.\."; found /);
  });

  test.each(['20260101T080000Z', '20261231T235959Z_2', '20240229T120000Z_10'])('backup name %j is valid', (name) => {
    expect(checkBackupName(name)).toBeUndefined();
  });

  test.each(['', 'latest', '20260101T080000', '20260101T080000Z/..', '../20260101T080000Z', '20260231T000000Z', '20260101T250000Z', '20260101T080000Z_', '20260101T080000Z_x', ' 20260101T080000Z'])(
    'backup name %j is refused',
    (name) => {
      expect(checkBackupName(name)).toMatch(/^must be a backup name/);
    },
  );

  test('host names follow the configuration\'s rule exactly', () => {
    const configRule = configSchema.shape.hostName.unwrap();
    const samples = ['alice-laptop', 'a', 'A.b_c-d', '9lives', 'x'.repeat(64), 'x'.repeat(65), '', '.', '..', '-a', '.hidden', 'a/b', 'a b', 'ä', 'a;b'];
    for (const sample of samples) {
      expect([sample, checkHostName(sample) === undefined]).toEqual([sample, configRule.safeParse(sample).success]);
    }
  });

  test.each([
    ['alice/notes.txt', undefined],
    ['.bashrc', undefined],
    ['a/...', undefined],
    ['..a/b..', undefined],
    ['ä/ü', undefined],
    ['', 'must name a file inside the backup; found ""'],
    ['/etc/passwd', 'must be relative to the backup\'s root, not start with "/"; found "/etc/passwd"'],
    ['..', 'must not contain ".."; found ".."'],
    ['a/../../b', 'must not contain ".."; found "a/../../b"'],
    ['a/./b', 'must not contain "."; found "a/./b"'],
    ['a//b', 'must not contain an empty component ("//" or a "/" at the end); found "a//b"'],
    ['a/', 'must not contain an empty component ("//" or a "/" at the end); found "a/"'],
    ['a\0b', 'must not contain a NUL character'],
    ['x'.repeat(256), 'must not have a component longer than 255 bytes'],
    ['ä'.repeat(128), 'must not have a component longer than 255 bytes'],
    [`${'x'.repeat(200)}/`.repeat(21), 'must be at most 4096 bytes long'],
  ])('path %j', (path, problem) => {
    expect(checkBackupPath(path)).toBe(problem);
  });

  test('readdir may name the backup\'s root with ""', () => {
    expect(checkBackupPath('', true)).toBeUndefined();
  });

  test.each([
    ['rewind-helper serve', undefined],
    [undefined, 'This key may only run "rewind-helper serve"; it asked for an interactive shell, which is refused.'],
    ['rewind-helper serve ', 'This key may only run "rewind-helper serve"; it asked for the command "rewind-helper serve ", which is refused.'],
    ['rewind-helper serve; id', 'This key may only run "rewind-helper serve"; it asked for the command "rewind-helper serve; id", which is refused.'],
    ['/usr/libexec/rewind-helper serve', 'This key may only run "rewind-helper serve"; it asked for the command "/usr/libexec/rewind-helper serve", which is refused.'],
    ['internal-sftp', 'This key may only run "rewind-helper serve"; it asked for the command "internal-sftp", which is refused.'],
  ])('original command %j', (command, problem) => {
    expect(checkOriginalCommand(command)).toBe(problem);
  });
});

describe('public keys and authorized_keys', () => {
  test.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'sk-ssh-ed25519@openssh.com'])('a %s key is accepted', (type) => {
    const line = keyLine(type);
    expect(parsePublicKey(`${line}\n`)).toEqual({ ok: true, key: { type, data: line.split(' ')[1], comment: 'rewind@alice-laptop' } });
  });

  test.each([
    ['options before the key', `command="sh",restrict ${KEY}`, /^a public key line starts with its type/],
    ['an unknown type', KEY.replace('ssh-ed25519', 'ssh-dss'), /^a public key line starts with its type/],
    ['no key data', 'ssh-ed25519', /^the key data is not valid base64$/],
    ['bad base64', 'ssh-ed25519 AAAA$$$$', /^the key data is not valid base64$/],
    ['a blob of another type', keyLine('ssh-ed25519', 'c', 'ssh-rsa'), /^the key data is not a ssh-ed25519 key$/],
    ['two lines', `${KEY}\n${KEY}`, /^give exactly one public key line$/],
  ])('%s is refused', (_what, line, problem) => {
    const result = parsePublicKey(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });

  test('a comment with quotes or control characters is replaced', () => {
    expect(parsePublicKey(keyLine('ssh-ed25519', 'x"y')).ok && (parsePublicKey(keyLine('ssh-ed25519', 'x"y')) as { key: { comment?: string } }).key.comment).toBe('x"y');
    const withTab = parsePublicKey(`${KEY.split(' ').slice(0, 2).join(' ')} a\u0001b`);
    expect(withTab.ok && withTab.key.comment).toBeUndefined();
  });

  test('the forced-command line', () => {
    expect(authorizedKeysLine({ helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host: 'alice-laptop', publicKey: KEY })).toBe(
      `command="/usr/libexec/rewind-helper serve --root /srv/rewind --host alice-laptop",restrict ssh-ed25519 ${BLOB} rewind@alice-laptop`,
    );
    expect(authorizedKeysLine({ helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host: 'bob', publicKey: keyLine('ssh-ed25519', '') })).toMatch(/ rewind@bob$/);
  });

  test.each([
    ['a relative helper', { helperPath: 'rewind-helper' }, /^The helper path must be an absolute path/],
    ['a helper path with a space', { helperPath: '/usr/bin/rewind helper' }, /^The helper path must be/],
    ['a root with a quote', { root: '/srv/"x' }, /^The backup folder must be/],
    ['a root with $', { root: '/srv/$HOME' }, /^The backup folder must be/],
    ['a root with ;', { root: '/srv;id' }, /^The backup folder must be/],
    ['a root with ..', { root: '/srv/../etc' }, /^The backup folder must be .* without "\.\."/],
    ['a bad host', { host: 'a b' }, /^The host name must be a host name/],
    ['a host with a quote', { host: 'a"' }, /^The host name must be a host name/],
    ['a bad key', { publicKey: 'ssh-ed25519 xx' }, /^The public key is not valid: the key data is not valid base64$/],
  ])('%s is refused', (_what, change, message) => {
    const options = { helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host: 'alice-laptop', publicKey: KEY, ...change };
    expect(() => authorizedKeysLine(options)).toThrow(message);
  });

  const lineFor = (host: string, key = KEY) => authorizedKeysLine({ helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host, publicKey: key });
  const otherKey = keyLine('ssh-ed25519', 'x').replace(/A(?=[^A]*$)/, 'B');

  test('hostOfAuthorizedKeysLine recognises only our lines', () => {
    expect(hostOfAuthorizedKeysLine(lineFor('alice-laptop'))).toBe('alice-laptop');
    expect(hostOfAuthorizedKeysLine(KEY)).toBeUndefined();
    expect(hostOfAuthorizedKeysLine(`command="/bin/sh",restrict ${KEY}`)).toBeUndefined();
  });

  test('installing: appended to an empty file, then idempotent', () => {
    const first = installAuthorizedKey('', lineFor('alice-laptop'), 'alice-laptop');
    expect(first).toEqual({ ok: true, text: `${lineFor('alice-laptop')}\n`, changed: true });
    expect(installAuthorizedKey(first.ok ? first.text : '', lineFor('alice-laptop'), 'alice-laptop')).toEqual({ ok: true, text: `${lineFor('alice-laptop')}\n`, changed: false });
  });

  test('installing: the line of the same host is replaced in place, others and comments are kept', () => {
    const bob = lineFor('bob', otherKey);
    const existing = `# my keys\n${lineFor('alice-laptop', keyLine('ssh-rsa'))}\n${bob}\nssh-ed25519 AAAAunrelated me@home\n`;
    const result = installAuthorizedKey(existing, lineFor('alice-laptop'), 'alice-laptop');
    expect(result).toEqual({ ok: true, changed: true, text: `# my keys\n${lineFor('alice-laptop')}\n${bob}\nssh-ed25519 AAAAunrelated me@home\n` });
  });

  test('installing: a key already used elsewhere is refused', () => {
    expect(installAuthorizedKey(`${KEY}\n`, lineFor('alice-laptop'), 'alice-laptop')).toEqual({
      ok: false,
      problem: 'this key is already in the file with other permissions; remove that line first, or the key could do more than receive backups',
    });
    expect(installAuthorizedKey(`no-pty ${KEY}\n`, lineFor('alice-laptop'), 'alice-laptop').ok).toBe(false);
    expect(installAuthorizedKey(`${lineFor('bob')}\n`, lineFor('alice-laptop'), 'alice-laptop')).toEqual({
      ok: false,
      problem: 'this key is already allowed for the host bob; each host needs its own key',
    });
    // A commented-out line does not count.
    expect(installAuthorizedKey(`# ${KEY}\n`, lineFor('alice-laptop'), 'alice-laptop').ok).toBe(true);
  });

  const readOnlyFor = (host: string, key = KEY) =>
    authorizedKeysLine({ helperPath: '/usr/libexec/rewind-helper', root: '/srv/rewind', host, publicKey: key, readOnly: true });

  test('a read-only line: its own forced command, recognised apart from the backing-up line', () => {
    expect(readOnlyFor('alice-laptop')).toBe(`command="/usr/libexec/rewind-helper serve --root /srv/rewind --host alice-laptop --read-only",restrict ssh-ed25519 ${BLOB} rewind@alice-laptop`);
    expect(readOnlyHostOfAuthorizedKeysLine(readOnlyFor('alice-laptop'))).toBe('alice-laptop');
    expect(hostOfAuthorizedKeysLine(readOnlyFor('alice-laptop'))).toBeUndefined();
    expect(readOnlyHostOfAuthorizedKeysLine(lineFor('alice-laptop'))).toBeUndefined();
  });

  test("installing a read-only line keeps the host's backing-up line and replaces its earlier read-only line", () => {
    const own = lineFor('alice-laptop', otherKey);
    const added = installAuthorizedKey(`${own}\n`, readOnlyFor('alice-laptop'), 'alice-laptop');
    expect(added).toEqual({ ok: true, changed: true, text: `${own}\n${readOnlyFor('alice-laptop')}\n` });
    const third = keyLine('ssh-rsa');
    const replaced = installAuthorizedKey(added.ok ? added.text : '', readOnlyFor('alice-laptop', third), 'alice-laptop');
    expect(replaced).toEqual({ ok: true, changed: true, text: `${own}\n${readOnlyFor('alice-laptop', third)}\n` });
    // The backing-up line, installed again, leaves the read-only one alone.
    const again = installAuthorizedKey(replaced.ok ? replaced.text : '', lineFor('alice-laptop', otherKey), 'alice-laptop');
    expect(again).toEqual({ ok: true, changed: false, text: replaced.ok ? replaced.text : '' });
    // A key read-only for one host is not given to another.
    expect(installAuthorizedKey(`${readOnlyFor('bob')}\n`, lineFor('alice-laptop'), 'alice-laptop')).toEqual({
      ok: false,
      problem: 'this key is already allowed for the host bob; each host needs its own key',
    });
  });
});

describe('the send stream guard', () => {
  const NAME = '20260101T080000Z';
  const OWN = Buffer.alloc(16, 1);
  const PARENT = Buffer.alloc(16, 2);
  const OTHER = Buffer.alloc(16, 3);
  /** A UUID another subvolume on the server holds already. */
  const TAKEN = Buffer.alloc(16, 4);
  const uuid = (b: Buffer) => {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const subvol = (name = NAME): Buffer => command(CMD.SUBVOL, [[ATTR.PATH, str(name)], [ATTR.UUID, OWN], [ATTR.CTRANSID, u64(1)]]);
  const snapshot = (parent: Buffer): Buffer =>
    command(CMD.SNAPSHOT, [[ATTR.PATH, str(NAME)], [ATTR.UUID, OWN], [ATTR.CTRANSID, u64(2)], [ATTR.CLONE_UUID, parent], [ATTR.CLONE_CTRANSID, u64(1)]]);
  const cmd = (type: number, attrs: Attr[]) => command(type, attrs);
  const end = command(CMD.END, []);
  const clone = (source: Buffer) =>
    cmd(CMD.CLONE, [[ATTR.PATH, str('f')], [ATTR.FILE_OFFSET, u64(0)], [ATTR.CLONE_UUID, source], [ATTR.CLONE_CTRANSID, u64(1)], [ATTR.CLONE_PATH, str('g')]]);

  /** Runs `stream` through a guard, in chunks of `chunk` bytes; returns what passed, or the refusal. */
  async function guard(stream: Buffer, chunk = 1 << 20): Promise<{ passed: Buffer; error?: string; guard: StreamGuard }> {
    const g = new StreamGuard({
      name: NAME,
      isOwnParent: (u) => (u === uuid(PARENT) ? undefined : `parent ${u} refused`),
      isNewUuid: (u) => (u === uuid(TAKEN) ? `${u} is taken` : undefined),
    });
    const parts: Buffer[] = [];
    for (let at = 0; at < stream.length; at += chunk) parts.push(stream.subarray(at, at + chunk));
    const out: Buffer[] = [];
    g.on('data', (d: Buffer) => out.push(d));
    const error = await new Promise<string | undefined>((resolve) => {
      g.on('error', (e) => resolve(e.message));
      g.on('end', () => resolve(undefined));
      Readable.from(parts).pipe(g);
    });
    return { passed: Buffer.concat(out), error, guard: g };
  }

  test('a well-formed full stream passes unchanged, whatever the chunking', async () => {
    const stream = Buffer.concat([streamHeader(), subvol(), cmd(CMD.MKFILE, [[ATTR.PATH, str('f')], [ATTR.INO, u64(257)]]), clone(OWN), end]);
    for (const size of [1, 3, 10, 17, 64, 1 << 20]) {
      const result = await guard(stream, size);
      expect(result.error).toBeUndefined();
      expect(result.passed.equals(stream)).toBe(true);
    }
    expect((await guard(stream)).guard.uuid).toBe(uuid(OWN));
  });

  test('an incremental stream from an accepted parent passes, and may clone from it', async () => {
    const stream = Buffer.concat([streamHeader(2), snapshot(PARENT), clone(PARENT), clone(OWN), end]);
    const result = await guard(stream, 7);
    expect(result.error).toBeUndefined();
    expect(result.passed.equals(stream)).toBe(true);
    expect(result.guard.parentUuid).toBe(uuid(PARENT));
  });

  test('a version 2 DATA attribute runs to the end of its command', async () => {
    // Its bytes look like an attribute header with a huge length; only version 2 rules read them right.
    const data = Buffer.alloc(70_000, 0xff);
    const write = (() => {
      const head = cmd(CMD.WRITE, [[ATTR.PATH, str('f')], [ATTR.FILE_OFFSET, u64(0)]]);
      const tail = Buffer.concat([Buffer.from([ATTR.DATA, 0]), data]);
      return { head, tail };
    })();
    const body = Buffer.concat([write.head.subarray(10), write.tail]);
    const header = Buffer.alloc(10);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt16LE(CMD.WRITE, 4);
    const stream = Buffer.concat([streamHeader(2), subvol(), header, body, end]);
    expect((await guard(stream, 4096)).error).toBeUndefined();
  });

  test.each([
    ['not a send stream', () => Buffer.concat([Buffer.from('tar-stream\0\0\0\0\0\0\0'), subvol(), end]), /^The data is not a btrfs send stream\.$/],
    ['version 9', () => Buffer.concat([streamHeader(9), subvol(), end]), /^Send stream version 9 is not supported\.$/],
    ['no subvolume first', () => Buffer.concat([streamHeader(), cmd(CMD.MKFILE, [[ATTR.PATH, str('f')]]), end]), /^The stream does not start with a subvolume\.$/],
    ['another name', () => Buffer.concat([streamHeader(), subvol('20260101T080000Z_2'), end]), /^The stream's subvolume is named "20260101T080000Z_2", not 20260101T080000Z as the request said\.$/],
    ['a path as name', () => Buffer.concat([streamHeader(), subvol(`../${NAME}`), end]), /is named "\.\.\/20260101T080000Z"/],
    ['two subvolumes', () => Buffer.concat([streamHeader(), subvol(), subvol(), end]), /^The stream holds more than one subvolume; send one per request\.$/],
    ['a second stream after END', () => Buffer.concat([streamHeader(), subvol(), end, streamHeader(), subvol(), end]), /goes on after its END command/],
    ['a parent elsewhere', () => Buffer.concat([streamHeader(), snapshot(OTHER), end]), /^parent 03030303-0303-0303-0303-030303030303 refused$/],
    ['a full stream with a UUID that is taken', () => Buffer.concat([streamHeader(), cmd(CMD.SUBVOL, [[ATTR.PATH, str(NAME)], [ATTR.UUID, TAKEN], [ATTR.CTRANSID, u64(1)]]), end]), /^04040404-0404-0404-0404-040404040404 is taken$/],
    ['an incremental stream with a UUID that is taken', () => Buffer.concat([streamHeader(), cmd(CMD.SNAPSHOT, [[ATTR.PATH, str(NAME)], [ATTR.UUID, TAKEN], [ATTR.CLONE_UUID, PARENT]]), end]), /is taken$/],
    ['a clone from elsewhere', () => Buffer.concat([streamHeader(), subvol(), clone(OTHER), end]), /^The stream copies data from a subvolume other than its own or its parent; that is refused\.$/],
    ['a clone from a parent it does not have', () => Buffer.concat([streamHeader(), subvol(), clone(PARENT), end]), /copies data from a subvolume other than its own/],
    ['".." in a path', () => Buffer.concat([streamHeader(), subvol(), cmd(CMD.MKFILE, [[ATTR.PATH, str('a/../../x')], [ATTR.INO, u64(257)]]), end]), /^The stream names a path with "\.\."\.$/],
    ['an absolute path', () => Buffer.concat([streamHeader(), subvol(), cmd(CMD.MKDIR, [[ATTR.PATH, str('/etc/x')], [ATTR.INO, u64(257)]]), end]), /^The stream names an absolute path\.$/],
    ['".." as a rename target', () => Buffer.concat([streamHeader(), subvol(), cmd(CMD.RENAME, [[ATTR.PATH, str('a')], [ATTR.PATH_TO, str('../a')]]), end]), /names a path with "\.\."/],
    ['".." as a hard link target', () => Buffer.concat([streamHeader(), subvol(), cmd(CMD.LINK, [[ATTR.PATH, str('a')], [ATTR.PATH_LINK, str('../b')]]), end]), /names a hard link target with "\.\."/],
    ['a cut-off stream', () => Buffer.concat([streamHeader(), subvol()]), /^The stream ended before its END command: it was cut off\.$/],
    ['a cut-off command', () => Buffer.concat([streamHeader(), subvol(), end]).subarray(0, 40), /cut off/],
    ['an attribute past its command', () => {
      const bad = cmd(CMD.MKFILE, [[ATTR.PATH, str('abc')]]);
      bad.writeUInt16LE(200, 12);
      return Buffer.concat([streamHeader(), subvol(), bad, end]);
    }, /^An attribute runs past its command: the stream is corrupt\.$/],
  ])('refuses %s, passing nothing of the refused command', async (_what, make, message) => {
    const stream = make();
    const result = await guard(stream, 5);
    expect(result.error).toMatch(message);
    expect(stream.subarray(0, result.passed.length).equals(result.passed)).toBe(true);
    expect(result.passed.includes(end)).toBe(false);
  });

  test('a symbolic link may point anywhere: it is data, not a path receive follows', async () => {
    const stream = Buffer.concat([streamHeader(), subvol(), cmd(CMD.SYMLINK, [[ATTR.PATH, str('l')], [ATTR.INO, u64(257)], [ATTR.PATH_LINK, str('../../etc')]]), end]);
    expect((await guard(stream)).error).toBeUndefined();
  });

  test('the hand-made streams of the system tests pass the guard when they should', async () => {
    const stream = craftStream(NAME, [[CMD.MKFILE, [[ATTR.PATH, str('f')], [ATTR.INO, u64(257)]]]]);
    expect((await guard(stream)).error).toBeUndefined();
  });
});

describe('framing', () => {
  test('lines and chunks come back as they were written, in any split', async () => {
    const pipe = new PassThrough();
    const written: Promise<Buffer> = new Promise((resolve) => {
      const parts: Buffer[] = [];
      pipe.on('data', (d: Buffer) => parts.push(d));
      pipe.on('end', () => resolve(Buffer.concat(parts)));
    });
    const writer = new FrameWriter(pipe);
    await writer.line({ op: 'hello', version: 1 });
    await writer.chunk(Buffer.alloc(3 * 1024 * 1024 + 5, 9));
    await writer.endPayload();
    await writer.text('{"op":"sync"}');
    pipe.end();
    const bytes = await written;
    for (const size of [1, 1000, 65536, 1 << 22]) {
      const parts: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
      const reader = new FrameReader(Readable.from(parts));
      expect(await reader.readLine(65536)).toBe('{"op":"hello","version":1}');
      let total = 0;
      for (let chunk = await reader.readChunk(); chunk; chunk = await reader.readChunk()) {
        expect(chunk.length).toBeLessThanOrEqual(1024 * 1024);
        total += chunk.length;
      }
      expect(total).toBe(3 * 1024 * 1024 + 5);
      expect(await reader.readLine(65536)).toBe('{"op":"sync"}');
      expect(await reader.readLine(65536)).toBeUndefined();
    }
  });

  test.each([
    ['a line longer than the limit', Buffer.from(`${'x'.repeat(100)}\n`), (r: FrameReader) => r.readLine(64), 'A message is longer than 64 bytes.'],
    ['a line without its end', Buffer.from('{"op":'), (r: FrameReader) => r.readLine(64), 'The connection ended in the middle of a message.'],
    ['a chunk longer than 1 MiB', Buffer.from([0, 0x10, 0, 1]), (r: FrameReader) => r.readChunk(), 'A payload chunk of 1048577 bytes is longer than 1048576.'],
    ['a payload cut off', Buffer.from([0, 0, 0, 9, 1, 2]), (r: FrameReader) => r.readChunk(), 'The connection ended in the middle of a payload.'],
    ['a payload without its end marker', Buffer.from([0, 0, 0, 1, 1]), async (r: FrameReader) => (await r.readChunk(), r.readChunk()), 'The connection ended in the middle of a payload.'],
  ])('%s is a framing error', async (_what, bytes, read, message) => {
    const reader = new FrameReader(Readable.from([bytes]));
    await expect(read(reader)).rejects.toThrow(message);
  });
});

describe('stream files', () => {
  test.each(['../manifest.json', '.manifest.json', 'a/b', '', '..', 'x y', '.x.partial/..'])('the file name %j is refused, also by file-delete unless it is ".<name>.partial"', (file) => {
    expect(checkStoredFileName(file)).toMatch(/^must be a plain file name/);
    expect(checkStoredFileName(file, true)).toMatch(/^must be a plain file name/);
  });

  test('file-put refuses a hidden name, file-delete takes the partial name of a plain one only', () => {
    expect(validateRequest({ op: 'file-put', subvolume: 'home', file: '.manifest.json.partial' })).toMatchObject({ ok: false });
    expect(checkStoredFileName('.manifest.json.partial', true)).toBeUndefined();
    expect(checkStoredFileName('..manifest.json.partial', true)).toMatch(/^must be a plain file name/);
  });

  test.each([
    ['{"size":3,"sha256":"' + 'a'.repeat(64) + '"}', { size: 3, sha256: 'a'.repeat(64) }],
    ['{"cancel":true}', { cancel: true }],
    ['{"size":-1,"sha256":"' + 'a'.repeat(64) + '"}', /^The line after a file-put payload must be/],
    ['{"size":3,"sha256":"A"}', /^The line after a file-put payload must be/],
    ['{"size":3,"sha256":"' + 'a'.repeat(64) + '","x":1}', /^The line after a file-put payload must be/],
    ['{"cancel":false}', /^The line after a file-put payload must be/],
    ['not json', /^The line after a file-put payload must be JSON\.$/],
  ])('the file-put trailer %s', (line, expected) => {
    const parsed = parsePutTrailer(line);
    if (expected instanceof RegExp) expect(parsed).toMatch(expected);
    else expect(parsed).toEqual(expected);
  });
});
