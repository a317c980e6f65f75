import { HELPER_INTERFACE } from './ids';
import { HELPER_METHODS, HELPER_SIGNALS, METHOD_NAMES, type ArgSpec } from './contract/methods';

/**
 * The helper's introspection XML, generated from the contract
 * (./contract/methods): what the daemon answers to Introspect and what the
 * app's proxy is built from. What each method does is in the contract and
 * in docs/architecture.md.
 *
 * BackUpNow returns as soon as the caller is authorised and the job started;
 * the job then reports through Progress and ends with exactly one Completed.
 * CancelBackup stops the running job (false when none runs): its transfers
 * stop, what they wrote is removed, and Completed reports the Cancelled error.
 *
 * Every string argument, and every string in its JSON, is refused
 * (InvalidArgs, naming the field) when it holds a control character.
 */
function arg(spec: ArgSpec, direction?: 'in' | 'out'): string {
  return `      <arg${direction ? ` direction="${direction}"` : ''} type="${spec.type}" name="${spec.name}"/>`;
}

function methodXml(name: keyof typeof HELPER_METHODS): string {
  const spec = HELPER_METHODS[name] as { in?: ArgSpec; out?: ArgSpec };
  const args = [...(spec.in ? [arg(spec.in, 'in')] : []), ...(spec.out ? [arg(spec.out, 'out')] : [])];
  return [`    <method name="${name}">`, ...args, '    </method>'].join('\n');
}

function signalXml(name: string, args: ArgSpec[]): string {
  return [`    <signal name="${name}">`, ...args.map((a) => arg(a)), '    </signal>'].join('\n');
}

export const HELPER_INTERFACE_XML = [
  '<node>',
  `  <interface name="${HELPER_INTERFACE}">`,
  ...METHOD_NAMES.map(methodXml),
  ...Object.entries(HELPER_SIGNALS).map(([name, args]) => signalXml(name, args)),
  // The helper's release, answered without polkit (src/core/helper-version.ts says why the app reads it).
  '    <property name="Version" type="s" access="read"/>',
  '  </interface>',
  '</node>',
].join('\n');
