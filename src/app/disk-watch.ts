import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

/** A disk plugged in or taken out fires several of these within a moment. */
const SIGNALS = ['drive-connected', 'drive-disconnected', 'volume-added', 'volume-removed', 'mount-added', 'mount-removed'];
const SETTLE_MS = 700;

/**
 * Calls `changed` once a moment after disks come and go: a drive connected
 * or removed, a volume added or removed (GIO's volume monitor, which hears
 * UDisks2 through GVfs where the desktop has it), or a disk mounted or
 * unmounted (which GIO sees on its own, also without GVfs). Whoever shows a
 * list of disks looks again then. Returns what stops watching.
 */
export function watchDisks(changed: () => void): () => void {
  const monitor = Gio.VolumeMonitor.get();
  let pending = 0;
  const soon = () => {
    if (pending) GLib.source_remove(pending);
    pending = GLib.timeout_add(GLib.PRIORITY_DEFAULT, SETTLE_MS, () => {
      pending = 0;
      changed();
      return GLib.SOURCE_REMOVE;
    });
  };
  const ids = SIGNALS.map((signal) => monitor.connect(signal, soon));
  return () => {
    for (const id of ids.splice(0)) monitor.disconnect(id);
    if (pending) GLib.source_remove(pending);
    pending = 0;
  };
}
