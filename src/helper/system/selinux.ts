import { closeSync, existsSync, openSync, writeSync } from 'node:fs';

/**
 * This machine's SELinux, as the kernel shows it in selinuxfs: whether it is
 * enabled, and whether its policy knows a label. The check is libselinux's
 * security_check_context without the library: a label written to
 * /sys/fs/selinux/context is refused (EINVAL) exactly when the policy does
 * not know it, which is when setting it as security.selinux fails too.
 */

const SELINUXFS = '/sys/fs/selinux';

export function selinuxEnabled(fs = SELINUXFS): boolean {
  return existsSync(`${fs}/enforce`);
}

/** A label check that asks the kernel once per distinct label. */
export function selinuxLabelCheck(fs = SELINUXFS): (label: string) => boolean {
  const known = new Map<string, boolean>();
  return (label) => {
    let ok = known.get(label);
    if (ok === undefined) {
      ok = checkContext(`${fs}/context`, label);
      if (known.size < 10_000) known.set(label, ok);
    }
    return ok;
  };
}

function checkContext(file: string, label: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from(`${label}\0`, 'utf8'));
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The receiver rules of this machine (../../core/xattrs-left-out): its own policy decides labels. */
export function localReceiverRules(alsoDrop?: readonly string[]): { selinuxAccepts?: (label: string) => boolean; alsoDrop?: readonly string[] } {
  return { ...(selinuxEnabled() ? { selinuxAccepts: selinuxLabelCheck() } : {}), ...(alsoDrop?.length ? { alsoDrop } : {}) };
}
