/**
 * `npm run metainfo-screenshots` (as root): the screenshots the AppStream
 * metainfo names, for software centres, in data/screenshots/. The real app
 * and helper on the tests' private setup (loop-backed btrfs, a private system
 * bus, Xvfb), dressed as a person's computer: Alice's home with ordinary
 * documents and pictures, backed up three times, a minute or more apart, to
 * a disk she called "Blue USB disk". Nothing outside a temporary folder is
 * touched, and everything is removed at the end.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createBackupFixture, type BackupFixture } from '../tests/support/backup-fixture';
import { launchApp, settle, technicalTexts, type LaunchedApp } from '../tests/support/app-launch';
import { screenshot, startXvfb } from '../tests/support/display';
import { sh, shResult, waitFor } from '../tests/support/exec';
import { runBackupCli } from '../tests/support/helper-run';
import { REPO } from '../tests/support/system-bus';
import { startUserSession } from '../tests/support/user-session';

const OUT = path.join(REPO, 'data/screenshots');
const PERSON = 'alice';
/** Besides the tests' rule: the temporary folders, the tests' names, the destination's id. */
const NOT_FOR_PEOPLE = new RegExp('/tmp|\\b[Tt]est|\\busb\\b');
const DISK = 'Blue USB disk';

/** A picture: a cloudy pattern in a photo's colours, the size of a photo. */
function picture(file: string, from: string, to: string): void {
  sh('convert', ['-size', '1600x1200', `plasma:${from}-${to}`, '-quality', '85', file]);
}

function writeScene(home: string): void {
  const docs = path.join(home, PERSON, 'Documents');
  const pics = path.join(home, PERSON, 'Pictures');
  for (const dir of [docs, pics, path.join(home, PERSON, 'Music'), path.join(home, PERSON, 'Downloads')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(docs, 'Recipes.md'), '# Recipes\n\n## Lemon cake\n- 200 g flour\n- 3 eggs\n- 2 lemons\n');
  writeFileSync(path.join(docs, 'Holiday plans.txt'), 'Train to the coast on Friday.\nBook the cottage for a week.\n');
  writeFileSync(path.join(docs, 'Household budget.csv'), 'month,rent,food,travel\n'.concat('January,850,320,60\n'.repeat(12)));
  writeFileSync(path.join(docs, 'Tax return 2025.pdf'), Buffer.alloc(180 * 1024, 37));
  writeFileSync(path.join(docs, 'CV.pdf'), Buffer.alloc(96 * 1024, 41));
  writeFileSync(path.join(docs, 'School trip form.pdf'), Buffer.alloc(64 * 1024, 43));
  picture(path.join(pics, 'Beach at sunset.jpg'), '#f6d365', '#fda085');
  picture(path.join(pics, 'Birthday cake.jpg'), '#fbc2eb', '#a6c1ee');
  writeFileSync(path.join(home, PERSON, 'Music', 'Piano practice.ogg'), Buffer.alloc(900 * 1024, 11));
}

/** Between backups: what a person does in a week, a minute apart here so each backup has a time of its own. */
function laterChanges(home: string, round: number): void {
  const pics = path.join(home, PERSON, 'Pictures');
  const docs = path.join(home, PERSON, 'Documents');
  if (round === 1) {
    picture(path.join(pics, 'Garden in May.jpg'), '#d4fc79', '#96e6a1');
    writeFileSync(path.join(docs, 'Recipes.md'), '# Recipes\n\n## Lemon cake\n- 200 g flour\n- 3 eggs\n- 2 lemons\n\n## Pancakes\n- milk, eggs, flour\n');
  } else {
    picture(path.join(pics, 'Hiking in the hills.jpg'), '#84fab0', '#8fd3f4');
    writeFileSync(path.join(docs, 'Letter to the landlord.odt'), Buffer.alloc(24 * 1024, 5));
  }
  sh('chown', ['-R', `${PERSON}:${PERSON}`, path.join(home, PERSON)]);
}

async function nextMinute(): Promise<void> {
  const now = new Date();
  await settle((61 - now.getSeconds()) * 1000);
}

/** The on-screen geometry of the topmost window whose title matches (Xvfb has no window manager: no frames). */
function windowGeometry(display: string, title: RegExp): string {
  const lines = sh('xwininfo', ['-display', display, '-root', '-tree']).split('\n');
  const found = lines
    .map((l) => /^\s*0x[0-9a-f]+ "([^"]*)": .*?\s(\d+x\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && title.test(m[1]) && !m[2].startsWith('1x'));
  if (found.length === 0) throw new Error(`no window titled ${title} on screen`);
  // xwininfo lists the root's children bottom to top.
  const m = found.at(-1)!;
  return `${m[2]}+${m[3]}+${m[4]}`;
}

