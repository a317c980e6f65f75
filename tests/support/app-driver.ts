import path from 'node:path';
import { expect } from '@jest/globals';
import type { BackupFixture } from './backup-fixture';
import { screenshot, windowBrightness } from './display';
import { actionEnabled, launchApp, technicalTexts } from './app-launch';
import { waitFor } from './exec';
import { screenDigest, stillScreen } from './still-screen';

export { actionEnabled, actionObject, settle, TECHNICAL_ON_SCREEN, technicalTexts } from './app-launch';

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

/**
 * `internal`: what else must not be on screen, such as the fixture's
 * destination ids (a whole word, case-sensitive).
 */
export function startApp(fx: BackupFixture, userEnv: string[], display: string, shots: string, style: 'light' | 'dark', internal = /\busb\b/, launch: { args?: string[]; cwd?: string } = {}): AppDriver {
  const app = launchApp(fx, userEnv, style, launch);
  const { output, count, activate, texts } = app;
  return {
    output,
    count,
    activate,
    texts,
    async step(action, parameter, line, timeout = 60_000) {
      const before = count(line);
      // Only what this step printed counts as its failure.
      const from = output().length;
      const failure = () => /rewind: (setup error|config failed) .*/.exec(output().slice(from))?.[0];
      // As a person can press a button only once it is enabled: an action activated while disabled does nothing.
      await waitFor(`${action} enabled`, () => actionEnabled(fx.allowed.name, userEnv, action) || undefined, timeout);
      const screen = screenDigest(display);
      activate(action, parameter);
      await waitFor(line, () => count(line) > before || failure(), timeout);
      expect(failure()).toBeUndefined();
      // Drawn: the screen changed and stopped changing (a step that changes nothing on screen waits the whole 1.5 s).
      await stillScreen(display, 1500, screen);
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
    stop: app.stop,
  };
}
