import path from 'node:path';
import { expect } from '@jest/globals';
import { APP_ID } from '../../src/core/ids';
import type { BackupFixture } from './backup-fixture';
import { screenshot, windowBrightness } from './display';
import { sh, startProcess, stopProcess, waitFor } from './exec';

/**
 * Drives the real app as the fixture's allowed user: starts it in a style,
 * activates its actions over org.gtk.Actions (as its buttons do), waits for
 * the lines it prints, and photographs the screen.
 */
export interface AppDriver {
  output(): string;
  /** How many lines start with `line`. */
  count(line: string): number;
  activate(action: string, parameter?: string): void;
  /** Activates an action and waits for a new line that starts with `line`. */
  step(action: string, parameter: string | undefined, line: string, timeout?: number): Promise<void>;
  /**
   * Saves `<name>-<style>.png`, checks that a window in that style is drawn,
   * and that no text on screen has words that belong to the CLI (TECHNICAL_ON_SCREEN).
   */
  shoot(name: string): Promise<string>;
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

/**
 * `internal`: what else must not be on screen, such as the fixture's
 * destination ids (a whole word, case-sensitive).
 */
export function startApp(fx: BackupFixture, userEnv: string[], display: string, shots: string, style: 'light' | 'dark', internal = /\busb\b/, launch: { args?: string[]; cwd?: string } = {}): AppDriver {
  const asUser = (args: string[]) => ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
  // `launch`: the command line (`--restore PATH`) and the folder it is run in.
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
    async step(action, parameter, line, timeout = 60_000) {
      const before = count(line);
      // Only what this step printed counts as its failure.
      const from = app.output().length;
      const failure = () => /rewind: (setup error|config failed) .*/.exec(app.output().slice(from))?.[0];
      activate(action, parameter);
      await waitFor(line, () => count(line) > before || failure(), timeout);
      expect(failure()).toBeUndefined();
      await settle();
    },
    async shoot(name) {
      const file = path.join(shots, `${name}-${style}.png`);
      screenshot(display, file);
      const { mean, spread } = windowBrightness(file);
      expect(spread).toBeGreaterThan(0.02);
      if (style === 'light') expect(mean).toBeGreaterThan(0.6);
      else expect(mean).toBeLessThan(0.35);
      expect({ screen: name, technical: technicalTexts(await texts(), internal) }).toEqual({ screen: name, technical: [] });
      return file;
    },
    async stop() {
      if (process.env.REWIND_SHOW_APP_OUTPUT) console.log(app.output());
      await stopProcess(app.child);
    },
  };
}
