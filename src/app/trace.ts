/**
 * The app's trace: one line on stdout per event, `rewind: <what>`. The
 * system tests wait for these lines (tests/support/app-driver.ts) and the
 * start-up benchmark reads one; nothing else does. Every line goes through
 * here, so their format is kept in one place.
 */
export function trace(line: string): void {
  print(`rewind: ${line}`);
}