/** Photographs one window, after checking that nothing on screen is for developers only. */
async function shoot(app: LaunchedApp, display: string, title: RegExp, name: string): Promise<void> {
  await settle(2000);
  const windows = await app.texts();
  const wrong = [...technicalTexts(windows, NOT_FOR_PEOPLE), ...windows.map((w) => w.window).filter((t) => NOT_FOR_PEOPLE.test(t))];
  if (wrong.length > 0) throw new Error(`${name}: not for a software centre: ${wrong.join('; ')}`);
  const whole = path.join(OUT, `${name}-screen.png`);
  screenshot(display, whole);
  const file = path.join(OUT, `${name}.png`);
  // Colours as they are, no metadata with times or paths, the best compression.
  sh('convert', [whole, '-crop', windowGeometry(display, title), '+repage', '-strip', '-define', 'png:compression-level=9', file]);
  sh('rm', [whole]);
  // Smaller still where optipng is installed (lossless).
  if (shResult('optipng', ['-quiet', '-o5', file]).status !== 0) console.log('  (optipng is not installed: the PNG is as ImageMagick wrote it)');
  console.log(`  ${path.relative(REPO, file)}: ${sh('identify', ['-format', '%wx%h', file])}`);
}

async function takeScreenshots(fx: BackupFixture, snapshots: string[]): Promise<void> {
  const display = await startXvfb(fx.cleanup);
  // The home is Alice's own folder, so the page says whose files these are in her words.
  const userEnv = [...(await startUserSession(fx, display)), `HOME=${path.join(fx.home, PERSON)}`];
  mkdirSync(OUT, { recursive: true });
  const app = launchApp(fx, userEnv, 'light');
  const step = async (action: string, parameter: string | undefined, line: string) => {
    const before = app.count(line);
    app.activate(action, parameter);
    await waitFor(line, () => app.count(line) > before || undefined, 60_000);
  };
  try {
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30_000);
    await shoot(app, display, /^Rewind$/, 'main');

    await step('restore-points', undefined, 'rewind: restore points ');
    // The middle backup: both Earlier and Later can be pressed.
    const point = JSON.stringify({ from: 'local', snapshot: snapshots[1], source: fx.home, where: 'This computer' });
    await step('browse-point', point, 'rewind: browser timeline ');
    await waitFor('the home folder', () => app.output().includes(`rewind: browser folder ${PERSON} `) || undefined, 30_000);
    await step('browser.open-folder', `${PERSON}/Documents`, `rewind: browser folder ${PERSON}/Documents `);
    await shoot(app, display, /^Files from /, 'restore');
  } finally {
    await app.stop();
  }
  const prefs = launchApp(fx, userEnv, 'light');
  try {
    await waitFor('the main page', () => prefs.output().includes('rewind: page ready') || undefined, 30_000);
    prefs.activate('preferences');
    await shoot(prefs, display, /^Preferences$/, 'preferences');
  } finally {
    await prefs.stop();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('The screenshots are taken on loop-backed btrfs disks and a private system bus, which needs root: run it with sudo.');
    process.exit(2);
  }
  const fx = await createBackupFixture({
    sourceMiB: 512,
    destinationMiB: 512,
    scene: { diskLabel: DISK, hostName: 'laptop', userName: PERSON, dirPrefix: 'rewind-screenshots-', writeFiles: writeScene },
  });
  try {
    chownSync(path.join(fx.home, PERSON), fx.allowed.uid, fx.allowed.uid);
    sh('chown', ['-R', `${PERSON}:${PERSON}`, path.join(fx.home, PERSON)]);
    const snapshots: string[] = [];
    for (let round = 0; round < 3; round++) {
      if (round > 0) {
        laterChanges(fx.home, round);
        await nextMinute();
      }
      console.log(`▶ Backup ${round + 1} of 3`);
      const record = runBackupCli(fx);
      if (!record.ok) throw new Error(`backup ${round + 1} failed: ${JSON.stringify(record)}`);
      snapshots.push(record.transfers[0].snapshot);
    }
    console.log('▶ Photographing the app');
    await takeScreenshots(fx, snapshots);
  } finally {
    await fx.cleanup.run();
  }
}

main().catch((error: unknown) => {
  console.error(`\nThe screenshots failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
