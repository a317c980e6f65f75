import GLib from 'gi://GLib';
import type { VersionAgreement } from '../core/helper-version';
import { APP_ID } from '../core/ids';
import { _, fmt } from './i18n';

/**
 * What the main window says when the app and the helper are of different
 * releases (src/core/helper-version.ts): which one to update, and how, on
 * this kind of install. The app calls nothing else until they agree.
 */
export interface OtherVersionWords {
  title: string;
  description: string;
  /** The command that updates the older side. */
  command: string;
}

const inFlatpak = (): boolean => GLib.file_test('/.flatpak-info', GLib.FileTest.EXISTS);

export function otherVersionWords(agreement: Exclude<VersionAgreement, 'same'>, appVersion: string, helperVersion: string | null): OtherVersionWords {
  if (agreement === 'app-older') {
    return {
      title: _('Rewind needs an update'),
      description: fmt(
        // Translators: %s are version numbers, such as 0.2.0.
        _('This app is version %s, older than the part of Rewind installed on this computer for backups, which is version %s. Update the app, then open it again; your backups are not affected.'),
        appVersion,
        helperVersion ?? '',
      ),
      command: inFlatpak() ? `flatpak update ${APP_ID}` : 'sudo dnf upgrade rewind',
    };
  }
  const helper =
    helperVersion === null
      ? _('The part of Rewind installed on this computer for backups (rewind-helper) is older than this app.')
      : // Translators: %s are version numbers, such as 0.2.0.
        fmt(_('The part of Rewind installed on this computer for backups (rewind-helper) is version %s, older than this app, which is version %s.'), helperVersion, appVersion);
  const where = inFlatpak()
    ? _('Rewind runs as a Flatpak, so update rewind-helper on the host system, outside the Flatpak, then choose Try Again. Your backups are not affected.')
    : _('Update rewind-helper, then choose Try Again. Your backups are not affected.');
  return { title: _('The backup helper needs an update'), description: `${helper} ${where}`, command: 'sudo dnf upgrade rewind-helper' };
}
