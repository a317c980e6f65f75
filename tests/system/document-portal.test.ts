import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { Cleanup } from '../support/cleanup';
import { startDocumentPortal, type DocumentPortal } from '../support/document-portal';

/**
 * A folder chosen in a Flatpak comes back as a document-portal path, which
 * the helper on the host cannot use. The real document portal
 * (xdg-document-portal) runs on a session bus of the test's own; a real
 * folder is exported through it as the file chooser portal exports a chosen
 * folder, its files are read through the portal's mount, and the app's
 * src/app/host-path.ts (bundled for gjs as the app is) must turn that path
 * back into the folder.
 *
 * The portal here is xdg-desktop-portal 1.16 (Documents version 4), which has
 * no GetHostPaths: the app asks it first and, told the method is unknown,
 * asks Info, which a portal answers only outside a sandbox — as this test
 * runs. Inside a Flatpak on such a portal the app says it cannot use the
 * folder; GetHostPaths (version 5 on) is not exercised by a real portal here.
 */
jest.setTimeout(120_000);

const cleanup = new Cleanup();
let dir: string;
let portal: DocumentPortal;
let photos: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-docportal-'));
  cleanup.add('remove the test folder', () => rmSync(dir, { recursive: true, force: true }));
  photos = path.join(dir, 'home', 'alice', 'Photos');
  mkdirSync(path.join(photos, '2026', 'June'), { recursive: true });
  writeFileSync(path.join(photos, '2026', 'June', 'beach.txt'), 'sand\n');
  portal = await startDocumentPortal(cleanup, dir);
});

afterAll(() => cleanup.run());

describe('a folder chosen in the sandbox goes to the helper as its host path', () => {
  let docPath: string;

  beforeAll(() => {
    docPath = portal.exportFolder(photos);
  });

  test('the portal exports the folder under its mount, and its files are read through it', () => {
    expect(docPath.startsWith(`${portal.mountPoint}/`)).toBe(true);
    expect(path.basename(docPath)).toBe('Photos');
    expect(readFileSync(path.join(docPath, '2026', 'June', 'beach.txt'), 'utf8')).toBe('sand\n');
  });

  test('the exported folder and a folder inside it are turned back into the real folders', () => {
    expect(portal.hostPath(docPath)).toBe(photos);
    expect(portal.hostPath(`${docPath}/`)).toBe(photos);
    expect(portal.hostPath(path.join(docPath, '2026', 'June'))).toBe(path.join(photos, '2026', 'June'));
  });

  test('a host path is kept as it is', () => {
    expect(portal.hostPath(photos)).toBe(photos);
  });

  test('a document the portal does not know, or a path that names no folder, has no host path', () => {
    expect(portal.hostPath(path.join(portal.mountPoint, 'ffff0000', 'Photos'))).toBeNull();
    expect(portal.hostPath(path.dirname(docPath))).toBeNull();
    expect(portal.hostPath(`${docPath}/../../x`)).toBeNull();
  });
});
