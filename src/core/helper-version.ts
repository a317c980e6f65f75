/**
 * Whether the app and the helper it talks to are of the same release. In a
 * Flatpak the app updates from Flathub while the helper updates with the
 * host's packages, so the two can drift apart; the D-Bus contract
 * (./contract) is only tested between the app and the helper of one release,
 * so the app says which side to update rather than call a helper whose
 * requests and answers may have changed shape.
 *
 * A helper from before the Version property has none: it is older.
 */
export type VersionAgreement = 'same' | 'helper-older' | 'app-older';

/** The numeric parts of "1.2.3" (a suffix such as "-rc1" is ignored); undefined when it is not a version. */
function parts(version: string): number[] | undefined {
  const m = /^(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?:[-+~][0-9A-Za-z.+~-]*)?$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function versionAgreement(app: string, helper: string | undefined): VersionAgreement {
  if (helper === app) return 'same';
  const a = parts(app);
  const h = helper === undefined ? undefined : parts(helper);
  // No version, or one that is not a version: a helper from before the property, or not ours to trust.
  if (!a || !h) return 'helper-older';
  for (let i = 0; i < 3; i++) {
    if (h[i] < a[i]) return 'helper-older';
    if (h[i] > a[i]) return 'app-older';
  }
  // Same numbers, different suffix (a test build against a release): the release is the newer one.
  return helper!.length > app.length ? 'helper-older' : 'app-older';
}
