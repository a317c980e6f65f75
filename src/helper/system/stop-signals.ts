/**
 * Ctrl+C (SIGINT) or a stop by systemd (SIGTERM) for a command that must
 * clean up before it ends: a backup run deletes its partial backups, a
 * restore what it received, the daemon the restore points it fetched.
 *
 * Not process.once: it takes its listener off before the signal's other
 * listeners run, and execa's exit handler (there while ssh, zstd or btrfs
 * run under execa) then finds itself the only listener, re-raises the
 * signal and so kills the process before anything is cleaned up. The
 * listeners stay until every listener of that signal has run, and are taken
 * off then: a second Ctrl+C or SIGTERM ends the process at once, as it
 * would without them.
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Calls `stop` once, on the first SIGINT or SIGTERM. */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopped = false;
  const listener = (signal: NodeJS.Signals) => {
    setImmediate(() => {
      for (const s of SIGNALS) process.off(s, listener);
    });
    // Both signals may come before the listeners are off.
    if (stopped) return;
    stopped = true;
    stop(signal);
  };
  for (const signal of SIGNALS) process.on(signal, listener);
}
