import GLib from 'gi://GLib';
import { leaveOutState, type LeaveOutCandidate, type LeaveOutId } from '../../core/leave-out';
import { homesFolder, otherHomes, othersToKeepApart, planSources, systemRoot, type ChoiceKind, type Person, type PlannedFolder, type SourceChoice, type SourcePlan } from '../../core/source-choice';
import type { SubvolumeSize } from '../../core/subvolume-size';
import { _, fmt, ngettext } from '../i18n';

/**
 * What to back up, in the words a person uses: folders by whose they are
 * ("Your home folder", "Carol’s home folder", "~/Documents"), sizes, and
 * why a folder cannot be backed up yet. No subvolume, btrfs or snapshot on
 * screen: a subvolume of its own is a folder "kept apart".
 */
export function choiceTitle(kind: ChoiceKind): string {
  switch (kind) {
    case 'my-home':
      return _('My home folder');
    case 'all-homes':
      return _('All users’ home folders');
    case 'system':
      return _('The whole system');
    case 'folders':
      return _('Folders I choose');
  }
}

export function leaveOutTitle(id: LeaveOutId): string {
  switch (id) {
    case 'cache':
      return _('Caches');
    case 'trash':
      return _('Trash');
    case 'downloads':
      return _('Downloads');
    case 'vm-images':
      return _('Virtual machine images');
    case 'containers':
      return _('Containers');
  }
}

/**
 * The subtitle of a folder offered to leave out: where it is and its size;
 * for one another program keeps apart, that including it leaves it as it
 * is (Rewind backs it up on its own rather than change the disk under that
 * program: src/core/leave-out.ts).
 */
export function leaveOutSubtitle(path: string, person: Person, listing: readonly SubvolumeSize[] | null): string {
  const line = `${shortPath(path, person)} · ${sizeText(listing?.find((s) => s.path === path)?.sizeBytes)}`;
  if (leaveOutState(path, listing) !== 'apart') return line;
  return `${line}\n${_('Kept apart by another program. Included, it is backed up on its own and left as it is.')}`;
}

/** Files beside the chosen folders that their holders' backups carry too (files cannot be kept apart), or "". */
export function filesBesideText(plan: SourcePlan): string {
  const files = plan.folders.reduce((sum, f) => sum + (f.state === 'ok' ? (f.filesBeside ?? 0) : 0), 0);
  return files === 0 ? '' : fmt(ngettext('%s file beside it is backed up too', '%s files beside it are backed up too', files), files);
}

/** A folder as the person knows it: ~/Documents for one in their home, else its path. */
export function shortPath(path: string, person: Person): string {
  if (path === person.home) return '~';
  return path.startsWith(`${person.home}/`) ? `~${path.slice(person.home.length)}` : path;
}

/** A folder's name in words: whose home it is, or where it is (`short`: its own name only). */
export function folderName(path: string, person: Person, listing: readonly SubvolumeSize[] | null, short = false): string {
  const entry = listing?.find((s) => s.path === path);
  if (path === person.home || entry?.owner?.user === person.user) return _('Your home folder');
  if (entry?.owner) return fmt(_('%s’s home folder'), entry.owner.realName || entry.owner.user);
  if (path === systemRoot(person)) return _('The whole system');
  return short ? path.slice(path.lastIndexOf('/') + 1) : shortPath(path, person);
}

export function sizeText(bytes: number | undefined): string {
  return bytes === undefined ? _('size not known') : GLib.format_size(bytes);
}

/** The size of what a plan backs up: the sum of its sources' sizes (the whole system: every subvolume of its disk). */
export function planSize(plan: SourcePlan, listing: readonly SubvolumeSize[] | null): { bytes?: number; measuring: boolean } {
  if (!listing) return { measuring: true };
  let entries: SubvolumeSize[];
  if (plan.sources.some((s) => s.allSubvolumesOf !== undefined)) {
    const root = listing.find((s) => s.path === plan.sources[0].allSubvolumesOf);
    entries = root?.fsUuid ? listing.filter((s) => s.subvolume && s.fsUuid === root.fsUuid) : [];
  } else {
    entries = plan.sources.map((s) => listing.find((e) => e.path === s.path)).filter((e): e is SubvolumeSize => e !== undefined);
  }
  if (entries.length === 0 || entries.some((e) => e.sizeBytes === undefined)) return { measuring: false };
  return { bytes: entries.reduce((sum, e) => sum + (e.sizeBytes ?? 0), 0), measuring: false };
}

