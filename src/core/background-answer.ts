/**
 * The Background portal's answer (org.freedesktop.portal.Background,
 * RequestBackground), as the app keeps it. The call returns a Request object
 * at once; the answer comes later in that object's Response signal, with a
 * response code and results. The app subscribes before it calls, at the path
 * the portal derives from its unique name and the handle_token it passes.
 *
 * Rules:
 * - Response 0 (success) with results.background true: allowed.
 * - Response 0 with background false, or 1 (the user cancelled the dialog):
 *   refused — notifications then come only while Rewind is open.
 * - Response 2 (the request failed otherwise), or an answer without a
 *   boolean `background`: nothing is learnt, what was kept stays.
 * The portal remembers the user's choice and answers later requests without
 * asking, so asking at every start follows a change made in Settings.
 */

/** Its GSettings key (data/io.github.rewindbackup.Rewind.gschema.xml): true once the user refused. */
export const BACKGROUND_REFUSED_KEY = 'background-refused';

export type BackgroundAnswer = 'allowed' | 'refused';

export function backgroundAnswer(response: number, results: Record<string, unknown>): BackgroundAnswer | null {
  if (response === 1) return 'refused';
  if (response !== 0 || typeof results.background !== 'boolean') return null;
  return results.background ? 'allowed' : 'refused';
}

/** The Request object's path for a caller's unique name (`:1.42`) and token. */
export function requestPath(uniqueName: string, token: string): string {
  const sender = uniqueName.replace(/^:/, '').replaceAll('.', '_');
  return `/org/freedesktop/portal/desktop/request/${sender}/${token}`;
}

/** A handle_token: letters, digits and underscores only, as an object path element must be. */
export function requestToken(random: number): string {
  return `rewind_${Math.floor(random * 0xffffffff).toString(16)}`;
}
