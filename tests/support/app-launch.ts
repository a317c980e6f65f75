import path from 'node:path';
import { APP_ID } from '../../src/core/ids';
import type { BackupFixture } from './backup-fixture';
import { sh, shResult, startProcess, stopProcess, waitFor } from './exec';

/**
 * The real app run as the fixture's allowed user, without test assertions,
 * so that scripts (build-aux/metainfo-screenshots.ts) can drive it as the
 * tests do (./app-driver adds the tests' checks).
 */
export interface LaunchedApp {
  output(): string;
  /** How many lines start with `line`. */
  count(line: string): number;
  activate(action: string, parameter?: string): void;
  /** Every text on screen now, by window title (app.trace-texts). */
  texts(): Promise<Array<{ window: string; texts: string[] }>>;
  stop(): Promise<void>;
}

export const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

/**
 * Words no screen of the app may show: device paths, snapshot names, the
 * validator's words and btrfs vocabulary (the CLI and the history's details may).
 */
export const TECHNICAL_ON_SCREEN = /\/dev\/|\d{8}T\d{6}Z|subvolume|btrfs|discriminator|\w\[\d+\]\./i;

/** The history window may keep the technical words in a run's details. */
const HISTORY_WINDOW = 'Backup History';

/** The texts that break the rule, "window: text", for the assertion's message. */
export function technicalTexts(windows: Array<{ window: string; texts: string[] }>, also?: RegExp): string[] {
  return windows
    .filter((w) => w.window !== HISTORY_WINDOW)
    .flatMap((w) => w.texts.filter((t) => TECHNICAL_ON_SCREEN.test(t) || also?.test(t)).map((t) => `${w.window}: ${t}`));
}

/**
 * Where an action is on the app's session bus: a window's action
 * (`setup.continue`, `browser.up`) in its group's object beside the
 * application's (src/app/action-groups.ts), any other (`back-up-now`) on the
 * application's own.
 */
export function actionObject(action: string): { objectPath: string; name: string } {
  const root = `/${APP_ID.replaceAll('.', '/')}`;
  const dot = action.indexOf('.');
  return dot < 0 ? { objectPath: root, name: action } : { objectPath: `${root}/${action.slice(0, dot)}`, name: action.slice(dot + 1) };
}

/** Whether the app's action is there and enabled now (org.gtk.Actions.Describe), asked as `user` in `userEnv`'s session. */
export function actionEnabled(user: string, userEnv: string[], action: string): boolean {
  const { objectPath, name } = actionObject(action);
  const call = ['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', 'org.gtk.Actions.Describe', name];
  return shResult('runuser', ['-u', user, '--', 'env', ...userEnv, ...call]).stdout.trim().startsWith('((true,');
}

/** `launch`: the command line (`--restore PATH`) and the folder it is run in. */
export function launchApp(fx: BackupFixture, userEnv: string[], style: 'light' | 'dark', launch: { args?: string[]; cwd?: string } = {}): LaunchedApp {
  const asUser = (args: string[]) => ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
  const command = [...(style === 'dark' ? ['ADW_DEBUG_COLOR_SCHEME=prefer-dark'] : []), 'gjs', '-m', path.join(fx.dist, 'app/rewind.js'), ...(launch.args ?? [])];
  const app = startProcess('runuser', ['-u', fx.allowed.name, '--', 'env', ...(launch.cwd ? ['-C', launch.cwd] : []), ...userEnv, ...command]);
  fx.cleanup.add('stop the app', () => stopProcess(app.child));
  const count = (line: string) => app.output().split('\n').filter((l) => l.startsWith(line)).length;
  const activate = (action: string, parameter?: string) => {
    const target = parameter === undefined ? '[]' : `[<'${parameter.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'>]`;
    const { objectPath, name } = actionObject(action);
    sh('runuser', asUser(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', 'org.gtk.Actions.Activate', name, target, '{}']));
  };
  const texts = async () => {
    // Only whole lines: a long one arrives in pieces.
    const lines = () => app.output().split('\n').slice(0, -1).filter((l) => l.startsWith('rewind: texts '));
    const before = lines().length;
    activate('trace-texts');
    await waitFor('the texts on screen', () => lines().length > before || undefined, 10_000);
    return JSON.parse(lines().at(-1)!.slice('rewind: texts '.length)) as Array<{ window: string; texts: string[] }>;
  };
  return {
    output: app.output,
    count,
    activate,
    texts,
    async stop() {
      if (process.env.REWIND_SHOW_APP_OUTPUT) console.log(app.output());
      await stopProcess(app.child);
    },
  };
}
