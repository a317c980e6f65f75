import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, startXvfb } from '../support/display';
import { shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { detachLoop } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * The app in German: the build's translation (po/de.po, compiled by the
 * build into dist/locale as meson compiles it into share/locale), the real
 * app under Xvfb run by a user whose session is in German (LANG=de_DE.UTF-8,
 * a locale this test compiles with localedef, as a German Fedora has it),
 * against the real helper, which speaks English. What the helper reports goes
 * on screen in German: the run that found the backup disk away (its reason
 * in a D-Bus signal's JSON) and a server that cannot be reached (a D-Bus
 * error's reason line), with the names the helper sent.
 */
jest.setTimeout(240_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

/** Everything on screen, one text per line. */
async function screen(driver: AppDriver): Promise<string[]> {
  return (await driver.texts()).flatMap((w) => [w.window, ...w.texts]);
}

function history(): RunRecord[] {
  const file = path.join(fx.stateDir, 'history.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]) : [];
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  fx = await createBackupFixture();
  expect(runBackupCli(fx).ok).toBe(true);
  // German as a German desktop has it; where localedef is missing, LANGUAGE alone selects the translation.
  const locales = path.join(fx.dir, 'locales');
  mkdirSync(locales);
  const compiled = shResult('localedef', ['-i', 'de_DE', '-f', 'UTF-8', path.join(locales, 'de_DE.UTF-8')]).status === 0;
  const german = compiled ? ['LANG=de_DE.UTF-8', `LOCPATH=${locales}`, 'LANGUAGE=de'] : ['LANGUAGE=de'];
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, german);
});

afterAll(async () => {
  await app?.stop();
  await fx?.cleanup.run();
});

describe('the app in German', () => {
  test('the main page', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    await waitFor('the main page', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
    await waitFor('the destinations checked', () => app!.output().includes('rewind: destinations checked') || undefined, 60_000);
    await settle();
    expect(await screen(app)).toEqual(
      expect.arrayContaining(['Ihre Dateien sind gesichert', 'Jetzt sichern', 'Wiederherstellen …', 'Letzte erfolgreiche Sicherung', 'Nächste Sicherung', 'Sicherungsziele']),
    );
    await app.shoot('de-main');
  });

  test('Back Up Now with the backup disk away: the helper sends the reason and the disk’s name, the app says it in German', async () => {
    detachLoop(fx.destination.device);
    const runs = history().length;
    app!.activate('back-up-now');
    await waitFor('the backup to end', () => /rewind: backup (completed ok|failed \S+)/.exec(app!.output())?.[0], 60_000);
    expect(app!.output()).toContain('rewind: backup failed DestinationMissing');
    // The helper's record: skipped, the English sentence, and the reason with its parameter.
    expect(history()).toHaveLength(runs + 1);
    expect(history().at(-1)).toMatchObject({
      ok: false,
      outcome: 'skipped',
      skipped: [
        {
          destination: 'usb',
          reason: {
            code: 'DestinationMissing',
            message: 'The backup disk Test backup disk is not connected. Connect the backup disk, then try again.',
            reason: 'disk-not-connected',
            params: { destination: 'Test backup disk' },
          },
        },
      ],
    });
    const said = await waitFor('the outcome said', () => /rewind: (alert|toast) (.*)/.exec(app!.output())?.slice(1), 10_000);
    expect(said).toEqual(['alert', 'Es wurde nichts gesichert']);
    await settle();
    const texts = await screen(app!);
    expect(texts).toContain('Das Sicherungslaufwerk „Test backup disk“ ist nicht angeschlossen. Schließen Sie es an und versuchen Sie es erneut.');
    expect(texts.filter((t) => /not connected|Connect the backup disk/.test(t))).toEqual([]);
    await app!.shoot('de-disk-away-back-up-now');
    await app!.stop();
    app = undefined;
  });

  test('the main page waits for the disk in German, and a server that cannot be reached is said in German', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    await waitFor('the waiting headline', () => /rewind: headline waiting: (.*)/.exec(app!.output())?.[1], 60_000);
    await settle();
    expect(await screen(app)).toEqual(expect.arrayContaining(['Warten auf Test backup disk']));

    const port = await closedPort();
    app.activate('add-ssh-destination');
    await waitFor('the server page', () => app!.output().includes('rewind: ssh page server') || undefined, 30_000);
    app.activate('ssh.fill', JSON.stringify({ host: '127.0.0.1', port, user: 'root', path: '/srv/rewind' }));
    await settle(500);
    app.activate('ssh.continue');
    await waitFor('the key page', () => app!.output().includes('rewind: ssh page key') || /rewind: ssh error .*/.exec(app!.output())?.[0], 60_000);
    expect(app.output()).not.toContain('rewind: ssh error');
    app.activate('ssh.continue');
    // ProbeHost fails with HostUnreachable; the D-Bus error's last line names the server.
    const error = await waitFor('the error', () => /rewind: ssh error (.*)/.exec(app!.output())?.[1], 60_000);
    const german = 'Der Sicherungsserver „127.0.0.1“ ist nicht erreichbar. Prüfen Sie, ob er eingeschaltet und mit dem Netzwerk verbunden ist, und versuchen Sie es erneut.';
    expect(error).toBe(german);
    await settle();
    expect(await screen(app)).toContain(german);
    await app.shoot('de-server-unreachable');
  });
});
