/**
 * Whether a scheduled run waits. The helper reads the machine (power supplies
 * from /sys/class/power_supply, NetworkManager's Metered property) and these
 * rules decide; a run started by hand never waits. A postponed run is
 * recorded in the history with its reason, and runs as soon as the reason
 * ends: the monitor in the user's session sees it end and asks the helper
 * for the scheduled run again (docs/monitor.md); without a session, the
 * next elapse of the timer tries again.
 */
export interface PowerSupply {
  /** sysfs "type": Mains, Battery, USB, UPS … */
  type: string;
  /** sysfs "online" (Mains, USB): 1 when plugged in. */
  online?: number;
  /** sysfs "status" (Battery): Charging, Discharging, Full, Not charging … */
  status?: string;
  /** sysfs "scope": Device for a mouse's or headset's own battery. */
  scope?: string;
}

/**
 * NetworkManager's NMMetered: 0 unknown, 1 yes, 2 no, 3 guessed yes, 4 guessed no.
 * Undefined when NetworkManager does not answer.
 */
export type Metered = 0 | 1 | 2 | 3 | 4 | undefined;

export interface Conditions {
  postponeOnBattery: boolean;
  postponeOnMetered: boolean;
}

/** Why a scheduled run waits; each program says it in its own words (postponeText for the CLI). */
export type PostponeReason = 'on-battery' | 'metered-network';

/** On battery: a system battery discharges and no mains or USB supply is online. */
export function onBattery(supplies: readonly PowerSupply[]): boolean {
  const system = supplies.filter((s) => s.scope !== 'Device');
  if (system.some((s) => (s.type === 'Mains' || s.type === 'USB') && s.online === 1)) return false;
  return system.some((s) => s.type === 'Battery' && s.status === 'Discharging');
}

export function isMetered(metered: Metered): boolean {
  return metered === 1 || metered === 3;
}

/** Why a scheduled run waits, or undefined to run now. Metered networks matter only for destinations over the network. */
export function postponeReason(
  conditions: Conditions,
  facts: { supplies: readonly PowerSupply[]; metered: Metered; networkDestinations: boolean },
): PostponeReason | undefined {
  if (conditions.postponeOnBattery && onBattery(facts.supplies)) return 'on-battery';
  if (conditions.postponeOnMetered && facts.networkDestinations && isMetered(facts.metered)) return 'metered-network';
  return undefined;
}

/** The reason in the CLI's words (the app has its own, translated). */
export function postponeText(reason: PostponeReason): string {
  return reason === 'on-battery' ? 'running on battery' : 'the network connection is metered';
}

/** When the run happens, in the CLI's words. */
export function resumeText(reason: PostponeReason): string {
  return reason === 'on-battery' ? 'when the computer is plugged in' : 'when the network connection is no longer metered';
}