/** The subtitle of a choice's row: what it is and its size, or why not yet. */
export function choiceSubtitle(kind: ChoiceKind, plan: SourcePlan | undefined, person: Person, listing: readonly SubvolumeSize[] | null, chosen = true): string {
  if (kind === 'folders' && (!plan || plan.folders.length === 0)) return _('Pick folders with the file chooser, or type them');
  if (!plan || plan.folders.some((f) => f.state === 'measuring')) return _('Measuring…');
  const blocked = plan.folders.find((f) => f.state === 'blocked');
  if (kind === 'system' && blocked) return _('Not possible on this computer: its system disk is not kept in a way Rewind can back up');
  const size = planSize(plan, listing);
  const homes = otherHomes(person, listing).length;
  const text = {
    'my-home': () => person.home,
    'all-homes': () => (homes === 0 ? homesFolder(person) : fmt(ngettext('%s and %s home kept apart', '%s and %s homes kept apart', homes), homesFolder(person), homes)),
    system: () => _('Every part of the system disk'),
    folders: () => fmt(ngettext('%s folder', '%s folders', plan.folders.length), plan.folders.length),
  }[kind]();
  if (blocked) return fmt(chosen ? _('%s — not possible yet, see below') : _('%s — not possible yet'), text);
  const files = filesBesideText(plan);
  return [text, ...(size.bytes === undefined ? [] : [GLib.format_size(size.bytes)]), ...(files ? [files] : [])].join(' · ');
}

/** How many of the other entries beside a folder are named. */
const NAMED_OTHERS = 5;

/** Why a folder cannot be backed up yet, and what the person can do about it. */
export function blockedText(folder: Extract<PlannedFolder, { state: 'blocked' }>, person: Person, listing: readonly SubvolumeSize[] | null): string {
  const name = folderName(folder.path, person, listing);
  switch (folder.problem) {
    case 'missing':
      return _('This folder does not exist, or its disk is not connected.');
    case 'not-btrfs':
      return _('This folder is on a disk that Rewind cannot back up: Rewind needs a disk that can keep snapshots, as Fedora’s system disk does.');
    case 'top-level':
      return _('This is the top of a disk, which holds everything on it. Choose the folders on it instead.');
    case 'unknown':
      return _('Rewind cannot back up this folder.');
    case 'not-subvolume': {
      if (folder.holder === undefined) return fmt(_('Rewind backs up folders that are kept apart on the disk. Keep %s apart to back it up; nothing is copied and nothing changes for you.'), name);
      const holder = folder.holder;
      // A few by name, the rest as a count: a long list of names says no more.
      const named = (folder.others ?? []).slice(0, NAMED_OTHERS);
      const more = (folder.others?.length ?? 0) + (folder.othersMore ?? 0) - named.length;
      const others = [...named.map((o) => o.slice(holder.length + 1)), ...(more > 0 ? [fmt(_('%s more'), more)] : [])].join(', ');
      if (othersToKeepApart(folder) === undefined) {
        // Too many to keep apart one by one: the folder itself is the way.
        return fmt(
          _('%s shares %s with %s, and Rewind backs up %s as a whole. Keep your folder apart to back it up on its own. Nothing is copied and nothing changes for you.'),
          name,
          shortPath(holder, person),
          others,
          shortPath(holder, person),
        );
      }
      const text = fmt(
        _('%s shares %s with %s, and Rewind backs up %s as a whole. Keep your folder apart to back it up on its own, or keep the others apart. Nothing is copied and nothing changes for you.'),
        name,
        shortPath(holder, person),
        others,
        shortPath(holder, person),
      );
      // Only folders can be kept apart: files beside it stay in the backup of the folder around it.
      const files = folder.filesBeside ?? 0;
      return files === 0 ? text : `${text} ${fmt(ngettext('Keeping the others apart backs up the %s file beside it too: files cannot be kept apart.', 'Keeping the others apart backs up the %s files beside it too: files cannot be kept apart.', files), files)}`;
    }
  }
}

/** One line for the summary: the choice, the folders it backs up, and what is left out. */
export function whatSummary(what: { choice: SourceChoice; person: Person; listing: SubvolumeSize[] | null; leaveOut: string[]; candidates: LeaveOutCandidate[] }): string {
  const plan = planSources(what.choice, what.person, what.listing);
  const folders = plan.sources.map((s) => (s.path !== undefined ? folderName(s.path, what.person, what.listing) : _('The whole system')));
  const title = what.choice.kind === 'folders' ? folders.join(', ') : [choiceTitle(what.choice.kind), ...folders.slice(1)].join(', ');
  const left = what.candidates.filter((c) => what.leaveOut.includes(c.path)).map((c) => leaveOutTitle(c.id));
  return left.length > 0 ? fmt(_('%s, leaving out %s'), title, left.join(', ')) : title;
}
