import GLib from 'gi://GLib';
import Gettext from 'gettext';

export const GETTEXT_DOMAIN = 'rewind';

/**
 * Translations live in <prefix>/share/locale next to the installed bundle
 * (<prefix>/share/rewind/…); a build of `npm run build` has them in
 * dist/locale, next to dist/app; REWIND_LOCALEDIR overrides both.
 */
function localeDir(): string {
  const override = GLib.getenv('REWIND_LOCALEDIR');
  if (override) return override;
  const [bundlePath] = GLib.filename_from_uri(import.meta.url);
  const share = bundlePath.lastIndexOf('/share/');
  if (share >= 0) return `${bundlePath.slice(0, share)}/share/locale`;
  const built = GLib.build_filenamev([GLib.path_get_dirname(GLib.path_get_dirname(bundlePath)), 'locale']);
  return GLib.file_test(built, GLib.FileTest.IS_DIR) ? built : '/usr/share/locale';
}

export function initI18n(): void {
  Gettext.bindtextdomain(GETTEXT_DOMAIN, localeDir());
  // GtkBuilder (the shortcuts window) translates with the default domain.
  Gettext.textdomain(GETTEXT_DOMAIN);
}

export function _(msgid: string): string {
  return Gettext.dgettext(GETTEXT_DOMAIN, msgid);
}

export function ngettext(singular: string, plural: string, n: number): string {
  return Gettext.dngettext(GETTEXT_DOMAIN, singular, plural, n);
}

/** Fills each `%s` in a translated template with the next argument, in order. */
export function fmt(template: string, ...args: (string | number)[]): string {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++] ?? ''));
}
