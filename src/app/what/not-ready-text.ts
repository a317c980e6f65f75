import { planSources, type Person, type PlannedFolder, type SourceChoice } from '../../core/source-choice';
import type { SubvolumeSize } from '../../core/subvolume-size';
import { _, fmt } from '../i18n';
import { folderName } from './what-words';

/**
 * Why a choice cannot be backed up yet, as one sentence beside a disabled
 * Continue ("" when it can): what to do, not only what is wrong.
 */
export function notReadyText(choice: SourceChoice, person: Person, listing: readonly SubvolumeSize[] | null): string {
  const plan = planSources(choice, person, listing);
  if (plan.ready) return '';
  if (choice.kind === 'folders' && plan.folders.length === 0) return _('To continue, add a folder to back up.');
  if (plan.folders.some((f) => f.state === 'measuring')) return _('You can continue once Rewind has looked at what you chose.');
  const blocked = plan.folders.find((f): f is Extract<PlannedFolder, { state: 'blocked' }> => f.state === 'blocked');
  if (!blocked || choice.kind === 'system') return _('This computer’s system disk cannot be backed up: choose something else to back up.');
  const name = folderName(blocked.path, person, listing);
  // Translators: %s is a folder, such as "~/Music" or "Your home folder".
  if (blocked.problem === 'not-subvolume') return fmt(_('%s cannot be backed up as it is: choose a way forward below, or something else to back up.'), name);
  // Translators: %s is a folder, such as "~/Music" or "Your home folder".
  return choice.kind === 'folders' ? fmt(_('%s cannot be backed up: remove it to continue.'), name) : fmt(_('%s cannot be backed up: choose something else to back up.'), name);
}
