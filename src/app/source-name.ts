import GLib from 'gi://GLib';
import type { HelperStatus } from '../core/status';
import { _, fmt } from './i18n';

// A string, not a literal: xgettext reads a '/' inside brackets as the literal's end and loses the strings after it.
const SYSTEM_PART = new RegExp('^(/[^\\n]*?): ([^/\\n][^\\n]*)$');

/**
 * A backed-up folder as the helper labels it (its path, or "ROOT: PATH" for
 * one subvolume of the whole system, PATH being where it is on the disk),
 * named in words for the person: their home folder, someone's home folder,
 * a folder in their home, a part of the system; else the folder's path.
 */
export function sourceName(label: string, home = GLib.get_home_dir()): string {
  const part = SYSTEM_PART.exec(label);
  if (part) return systemPart(part[2]);
  const homes = home.slice(0, home.lastIndexOf('/')) || '/';
  if (label === home) return _('Your home folder');
  if (label.startsWith(`${home}/`)) return fmt(_('%s, in your home folder'), label.slice(home.length + 1));
  if (label === homes) return _('Home folders');
  const parent = label.slice(0, label.lastIndexOf('/')) || '/';
  // Someone else's home: /home/NAME, or systemd-homed's /home/NAME.homedir.
  if (parent === homes && homes !== '/') return fmt(_('%s’s home folder'), label.slice(parent.length + 1).replace(/\.homedir$/, ''));
  return label;
}

/** A subvolume of the whole system by its place on the disk: Fedora's "root" and "home" (Ubuntu's "@", "@home"), else its folder's name. */
function systemPart(below: string): string {
  if (below === 'root' || below === '@') return _('The system');
  if (below === 'home' || below === '@home') return _('Home folders');
  return fmt(_('%s, part of the whole system'), below.slice(below.lastIndexOf('/') + 1));
}

/**
 * What is backed up, for the main page: each configured source in words, one
 * a line. A helper older than `backedUp` gives only its labels, worded as far
 * as they can be.
 */
export function backedUpWords(status: Pick<HelperStatus, 'sources' | 'backedUp'>, home = GLib.get_home_dir()): string {
  const names = Array.isArray(status.backedUp)
    ? status.backedUp.map((s) => (typeof s?.path === 'string' ? sourceName(s.path, home) : _('The whole system')))
    : status.sources.filter((s) => typeof s === 'string').map((s) => sourceName(s, home));
  return names.join('\n');
}
